"""The scrubber and the live explorer: right frames, clear titles, no traceback at extremes."""

import re

import matplotlib

matplotlib.use("Agg")
import jax.numpy as jnp  # noqa: E402
import pytest  # noqa: E402

import gdlib  # noqa: E402
from gdlib.problems import surfaces  # noqa: E402
from gdlib.viz import widgets


def test_title_names_the_hyperparameters_and_the_outcome():
    loss = lambda t: jnp.sum(t**2)  # noqa: E731
    ok = gdlib.run(gdlib.momentum(0.1, 0.5), loss, jnp.array([1.0]), 10)
    assert widgets.title({"learning_rate": 0.1, "momentum": 0.5}, ok).startswith(
        "η = 0.1, γ = 0.5: loss ")
    bad = gdlib.run(gdlib.sgd(3.0), loss, jnp.array([1.0]), 100)
    # θ ← -5θ, so the loss 25^t overflows float32 (about 3.4e38) first at t = 28
    assert widgets.title({"learning_rate": 3.0}, bad).endswith("diverged at step 28")


def test_scrubber_has_one_frame_per_value_and_works_offline():
    html = widgets.scrubber(surfaces.quadratic_bowl(), gdlib.sgd, 20,
                            learning_rate=[0.01, 0.1, 0.3]).data
    frames = re.findall(r"data:image/jpeg;base64,", html)
    assert len(frames) == 3
    assert "<script src" not in html and "require(" not in html  # no script from a CDN


def test_scrubber_wants_exactly_one_list():
    with pytest.raises(ValueError, match="exactly one hyperparameter as a list"):
        widgets.scrubber(surfaces.quadratic_bowl(), gdlib.momentum, 10,
                         learning_rate=[0.1, 0.2], momentum=[0.0, 0.9])


@pytest.mark.parametrize("learning_rate", [1e-3, 0.05, 1.0])
def test_live_explorer_draws_at_every_extreme_without_error(learning_rate, shown_titles):
    ui = widgets.live_explorer(surfaces.quadratic_bowl(), gdlib.momentum, 30,
                               learning_rate=(1e-3, 1.0, 0.05), momentum=(0.0, 0.99, 0.9))
    assert len(shown_titles) == 1 and shown_titles[0].startswith("η = 0.05, γ = 0.9: loss ")
    ui.children[0].value = learning_rate  # move the slider as a reader would
    ui.children[1].value = 0.99
    assert len(shown_titles) == (2 if learning_rate == 0.05 else 3)  # one redraw per change
    assert shown_titles[-1].startswith(f"η = {learning_rate:.3g}, γ = 0.99: ")
    if learning_rate == 1.0:
        assert "diverged at step" in shown_titles[-1]


def test_live_explorer_redraws_its_one_figure_in_place(shown_titles):
    import matplotlib.pyplot as plt

    ui = widgets.live_explorer(surfaces.quadratic_bowl(), gdlib.sgd, 30,
                               learning_rate=(1e-3, 1.0, 0.05))
    slider, image = ui.children
    first = image.value
    slider.value = 0.2
    assert image.value != first and image.value[:4] == b"\x89PNG"
    assert not plt.get_fignums()  # nothing left for the inline backend to show again
