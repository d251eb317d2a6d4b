"""A race runs each optimizer exactly as gdlib.run would, and draws what it ran."""

import json
import re

import matplotlib

matplotlib.use("Agg")
import jax.numpy as jnp  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import gdlib  # noqa: E402
from gdlib.optim.optimizers import BY_NAME  # noqa: E402
from gdlib.problems import surfaces
from gdlib.viz import race  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_lineup_has_every_optimizer_with_the_rates_asked_for():
    racers = race.lineup(sgd_rate=0.03, adaptive_rate=0.07, momentum=0.8)
    assert len(racers) == len(BY_NAME) and set(racers) == set(race.COLORS)
    expected = {"SGD": gdlib.sgd(0.03), "Momentum": gdlib.momentum(0.03, 0.8),
                "NAG": gdlib.nesterov(0.03, 0.8), "Adagrad": gdlib.adagrad(0.7),
                "Adadelta": gdlib.adadelta(), "RMSprop": gdlib.rmsprop(0.07),
                "Adam": gdlib.adam(0.07), "AdaMax": gdlib.adamax(0.07),
                "Nadam": gdlib.nadam(0.07)}
    theta = jnp.array([1.0, -2.0])
    for name, opt in racers.items():
        state, reference_state = opt.init(theta), expected[name].init(theta)
        for _ in range(3):
            updates, state = opt.update(theta, state)
            reference, reference_state = expected[name].update(theta, reference_state)
            np.testing.assert_array_equal(updates, reference, err_msg=name)


def test_lineup_checks_its_arguments():
    with pytest.raises(ValueError, match="momentum must be in"):
        race.lineup(momentum=1.0)
    with pytest.raises(ValueError, match="learning_rate must be"):
        race.lineup(sgd_rate=-0.1)


def test_race_equals_separate_runs_and_marks_divergence():
    bowl = surfaces.quadratic_bowl(condition_number=10.0)
    racers = {"slow": gdlib.sgd(0.05), "fast": gdlib.momentum(0.05, 0.9),
              "too fast": gdlib.sgd(0.25)}
    runs = race.race(bowl, racers, 60)
    assert list(runs) == list(racers)
    start = jnp.asarray(bowl.start, jnp.float32)
    for name, opt in racers.items():
        alone = gdlib.run(opt, bowl, start, 60, max_loss=race.MAX_LOSS)
        np.testing.assert_array_equal(runs[name].losses, alone.losses)
        assert int(runs[name].diverged_at) == int(alone.diverged_at)
    assert bool(runs["too fast"].diverged) and not bool(runs["fast"].diverged)


def test_standings_report_the_gap_and_the_first_step_below_the_tolerance():
    bowl = surfaces.quadratic_bowl(condition_number=10.0)
    runs = race.race(bowl, {"SGD": gdlib.sgd(0.1), "wild": gdlib.sgd(0.3)}, 80)
    text = race.standings(bowl, runs, tolerance=1e-4)
    gap = np.asarray(runs["SGD"].losses) - bowl.min_value
    first = int(np.flatnonzero(gap < 1e-4)[0])
    assert np.all(gap[first:] < 1e-4) and gap[first - 1] >= 1e-4  # it stays below
    assert re.search(rf"SGD\s+{gap[-1]:.2e}\s+{first}$", text, re.MULTILINE)
    assert re.search(rf"wild\s+diverged\s+\(at step {int(runs['wild'].diverged_at)}\)$", text,
                     re.MULTILINE)


def test_standings_count_a_run_that_bounces_back_out_as_not_arrived():
    bowl = surfaces.quadratic_bowl()
    losses = jnp.array([5.0, 1e-4, 2e-3, 1e-4, 1e-5])
    bouncing = gdlib.Trajectory(jnp.zeros((5, 2)), losses, jnp.array(-1))
    ending_high = gdlib.Trajectory(jnp.zeros((5, 2)), losses[::-1], jnp.array(-1))
    text = race.standings(bowl, {"bounce": bouncing, "high": ending_high})
    assert re.search(r"bounce\s+1.00e-05\s+3$", text, re.MULTILINE)
    assert re.search(r"high\s+5.00e\+00\s+never$", text, re.MULTILINE)


