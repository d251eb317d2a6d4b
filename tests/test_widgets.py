"""The live explorer and the explorable figure: clear titles, no traceback at extremes."""

import json
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
    assert image.value != first and bytes(image.value[:2]) == b"\xff\xd8"  # a new JPEG
    assert not plt.get_fignums()  # nothing left for the inline backend to show again


# The interactive explorable (Bokeh) ----------------------------------------------------------

def test_explorable_has_a_slider_per_list_and_carries_every_run_of_the_grid():
    import numpy as np
    from test_web import arrays

    from gdlib.viz import packing, web

    bowl = surfaces.quadratic_bowl()
    rates, momenta = [0.01, 0.1, 0.3, 0.6], [0.0, 0.5, 0.9]
    html = widgets.explorable(bowl, gdlib.momentum, 25, learning_rate=rates, momentum=momenta,
                              initial={"learning_rate": 0.1, "momentum": 0.9}).data
    text = json.dumps(web.item_of(html), ensure_ascii=False)
    assert text.count('"name": "Slider"') == 2
    assert sorted(re.findall(r'"title": "([ηγ])"', text)) == ["γ", "η"]
    assert '"value": 1' in text and '"value": 2' in text  # started at η = 0.1, γ = 0.9
    assert '"labels", ["0.01", "0.1", "0.3", "0.6"]' in text
    runs = gdlib.sweep(gdlib.momentum, bowl, np.asarray(bowl.start, np.float32), 25,
                       max_loss=widgets.MAX_LOSS, **gdlib.grid(learning_rate=rates,
                                                               momentum=momenta))
    packed = max((a for a in arrays(html) if a.dtype == np.uint16), key=np.size)
    codes = packed.reshape(12, 3, 26)
    box = packing.pack_paths(bowl.window, np.zeros((1, 1, 2)), np.zeros((1, 1)))[1]
    back, y = packing.unpack(codes[:, 1], box[2], box[3]), np.asarray(runs.params)[..., 1]
    shown = np.isfinite(back)
    assert np.abs(back - y)[shown].max() <= (box[3] - box[2]) / 65534
    left = y[~shown]  # missing: the runs that diverged, or left the map far behind
    assert np.all(np.isnan(left) | (left < box[2]) | (left > box[3]))
    diverged = [a for a in arrays(html) if a.dtype == np.int32 and a.size == 12][0]
    assert diverged.tolist() == np.asarray(runs.diverged_at).tolist()
    assert "tap" in text  # a click on the map of every run moves both sliders


def test_explorable_with_one_list_shows_every_run_against_the_value():
    html = widgets.explorable(surfaces.quadratic_bowl(), gdlib.sgd, 30,
                              learning_rate=[0.01, 0.05, 0.1, 0.25]).data
    assert "✕: diverged" in html and html.count('"name":"Slider"') == 1


@pytest.mark.parametrize("lists", [{}, {"learning_rate": [0.1, 0.2], "momentum": [0.0, 0.5],
                                        "dampening": [0.0, 0.1]}])
def test_explorable_wants_one_or_two_lists(lists):
    with pytest.raises(ValueError, match="one to 2 hyperparameters as lists"):
        widgets.explorable(surfaces.quadratic_bowl(), gdlib.momentum, 5, **lists,
                           **({} if lists else {"learning_rate": 0.1}))


def test_explorable_text_does_not_depend_on_the_last_digits_of_the_runs(monkeypatch):
    import itertools

    from test_web import sanitize

    from gdlib.viz import web

    pages = []
    for start in ([-1.5, 0.5], [-1.5 * (1 + 1e-6), 0.5]):
        monkeypatch.setattr(web, "_figures", itertools.count(1))
        pages.append(sanitize(widgets.explorable(
            surfaces.quadratic_bowl(condition_number=50.0), gdlib.momentum, 60, start=start,
            learning_rate=[0.003, 0.01, 0.03, 0.05], momentum=[0.0, 0.5, 0.9]).data))
    assert pages[0] == pages[1]


def test_live_limits_are_fixed_powers_of_ten_around_the_start():
    assert widgets.live_limits(2.5) == (1e-09, 1000.0)
    assert widgets.live_limits(float("nan")) == (1e-10, 100.0)


def test_a_live_move_redraws_only_what_moves(shown_titles):
    from gdlib.viz.live_figure import LiveFigure

    draws = []
    original = LiveFigure.refresh

    def spy(self):
        original(self)
        draws.append(self.full_draws)

    import unittest.mock

    with unittest.mock.patch.object(LiveFigure, "refresh", spy):
        ui = widgets.live_explorer(surfaces.quadratic_bowl(), gdlib.sgd, 30,
                                   learning_rate=(1e-3, 1.0, 0.05))
        for value in (0.01, 0.2, 0.9):
            ui.children[0].value = value
    assert draws == [1, 1, 1, 1]  # the map and the axes were drawn once
