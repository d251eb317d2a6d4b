"""The browser check finds what a reader would trip over, statically and in Chromium."""

import base64
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).parent.parent / "scripts"
spec = importlib.util.spec_from_file_location("check_html", SCRIPTS / "check_html.py")
check_html = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_html)


def test_a_clean_page_passes(tmp_path):
    (tmp_path / "other.html").write_text('<p id="here">x</p>')
    (tmp_path / "plot.png").write_bytes(b"png")
    page = tmp_path / "page.html"
    page.write_text('<a href="other.html#here">ok</a><img src="plot.png"><a href="https://x.org">')
    assert check_html.static_problems(page, tmp_path) == []


def test_broken_links_images_tracebacks_and_reprs_are_reported(tmp_path):
    (tmp_path / "other.html").write_text('<p id="here">x</p>')
    page = tmp_path / "page.html"
    page.write_text(
        '<a href="missing.html">a</a><a href="other.html#nowhere">b</a><img src="gone.png">'
        "<pre>Traceback (most recent call last):</pre><p>&lt;Figure at 0x7f3a12&gt;</p>")
    problems = check_html.static_problems(page, tmp_path)
    assert "broken link missing.html" in problems
    assert "broken anchor other.html#nowhere" in problems
    assert "missing image gone.png" in problems
    assert "a traceback or an error output is shown" in problems
    assert "raw object repr shown: <Figure at 0x7f3a12>" in problems


