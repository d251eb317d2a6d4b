"""Interactive figures for the static book: served BokehJS, stable ids, portable text."""

import base64
import configparser
import gzip
import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest

from gdlib.viz import web

ROOT = Path(__file__).resolve().parent.parent


def sanitize(text):
    """``text`` as nbval sees it with the book's sanitizer (nbval_sanitize.cfg)."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "nbval_sanitize.cfg")
    for section in config.sections():
        text = re.sub(config[section]["regex"], config[section]["replace"], text)
    return text


def arrays(html):
    """Every binary array of an embedded figure, decoded as BokehJS decodes it."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "ndarray":
                raw = base64.b64decode(node["array"]["data"])
                if raw[:2] == b"\x1f\x8b":
                    raw = gzip.decompress(raw)
                found.append(np.frombuffer(raw, dtype=node["dtype"]).reshape(node["shape"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(web.item_of(html))
    return found


def small_figure():
    from bokeh.models import ColumnDataSource, CustomJS, Slider
    from bokeh.plotting import figure

    plot = figure(width=200, height=150)
    source = ColumnDataSource({"x": np.arange(3.0), "y": np.arange(3.0)})
    web.glyph(plot, source, "Line", x="x", y="y")
    slider = Slider(start=0, end=2, value=0, step=1)
    slider.js_on_change("value", CustomJS(args={"sources": [source]}, code=""))
    from bokeh.layouts import column

    return column(slider, plot)


def test_every_model_is_defined_once_and_every_reference_points_at_one(monkeypatch):
    monkeypatch.setattr(web, "_figures", itertools.count(1))
    item = web.item_of(web.embed(small_figure()).data)
    text = json.dumps(item)
    defined = re.findall(r'"type": "object", "name": "\w+", "id": "([^"]+)"', text)
    referenced = set(re.findall(r'"id": "([^"]+)"', text))
    assert len(defined) == len(set(defined))
    assert referenced <= set(defined) | {item["root_id"]}
    assert all(i.startswith("f1-") for i in referenced)  # numbered per figure, not per process


def test_two_figures_share_no_ids_and_the_same_figure_gets_the_same_text(monkeypatch):
    monkeypatch.setattr(web, "_figures", itertools.count(1))
    first, second = web.embed(small_figure()).data, web.embed(small_figure()).data
    ids = [set(re.findall(r'"id":"([^"]+)"', h)) for h in (first, second)]
    assert not ids[0] & ids[1]
    monkeypatch.setattr(web, "_figures", itertools.count(1))
    from bokeh.plotting import figure

    figure()  # other models built in between shift Bokeh's own counter, not our ids
    assert web.embed(small_figure()).data == first


def test_the_output_loads_bokehjs_from_the_book_and_from_the_cdn_only_outside_it():
    html = web.embed(small_figure()).data
    assert 'getAttribute("data-content_root")' in html and '"_static/bokeh/"' in html
    assert f'version = "{web.version()}"' in html
    assert "<script src" not in html  # nothing loads before the page knows where it is
    script = re.search(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S)
    assert "<" not in script.group(1)  # the data can never close its script tag


def test_the_sanitizer_hides_the_data_and_nothing_else():
    html = web.embed(small_figure()).data
    clean = sanitize(html)
    assert '"type":"bytes","data":"DATA"' in clean
    assert not re.search(r'"type":"bytes","data":"(?!DATA")', clean)
    assert clean.count('"id":') == html.count('"id":')


def test_copy_scripts_copies_bokehjs_under_versioned_names(tmp_path):
    written = web.copy_scripts(tmp_path / "bokeh")
    assert [p.name for p in written] == [web.served_name(b) for b in web.BUNDLES]
    for path, source in zip(written, web.script_files(), strict=True):
        assert path.read_bytes() == source.read_bytes() and path.stat().st_size > 100_000


@pytest.mark.parametrize(("values", "limits"), [
    ([3e-7, 0.5], (1e-7, 1.0)), ([1e-30, 5.0], (1e-11, 10.0)), ([10.0000001, 0.02], (0.01, 10.0)),
    ([np.nan, -1.0], (1e-12, 1.0)), ([4.0, 4.0], (1.0, 10.0))])
def test_decades_are_powers_of_ten_that_do_not_move_with_rounding_noise(values, limits):
    assert web.decades(values) == limits
    noisy = [v * (1 + 1e-6) for v in values]
    assert web.decades(noisy) == limits


def test_log_ticks_are_few_powers_of_ten_inside_the_range():
    ticks = web.log_ticks(1e-9, 1e4, most=4)
    assert len(ticks) <= 4 and all(1e-9 <= t <= 1e4 for t in ticks)
    assert all(float(np.log10(t)).is_integer() for t in ticks)


def test_item_of_says_when_there_is_no_figure():
    with pytest.raises(ValueError, match="no embedded Bokeh figure"):
        web.item_of("<p>nothing</p>")
