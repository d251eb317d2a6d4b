"""Sliders over lists of values show the values, start where asked, and never write digits that
the machine decides."""

import json

import numpy as np
import pytest

from gdlib.viz import controls, web


def test_slider_lists_split_lists_from_numbers_and_refuse_what_cannot_be_a_slider():
    lists, fixed = controls.slider_lists({"learning_rate": [0.1, 0.2], "b1": 0.9})
    assert list(lists) == ["learning_rate"] and fixed == {"b1": 0.9}
    with pytest.raises(ValueError, match="at least two values"):
        controls.slider_lists({"learning_rate": [0.1]})
    with pytest.raises(ValueError, match="finite"):
        controls.slider_lists({"learning_rate": [0.1, np.nan]})


def test_a_slider_moves_over_indices_and_shows_three_digits_of_the_value():
    values = np.geomspace(1e-3, 1.0, 20)
    slider = controls.slider("learning_rate", values, value=0.03)
    assert (slider.start, slider.end, slider.step, slider.title) == (0, 19, 1, "η")
    assert controls.labels(values)[slider.value] == "0.0264"  # nearer 0.03 than 0.0379
    assert slider.format.args["labels"][0] == "0.001"


def test_the_outcome_map_has_a_cell_per_run_and_its_limits_are_powers_of_ten():
    lists = {"learning_rate": np.array([0.1, 0.2, 0.4]), "momentum": np.array([0.0, 0.9])}
    outcome = np.array([1e-3, 2e-5, 3e-2, np.nan, 0.5, 7e-9])
    plot, current, extra = controls.outcome_panel(lists, outcome)
    mapper = plot.renderers[0].glyph.color_mapper
    assert (mapper.low, mapper.high) == web.decades(outcome)
    image = plot.renderers[0].data_source.data["image"][0]
    assert image.shape == (2, 3) and np.isnan(image[1, 1])  # (momentum, rate): the diverged
    assert current.data == {"x": [0], "y": [0]} and extra == {}


def test_the_javascript_format_follows_python_for_the_captions():
    js = controls.FORMAT_JS
    assert 'padStart(2, "0")' in js  # 1.2e-05, as Python writes it
    assert json.dumps(controls.SYMBOLS, ensure_ascii=False).count("γ") == 2