def test_a_heavy_page_is_reported(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("x" * (check_html.PAGE_BUDGET_BYTES + 1))
    assert any("over the 8 MB budget" in p for p in check_html.static_problems(page, tmp_path))


def test_an_empty_cell_output_is_reported_and_a_full_one_is_not(tmp_path):
    page = tmp_path / "page.html"
    full = ('<div class="cell_output docutils container"><div class="output text_plain">'
            "<pre>loss 0.1</pre></div></div>"
            '<div class="cell_output docutils container"><img src="data:image/png;base64,x">'
            "</div>")
    empty = '<div class="cell_output docutils container"><div class="output">\n</div></div>'
    page.write_text(full)
    assert check_html.static_problems(page, tmp_path) == []
    page.write_text(full + empty)
    assert check_html.static_problems(page, tmp_path) == ["1 empty cell output(s)"]


def test_a_markdown_table_left_as_text_is_reported(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<p>| optimizer | tuned η | |---|---| | sgd | 0.1 |</p>")
    assert check_html.static_problems(page, tmp_path) == ["a Markdown table is shown as raw text"]
    page.write_text("<p>| optimizer | tuned η |\n|\u2014|\u2014|\n| sgd | 0.1 |</p>")  # smartquotes
    assert check_html.static_problems(page, tmp_path) == ["a Markdown table is shown as raw text"]
    page.write_text("<table><tr><td>sgd</td></tr></table><pre>a | b</pre>")
    assert check_html.static_problems(page, tmp_path) == []


def test_a_table_printed_as_plain_text_is_fine(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<pre>Method | Speed\n------ | -----\nSGD    | High</pre>")
    assert check_html.static_problems(page, tmp_path) == []


def test_figures_and_math_are_found_in_a_page():
    html = ('<p class="math notranslate">x</p><div class="gdlib-figure" id="gdlib-figure-3">'
            '</div><div class="gdlib-figure" id="gdlib-figure-4"></div>')
    assert check_html.figure_ids(html) == ["gdlib-figure-3", "gdlib-figure-4"]
    assert check_html.has_math(html) and not check_html.has_math("<p>no formulas</p>")


def test_requests_off_the_machine_are_blocked_and_fail_unless_known():
    visit = check_html.Visit()
    assert visit.request("file:///book/_static/bokeh/bokeh-3.9.2.min.js")
    assert visit.request("data:image/png;base64,xyz")
    assert not visit.request("https://cdn.bokeh.org/bokeh/release/bokeh-3.9.2.min.js")
    assert not visit.request("https://cdn.bokeh.org/bokeh/release/bokeh-3.9.2.min.js")
    assert visit.errors == ["a request leaves the machine: "
                            "https://cdn.bokeh.org/bokeh/release/bokeh-3.9.2.min.js"]


def test_javascript_errors_fail_except_the_known_harmless_ones():
    visit = check_html.Visit()
    visit.javascript_error("Identifier 'THEBE_JS_URL' has already been declared")
    visit.console("error", "Got invalid theme mode")  # the theme's noise: not a failure
    assert visit.errors == []
    visit.javascript_error("TypeError: x is undefined\n    at f (page.html:3)")
    visit.console("error", "[bokeh 3.9.2] failed to deserialize")
    assert visit.errors == ["JavaScript: TypeError: x is undefined",
                            "BokehJS: [bokeh 3.9.2] failed to deserialize"]


def test_a_page_weighs_its_html_and_its_images(tmp_path):
    (tmp_path / "plot.png").write_bytes(b"x" * 300)
    page = tmp_path / "page.html"
    page.write_text('<img src="plot.png"><img src="data:image/png;base64,x">')
    assert check_html.weight(page) == {"html": page.stat().st_size, "images": 300,
                                       "total": page.stat().st_size + 300}


def _page_with(tmp_path, figure_html, extra=""):
    from gdlib.viz import web

    web.copy_scripts(tmp_path / "_static" / "bokeh")
    page = tmp_path / "page.html"
    page.write_text('<!doctype html><html data-content_root="./"><head><meta charset="utf-8">'
                    f"</head><body>{figure_html}{extra}</body></html>")
    return page


def _figure(wired):
    from bokeh.layouts import column
    from bokeh.models import ColumnDataSource, CustomJS, Slider
    from bokeh.plotting import figure

    from gdlib.viz import web

    plot = figure(width=300, height=200)
    source = ColumnDataSource({"x": [0.0, 1.0], "y": [0.0, 1.0]})
    plot.line("x", "y", source=source, legend_label="a line")
    plot.legend.click_policy = "hide"
    slider = Slider(start=0, end=10, value=10, step=1, title="tilt")
    if wired:
        tilt = "s.data = {x: [0, 1], y: [0, cb_obj.value / 10]};"
        slider.js_on_change("value", CustomJS(args={"s": source}, code=tilt))
    return web.embed(column(plot, slider)).data


def _browser():
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Chromium is not installed (make check-html installs it)")
    from playwright.sync_api import sync_playwright

    return chromium, sync_playwright


def test_in_a_browser_a_working_figure_passes_and_a_dead_slider_or_a_cdn_fails(tmp_path):
    chromium, sync_playwright = _browser()
    working = _page_with(tmp_path / "a", _figure(wired=True))
    dead = _page_with(tmp_path / "b", _figure(wired=False),
                      '<script src="https://cdn.example.org/library.js"></script>')
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium,
                                             args=check_html.CHROMIUM_ARGS)
        good, checked = check_html.visit_page(browser, working, tmp_path / "a.png")
        bad, _ = check_html.visit_page(browser, dead, tmp_path / "b.png")
        browser.close()
    assert good.errors == [] and checked == 1 and (tmp_path / "a.png").exists()
    assert any("moving the slider of interactive figure 1" in e for e in bad.errors), bad.errors
    assert "a request leaves the machine: https://cdn.example.org/library.js" in bad.errors


def _matplotlib_png(path, fontsize, record=True, dpi=100):
    """A matplotlib PNG of a 10 x 3 inch figure whose smallest text is ``fontsize`` points,
    carrying the record of scripts/figure_text.py (or not)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3), dpi=dpi)
    ax.plot([0, 1], label="a line")
    ax.legend(fontsize=fontsize)
    value = json.dumps({"px": fontsize * dpi / 72, "pt": fontsize, "dpi": dpi, "text": "a line"})
    fig.savefig(path, metadata={check_html.FIGURE_TEXT_KEY: value} if record else None)
    plt.close(fig)
    return path


def test_the_text_chunks_of_a_png_are_read_and_anything_else_has_none(tmp_path):
    png = _matplotlib_png(tmp_path / "plot.png", 7).read_bytes()
    chunks = check_html.png_text(png)
    assert chunks["Software"].startswith("Matplotlib")
    assert json.loads(chunks[check_html.FIGURE_TEXT_KEY])["pt"] == 7
    assert check_html.png_text(b"GIF89a...") == {}
    encoded = "data:image/png;base64," + base64.b64encode(png).decode()
    assert check_html.image_bytes(tmp_path / "page.html", encoded) == png
    assert check_html.image_bytes(tmp_path / "page.html", "plot.png") == png
    assert check_html.image_bytes(tmp_path / "page.html", "gone.png") is None


def test_the_smallest_text_allowed_is_tied_to_the_page_s_small_print():
    assert check_html.min_text_px(14) == pytest.approx(14)
    assert check_html.min_text_px(20) > check_html.min_text_px(14)


def test_a_figure_whose_text_is_shown_too_small_fails_and_one_without_a_record_is_noted(tmp_path):
    from PIL import Image

    _matplotlib_png(tmp_path / "small.png", 11)  # 15.3 px in the PNG
    _matplotlib_png(tmp_path / "large.png", 16)  # 22.2 px in the PNG
    _matplotlib_png(tmp_path / "old.png", 7, record=False)
    Image.new("RGB", (10, 10)).save(tmp_path / "photo.png")  # not a figure: ignored
    shown = [{"src": name, "natural": 1000, "shown": 688}
             for name in ("photo.png", "small.png", "large.png", "old.png")]
    problems, notes = check_html.figure_text_problems(
        tmp_path / "page.html", {"small": 14.0, "what": "code", "images": shown})
    assert len(problems) == 1 and "figure 1 (small.png" in problems[0], problems
    assert "'a line' (11 pt), is shown 10.51 px high, under 14.00 px" in problems[0]
    assert notes == ["1 matplotlib figure(s) do not record their text size (re-execute the "
                     "notebook with scripts/execute_notebooks.py)"]
    shown[1]["shown"] = 1000  # at its natural width the same figure passes
    assert check_html.figure_text_problems(
        tmp_path / "page.html", {"small": 14.0, "what": "code", "images": shown})[0] == []


def test_the_kernel_hook_records_the_smallest_text_a_figure_draws(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(
        "import runpy, sys, matplotlib\n"
        "matplotlib.use('Agg')\n"
        f"runpy.run_path({str(SCRIPTS / 'figure_text.py')!r})['install']()\n"
        "import matplotlib.pyplot as plt\n"
        "from IPython.core import pylabtools\n"
        "fig, ax = plt.subplots(dpi=100)\n"
        "ax.plot([0, 1], label='drawn'); ax.legend(fontsize=8)\n"
        "ax.text(5, 5, 'outside', fontsize=6, visible=False)\n"
        "ax.set_title('')  # empty: not text\n"
        "sys.stdout.buffer.write(pylabtools.print_figure(fig, 'png'))\n")
    png = subprocess.run([sys.executable, str(script)], capture_output=True, check=True).stdout
    record = json.loads(check_html.png_text(png)[check_html.FIGURE_TEXT_KEY])
    assert record == {"px": 11.11, "pt": 8.0, "dpi": 100.0, "text": "drawn"}


def test_in_a_browser_a_figure_shown_narrower_than_its_pixels_fails_on_small_text(tmp_path):
    chromium, sync_playwright = _browser()
    _matplotlib_png(tmp_path / "plot.png", 11)
    page = tmp_path / "page.html"
    body = ('<main><p style="font-size:16px">Prose.</p><pre style="font-size:14px">code</pre>'
            '<details><summary>more</summary><img src="plot.png" style="width:{}px"></details>'
            "</main>")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium,
                                             args=check_html.CHROMIUM_ARGS)
        page.write_text(body.format(688))
        narrow, _ = check_html.visit_page(browser, page, tmp_path / "a.png")
        page.write_text(body.format(1000))
        full, _ = check_html.visit_page(browser, page, tmp_path / "b.png")
        browser.close()
    assert len(narrow.errors) == 1 and "is shown 10.51 px high, under 14.00 px" in narrow.errors[0]
    assert full.errors == []


def test_the_kernel_hook_stores_the_same_pixels_in_fewer_bytes(tmp_path):
    import io
    import pickle

    import numpy as np
    from PIL import Image

    script = tmp_path / "run.py"
    script.write_text(
        "import base64, io, pickle, runpy, sys, matplotlib\n"
        "matplotlib.use('Agg')\n"
        "import matplotlib.pyplot as plt\n"
        "from IPython.core import pylabtools\n"
        "fig, ax = plt.subplots(dpi=100)\n"
        "ax.contourf([[0, 1, 2], [1, 2, 3], [2, 3, 5]], levels=20, cmap='Blues')\n"
        "ax.plot([0, 2], [0, 2], label='a line'); ax.legend()\n"
        "plain = pylabtools.print_figure(fig, 'png')\n"
        f"runpy.run_path({str(SCRIPTS / 'figure_text.py')!r})['install']()\n"
        "hooked = pylabtools.print_figure(fig, 'png')\n"
        "encoded = pylabtools.print_figure(fig, 'png', base64=True)\n"
        "sys.stdout.buffer.write(pickle.dumps((plain, hooked, base64.b64decode(encoded))))\n")
    plain, hooked, decoded = pickle.loads(
        subprocess.run([sys.executable, str(script)], capture_output=True, check=True).stdout)
    assert decoded == hooked and len(hooked) < len(plain)
    before, after = Image.open(io.BytesIO(plain)), Image.open(io.BytesIO(hooked))
    assert (before.mode, after.mode) == ("RGBA", "RGB")
    assert np.array_equal(np.asarray(before.convert("RGB")), np.asarray(after))
    chunks = check_html.png_text(hooked)
    assert chunks["Software"].startswith("Matplotlib") and check_html.FIGURE_TEXT_KEY in chunks