def test_draw_shows_every_racer_in_its_color():
    saddle = surfaces.saddle()
    runs = race.race(saddle, race.lineup(0.02, 0.05), 30)
    fig = race.draw(saddle, runs)
    curves = fig.axes[1].get_lines()
    assert [c.get_label() for c in curves] == list(runs)
    assert [c.get_color() for c in curves] == [race.COLORS[name] for name in runs]


def test_draw_3d_lays_each_path_on_the_surface():
    saddle = surfaces.saddle()
    runs = race.race(saddle, {"SGD": gdlib.sgd(0.1), "Adam": gdlib.adam(0.05)}, 20)
    ax = race.draw_3d(saddle, runs)
    lines = {line.get_label(): line for line in ax.get_lines()}
    x, y, z = lines["Adam"].get_data_3d()
    np.testing.assert_allclose(z, np.asarray(runs["Adam"].losses), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(saddle(jnp.stack([x, y], -1))), z, rtol=1e-5,
                               atol=1e-6)


# The interactive replay (Bokeh) --------------------------------------------------------------

def _replay_parts(html):
    from gdlib.viz import web

    item = web.item_of(html)
    text = json.dumps(item, ensure_ascii=False)
    return item, text


def test_replay_carries_every_step_of_every_run_and_a_legend_entry_for_each():
    from test_web import arrays

    from gdlib.viz import packing

    bowl = surfaces.quadratic_bowl()
    runs = race.race(bowl, race.lineup(sgd_rate=0.05, adaptive_rate=0.05), 60)
    html = race.replay(bowl, runs, title="a bowl").data
    item, text = _replay_parts(html)
    packed = max((a for a in arrays(html) if a.dtype == np.uint16), key=np.size)
    codes = packed.reshape(len(runs), 3, 61)
    _, box = race.packed_runs(bowl, runs)
    for r, trajectory in enumerate(runs.values()):
        xy = np.asarray(trajectory.params)
        back = packing.unpack(codes[r, 0], box[0], box[1])
        assert np.nanmax(np.abs(back - xy[:, 0])) <= (box[1] - box[0]) / packing.TOP
    labels = re.findall(r'"name": "LegendItem", "id": "[^"]+", "attributes": \{"label": '
                        r'\{"type": "value", "value": "([^"]+)"', text)
    assert labels[:9] == list(runs) and "start" in labels and "global minimum" in labels
    assert '"click_policy": "hide"' in text and '"end": 60' in text and "▶ Play" in text
    for name in runs:
        assert race.COLORS[name] in text


def test_replay_text_does_not_depend_on_the_last_digits_of_the_runs(monkeypatch):
    import itertools

    from test_web import sanitize

    from gdlib.viz import web

    banana = surfaces.rosenbrock()
    racers = {"SGD": gdlib.sgd(1e-3), "Adam": gdlib.adam(0.05)}
    pages = []
    for start in ([-1.2, 1.0], [-1.2 * (1 + 1e-6), 1.0]):  # another CPU's rounding, in effect
        monkeypatch.setattr(web, "_figures", itertools.count(1))
        runs = race.race(banana, racers, 200, start=start)
        pages.append(sanitize(race.replay(banana, runs).data))
    assert pages[0] == pages[1]


def test_replay_needs_runs():
    with pytest.raises(ValueError, match="at least one run"):
        race.replay(surfaces.saddle(), {})


def test_the_still_race_has_one_key_under_it_naming_every_run_and_the_map_s_marks():
    bowl = surfaces.quadratic_bowl()
    fig = race.draw(bowl, race.race(bowl, {"SGD": gdlib.sgd(0.1), "Adam": gdlib.adam(0.1)}, 5))
    assert len(fig.legends) == 1 and all(ax.get_legend() is None for ax in fig.axes)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["SGD", "Adam",
                                                                  "global minimum"]
