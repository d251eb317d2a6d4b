"""The drawing helpers draw what they are given, and keep diverged runs inside the picture."""

import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import gdlib  # noqa: E402
from gdlib.problems import surfaces
from gdlib.viz import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_contour_marks_every_minimum_and_saddle():
    camel = surfaces.three_hump_camel()
    ax = plotting.contour(camel)
    stars = [line for line in ax.lines if line.get_marker() == "*"]
    crosses = [line for line in ax.lines if line.get_marker() == "x"]
    assert len(stars) == len(camel.minima) == 3 and len(crosses) == len(camel.saddles) == 2
    assert sum(line.get_color() == "gold" for line in stars) == 1  # one global minimum
    assert ax.get_xlim() == camel.window[0] and ax.get_ylim() == camel.window[1]


def test_path_draws_the_run_and_keeps_the_window_when_it_diverges():
    bowl = surfaces.quadratic_bowl()
    ax = plotting.contour(bowl)
    run = gdlib.run(gdlib.sgd(0.3), bowl, jnp.asarray(bowl.start, jnp.float32), 100)
    assert bool(run.diverged)
    line = plotting.path(ax, run)
    np.testing.assert_array_equal(line.get_xdata(), np.asarray(run.params[:, 0]))
    assert ax.get_xlim() == bowl.window[0] and ax.get_ylim() == bowl.window[1]


def test_loss_curve_leaves_out_gaps_a_log_scale_cannot_show():
    run = gdlib.Trajectory(jnp.zeros((4, 2)), jnp.array([2.0, 1.5, 1.0, jnp.nan]), jnp.array(3))
    ax = plt.figure().gca()
    line = plotting.loss_curve(ax, run, min_value=1.0)
    np.testing.assert_array_equal(line.get_ydata(), [1.0, 0.5, np.nan, np.nan])


def test_the_marks_key_names_only_the_marks_the_surfaces_have():
    def labels(key):
        return [text.get_text() for text in key.get_texts()]

    fig = plt.figure(layout="constrained")
    bowl, camel = surfaces.quadratic_bowl(), surfaces.three_hump_camel()
    assert labels(plotting.marks_key(fig, [bowl])) == ["start", "global minimum"]
    assert labels(plotting.marks_key(fig, [bowl, camel], starts=False)) == [
        "global minimum", "local minimum", "saddle point"]
    dots = plt.figure().gca().scatter([0], [0], label="ends here")
    key = plotting.marks_key(fig, [bowl], starts=False, handles=[dots], ncol=1)
    assert labels(key) == ["ends here", "global minimum"] and key._ncols == 1
