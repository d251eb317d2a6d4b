"""Open every page of the built book in headless Chromium, offline, and check what a reader sees.

Usage: python scripts/check_html.py [_build/html]   (run by `make check-html` after `make book`)

Playwright (a Python package of requirements.txt) drives the Chromium of the Debian package
(``make check-html`` installs it with apt-get if it is missing; Playwright's own browser
download is not used). For each page listed in the book's table of contents (and the landing
page) it:

* takes a screenshot into ``_build/screenshots/`` (look at them: math, plots and interactive
  figures should be there);
* fails on a JavaScript error (an uncaught exception, or an error that BokehJS logs), except
  the known, harmless ones listed in ``KNOWN_HARMLESS``;
* fails on a request that leaves the machine (anything but ``file:``, ``data:`` and ``blob:``
  URLs: the book serves MathJax and BokehJS itself); every such request is blocked, so the
  page is seen as a reader without network sees it;
* fails on math that MathJax did not typeset;
* exercises every interactive figure (``gdlib.viz.web``): waits until BokehJS has drawn it,
  drags its first slider and, where it has a legend, clicks the first entry, and fails if
  the picture of its plots (their canvases, not the slider itself) does not change after
  either;
* fails on a missing image, a broken internal link or anchor, a Python traceback or error
  output, a raw object repr such as ``<Figure at 0x...>``, a Markdown table left as raw text,
  an empty cell output, and a page (with its images) over 8 MB;
* fails on a matplotlib figure whose smallest text the reader sees smaller than the page's
  own small print allows (``MIN_TEXT_RATIO``): the size of that text in PNG pixels is
  recorded in the PNG itself (a tEXt chunk written by ``scripts/figure_text.py`` when
  ``scripts/execute_notebooks.py`` ran the notebook), and the browser says how wide the image
  is shown; a figure without that record is noted, not failed (its notebook was executed
  before the record existed: ``make outputs`` writes it);
* writes each page's weight (its HTML and its images, the bytes a reader downloads for that
  page; the scripts every page shares are counted once, apart) to
  ``_build/page-weights.json``, and prints them.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import struct
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

PAGE_BUDGET_BYTES = 8_000_000
# Errors that do not break rendering, each with the reason it is harmless.
KNOWN_HARMLESS = {
    # sphinx-book-theme 1.x with launch buttons emits the thebe configuration script twice on
    # notebook pages; the second `const` declaration fails, the first one stays in force.
    "Identifier 'THEBE_JS_URL' has already been declared",
}
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--hide-scrollbars"]
VIEWPORT = {"width": 1280, "height": 2400}
TIMEOUT_MS = 30_000
REPR = re.compile(r"<[\w.]+(?: object)? at 0x[0-9a-fA-F]+>")
# A Markdown table left as text: its rule row, "|---|" (Sphinx's smartquotes make it "|—|").
RAW_TABLE = re.compile(r"\|\s*:?(?:-{3,}|[\u2013\u2014]+):?\s*\|")
FIGURE_ID = re.compile(r'<div class="gdlib-figure" id="([^"]+)"')
# Matplotlib's PNGs say so in their Software chunk; scripts/figure_text.py adds FIGURE_TEXT_KEY.
FIGURE_TEXT_KEY = "gdlib:smallest-text"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The text of a figure may be no smaller than the page's small print (its smallest prose-like
# text: code, the footer, captions: 14 px in sphinx-book-theme, 0.875 of the 16 px body).
# Matplotlib's default 10-point text is 13.9 px at 100 dpi even at its natural size; the
# book's style (gdlib.viz.page, "gdlib.viz.book") draws 11-point text in figures one column
# wide, 15.3 px.
MIN_TEXT_RATIO = 1.0
# The page's small print and, for every image, its natural and displayed width, measured with
# every dropdown open (a figure inside one is shown at the column's width once opened).
MEASURE_TEXT = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const main = document.querySelector('main') || document.body;
  const skip = 'script, style, sub, sup, mjx-container, .MathJax, .MathJax_Display, ' +
               '.MathJax_Preview, [class^="MJXp"], [id^="MathJax"], .gdlib-figure';
  let small = null, what = '';
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest(skip)) continue;
    if (el.getBoundingClientRect().width == 0) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (small === null || size < small) {
      small = size; what = node.textContent.trim().slice(0, 40);
    }
  }
  const images = [...main.querySelectorAll('img')].map(img => ({
    src: img.getAttribute('src'), natural: img.naturalWidth,
    shown: img.getBoundingClientRect().width}));
  return {small, what, images};
}"""
# For every interactive figure: how wide the column shows it, how far its content reaches,
# and its smallest text, both the HTML text of its widgets and legends (inside Bokeh's
# shadow roots) and the text BokehJS paints on its canvases (the font sizes of its models:
# titles, axes, legends, colour bars). Text without a letter or digit is an icon (the
# toolbar's "⋯"), not text a reader reads.
MEASURE_FIGURES = """() => {
  const figures = {};
  const smallest = (figure, size, text) => {
    if (figure.small === null || size < figure.small) { figure.small = size; figure.what = text; }
  };
  for (const el of document.querySelectorAll('.gdlib-figure')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;
    const figure = {width: box.width, content: box.width, small: null, what: ''};
    const walk = root => {
      for (const node of root.querySelectorAll('*')) {
        if (node.shadowRoot) walk(node.shadowRoot);
        const rect = node.getBoundingClientRect();
        if (rect.width === 0 || getComputedStyle(node).visibility === 'hidden') continue;
        figure.content = Math.max(figure.content, rect.right - box.left);
        for (const child of node.childNodes) {
          const text = child.nodeType === 3 ? child.textContent.trim() : '';
          if (/[\\p{L}\\p{N}]/u.test(text))
            smallest(figure, parseFloat(getComputedStyle(node).fontSize), text.slice(0, 40));
        }
      }
    };
    walk(el);
    figures[el.id] = figure;
  }
  for (const view of (window.Bokeh && Bokeh.index ? [...Bokeh.index] : [])) {
    const el = view.el && view.el.closest('.gdlib-figure');
    if (!el || !figures[el.id]) continue;
    for (const model of view.model.document.all_models) {
      const attributes = model.attributes || {};
      for (const [name, value] of Object.entries(attributes)) {
        const size = value && typeof value === 'object' ? value.value : value;
        // the size of a text the model does not draw (an axis without a label, a colour bar
        // without a title: axis_label_text_font_size goes with axis_label) does not count
        const text = name === 'text_font_size' ? 'text' : name.replace(/_text_font_size$/, '');
        if (text in attributes && !attributes[text]) continue;
        if (name.endsWith('font_size') && typeof size === 'string' && size.endsWith('px'))
          smallest(figures[el.id], parseFloat(size), `${model.type}.${name}`);
      }
    }
  }
  return figures;
}"""
MATH_TYPESET = ("() => document.querySelector('[id^=\"MathJax-Element\"], mjx-container, "
                ".MathJax_Display, .MathJax')")
MATH_IDLE = ("() => !(window.MathJax && MathJax.Hub && MathJax.Hub.queue)"
             " || (MathJax.Hub.queue.pending === 0 && MathJax.Hub.queue.running === 0)")
FIGURE_DRAWN = ("id => { const el = document.getElementById(id);"
                " return window.Bokeh && el && el.children.length > 0; }")


class PageParser(HTMLParser):
    """Collects ids, links, images and the visible text of one page."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.images: list[str] = []
        self.error_outputs = 0
        self.empty_outputs = 0
        self.text: list[str] = []
        self.prose: list[str] = []  # the visible text outside <pre> (printed output, code)
        self._skip = 0
        self._pre = 0
        self._divs: list[bool] = []  # for each open div: is it a cell's output area?
        self._output_content = 0  # text, images, scripts... seen in the open output area

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])
        classes = (attrs.get("class") or "").split()
        if "traceback" in classes or ("output" in classes and "error" in classes):
            self.error_outputs += 1
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "pre":
            self._pre += 1
        if tag == "div":
            is_output = "cell_output" in classes
            if is_output:
                self._output_content = 0
            self._divs.append(is_output)
        if tag in ("img", "script", "svg", "iframe", "video", "table", "input"):
            self._output_content += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag == "pre" and self._pre:
            self._pre -= 1
        if tag == "div" and self._divs and self._divs.pop() and not self._output_content:
            self.empty_outputs += 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)
            if not self._pre:
                self.prose.append(data)
            if data.strip():
                self._output_content += 1


def parse(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def pages(root: Path) -> list[Path]:
    """The landing page and every page of the table of contents, in book order."""
    toc = (Path(__file__).resolve().parent.parent / "_toc.yml").read_text()
    names = re.findall(r"(?:root|file):\s*(\S+)", toc)
    return [root / f"{name}.html" for name in names]


def _local_images(page: Path, parsed: PageParser) -> list[Path]:
    found = []
    for src in parsed.images:
        if src.startswith(("data:", "http://", "https://")):
            continue
        path = page.parent / unquote(urlparse(src).path)
        if path.exists():
            found.append(path)
    return found


def weight(page: Path) -> dict[str, int]:
    """The bytes of ``page``: its HTML (inline figures and their data included) and its
    images. The scripts and styles that every page shares (the theme, MathJax, BokehJS) are
    not counted: a reader's browser fetches them once for the whole book."""
    images = sum(p.stat().st_size for p in _local_images(page, parse(page)))
    html = page.stat().st_size
    return {"html": html, "images": images, "total": html + images}


def static_problems(page: Path, root: Path) -> list[str]:
    problems = []
    parsed = parse(page)
    for src in parsed.images:
        if src.startswith(("data:", "http://", "https://")):
            continue
        if not (page.parent / unquote(urlparse(src).path)).exists():
            problems.append(f"missing image {src}")
    for href in parsed.links:
        url = urlparse(href)
        if url.scheme or href.startswith(("mailto:", "//")):
            continue
        target = (page.parent / unquote(url.path)).resolve() if url.path else page
        if not target.exists():
            problems.append(f"broken link {href}")
        elif url.fragment and target.suffix == ".html":
            if url.fragment not in parse(target).ids:
                problems.append(f"broken anchor {href}")
    text = "".join(parsed.text)
    if "Traceback (most recent call last)" in text or parsed.error_outputs:
        problems.append("a traceback or an error output is shown")
    if parsed.empty_outputs:
        problems.append(f"{parsed.empty_outputs} empty cell output(s)")
    if RAW_TABLE.search("".join(parsed.prose)):
        problems.append("a Markdown table is shown as raw text")
    for match in sorted(set(REPR.findall(text))):
        problems.append(f"raw object repr shown: {match}")
    size = weight(page)["total"]
    if size > PAGE_BUDGET_BYTES:
        problems.append(f"page weighs {size / 1e6:.1f} MB, over the 8 MB budget")
    return problems


def png_text(data: bytes) -> dict[str, str]:
    """The tEXt chunks of a PNG (keyword: text); empty for anything that is not a PNG."""
    found: dict[str, str] = {}
    if not data.startswith(PNG_SIGNATURE):
        return found
    at = len(PNG_SIGNATURE)
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"tEXt" and b"\0" in body:
            keyword, text = body.split(b"\0", 1)
            found[keyword.decode("latin-1")] = text.decode("latin-1")
        if kind in (b"IDAT", b"IEND"):  # matplotlib writes its text before the pixels
            break
        at += 12 + length
    return found


def image_bytes(page: Path, src: str) -> bytes | None:
    """The bytes of an image of ``page``: a file next to it or a base64 data: URL."""
    if src.startswith("data:"):
        header, _, payload = src.partition(",")
        return base64.b64decode(payload) if header.endswith(";base64") else None
    if src.startswith(("http://", "https://")):
        return None
    path = page.parent / unquote(urlparse(src).path)
    return path.read_bytes() if path.is_file() else None


def min_text_px(small_print_px: float) -> float:
    """The smallest text a figure may show, in CSS pixels, on a page with this small print."""
    return MIN_TEXT_RATIO * small_print_px


def figure_text_problems(page: Path, measured: dict) -> tuple[list[str], list[str]]:
    """Problems (figures whose smallest text is shown too small) and notes (figures that do
    not say how small their text is), from what :data:`MEASURE_TEXT` measured on ``page``."""
    problems, unrecorded, number = [], 0, 0
    limit = min_text_px(measured["small"]) if measured.get("small") else None
    for image in measured["images"]:
        data = image_bytes(page, image["src"] or "")
        chunks = png_text(data) if data else {}
        if not chunks.get("Software", "").startswith("Matplotlib"):
            continue
        number += 1  # the figure's place among the page's Matplotlib figures
        if FIGURE_TEXT_KEY not in chunks:
            unrecorded += 1
            continue
        record = json.loads(chunks[FIGURE_TEXT_KEY])
        if record.get("px") is None or limit is None or not image["natural"]:
            continue
        shown = record["px"] * image["shown"] / image["natural"]
        if shown < limit:
            problems.append(
                f"figure {number} ({Path(image['src']).name[:12]}...): its smallest text, "
                f"{record['text']!r} ({record['pt']:g} pt), is shown {shown:.2f} px high, under "
                f"{limit:.2f} px ({MIN_TEXT_RATIO:g} x the page's small print, "
                f"{measured['small']:g} px)")
    notes = [f"{unrecorded} matplotlib figure(s) do not record their text size (re-execute the "
             f"notebook with scripts/execute_notebooks.py)"] if unrecorded else []
    return problems, notes


def interactive_figure_problems(measured: dict, small_print_px: float | None) -> list[str]:
    """Problems of the interactive figures, from what :data:`MEASURE_FIGURES` measured: one
    wider than the column (the reader would have to scroll it sideways), or with text shown
    smaller than the page's small print."""
    problems = []
    for number, (figure_id, figure) in enumerate(measured.items(), 1):
        name = f"interactive figure {number} ({figure_id})"
        if figure["content"] > figure["width"] + 1:
            problems.append(f"{name} is {figure['content']:.0f} px wide, wider than the "
                            f"column ({figure['width']:.0f} px)")
        if small_print_px and figure["small"] is not None:
            limit = min_text_px(small_print_px)
            if figure["small"] < limit:
                problems.append(f"{name}: its smallest text, {figure['what']!r}, is "
                                f"{figure['small']:g} px high, under {limit:.2f} px (the "
                                f"page's small print)")
    return problems


def figure_ids(html: str) -> list[str]:
    """The ids of the interactive figures (:func:`gdlib.viz.web.embed`) in a page's HTML."""
    return FIGURE_ID.findall(html)


def has_math(html: str) -> bool:
    return 'class="math' in html


class Visit:
    """What one page did in the browser: errors, notes, the requests that left the machine."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.notes: list[str] = []
        self.offsite: list[str] = []

    def request(self, url: str) -> bool:
        """Record a request; whether it may go ahead (only local ones may)."""
        if url.startswith(LOCAL_SCHEMES):
            return True
        if url not in self.offsite:
            self.offsite.append(url)
            self.errors.append(f"a request leaves the machine: {url}")
        return False

    def javascript_error(self, message: str) -> None:
        if not any(known in message for known in KNOWN_HARMLESS):
            self.errors.append(f"JavaScript: {message.strip().splitlines()[0][:300]}")

    def console(self, kind: str, text: str) -> None:
        if kind == "error" and "bokeh" in text.lower():
            self.errors.append(f"BokehJS: {text[:300]}")


def drag_slider(page, figure) -> bool:
    """Drag the figure's first slider handle to 30 % of its track; whether there was one.

    The page may still be moving under the mouse (MathJax typesets the math above the figure
    bit by bit, and each typeset formula shifts what follows), so a drag whose handle did not
    move is measured and tried again, a few times."""
    handles = figure.locator(".noUi-handle")
    if handles.count() == 0:
        return False
    first = handles.first
    start = first.get_attribute("aria-valuenow")
    for _ in range(3):
        # The figure may be in view with its slider still below the viewport's edge, where
        # the mouse cannot reach it.
        first.scroll_into_view_if_needed()
        handle = first.bounding_box()
        track = figure.locator(".noUi-base").first.bounding_box()
        y = handle["y"] + handle["height"] / 2
        page.mouse.move(handle["x"] + handle["width"] / 2, y)
        page.mouse.down()
        page.mouse.move(track["x"] + 0.3 * track["width"], y, steps=6)
        page.mouse.up()
        if first.get_attribute("aria-valuenow") != start:
            break
        page.wait_for_timeout(500)
    return True


def first_legend_label(page, figure_id: str) -> str | None:
    """The label of the first entry of a legend in the figure, from its Bokeh models."""
    return page.evaluate("""id => {
        const views = [];
        function walk(v) {
          views.push(v);
          for (const child of (v.child_views || [])) walk(child);
          if (v.renderer_views) for (const r of v.renderer_views.values()) views.push(r);
        }
        for (const root of Object.values(window.Bokeh.index)) {
          if (root.el.closest && root.el.closest("#" + id)) walk(root);
        }
        const legend = views.find(v => v.model.type == "Legend" && v.model.click_policy != "none");
        if (!legend || legend.model.items.length == 0) return null;
        const label = legend.model.items[0].label;
        return label && label.value !== undefined ? label.value : String(label);
    }""", figure_id)


def drawing(figure) -> list[str]:
    """The pixels of the figure's plots (its canvases, read from the canvases themselves), and
    not its widgets: a slider that moves its own handle, or shows a tooltip over a plot, but
    redraws nothing does not count as a change."""
    canvases = figure.locator("canvas")
    return [canvases.nth(i).evaluate("c => c.toDataURL()") for i in range(canvases.count())]


def exercise_figures(page, ids: list[str], visit: Visit) -> int:
    """Move a slider and toggle a legend entry in every figure; returns the figures checked."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    checked = 0
    for number, figure_id in enumerate(ids, 1):
        name = f"interactive figure {number} ({figure_id})"
        try:
            page.wait_for_function(FIGURE_DRAWN, arg=figure_id, timeout=TIMEOUT_MS)
        except PlaywrightTimeout:
            visit.errors.append(f"{name} was never drawn (BokehJS did not load or failed)")
            continue
        figure = page.locator(f"#{figure_id}")
        figure.scroll_into_view_if_needed()
        page.wait_for_timeout(300)  # the figure's first drawing, from its ready callback
        before = drawing(figure)
        if not before:
            visit.errors.append(f"{name} has no plot")
            continue
        if not drag_slider(page, figure):
            visit.errors.append(f"{name} has no slider")
            continue
        page.wait_for_timeout(300)
        moved = drawing(figure)
        if moved == before:
            visit.errors.append(f"moving the slider of {name} did not change its drawing")
        label = first_legend_label(page, figure_id)
        if label is not None:
            figure.get_by_text(label, exact=True).first.click()
            page.wait_for_timeout(300)
            if drawing(figure) == moved:
                visit.errors.append(f"hiding {label!r} from the legend of {name} did not "
                                    f"change its drawing")
            figure.get_by_text(label, exact=True).first.click()  # and back
        checked += 1
    return checked


def visit_page(browser, page_path: Path, shot: Path) -> tuple[Visit, int]:
    """Load one page offline, check its math and figures, take its screenshot."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    visit = Visit()
    html = page_path.read_text(encoding="utf-8")
    context = browser.new_context(viewport=VIEWPORT)
    context.route("**/*", lambda route: route.continue_() if visit.request(route.request.url)
                  else route.abort())
    page = context.new_page()
    page.on("pageerror", lambda error: visit.javascript_error(str(error)))
    page.on("console", lambda message: visit.console(message.type, message.text))
    try:
        page.goto(page_path.as_uri(), wait_until="load", timeout=TIMEOUT_MS)
        if has_math(html):
            try:
                page.wait_for_function(MATH_TYPESET, timeout=TIMEOUT_MS)
            except PlaywrightTimeout:
                visit.errors.append("the page's math was not typeset by MathJax")
            try:  # and until it has typeset all of it, so that the page stops moving
                page.wait_for_function(MATH_IDLE, timeout=TIMEOUT_MS)
            except PlaywrightTimeout:
                visit.notes.append("MathJax was still typesetting after 30 s")
        checked = exercise_figures(page, figure_ids(html), visit)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(shot))
        measured = page.evaluate(MEASURE_TEXT)
        problems, notes = figure_text_problems(page_path, measured)
        visit.errors += problems
        visit.errors += interactive_figure_problems(page.evaluate(MEASURE_FIGURES),
                                                    measured.get("small"))
        visit.notes += notes
    finally:
        context.close()
    return visit, checked


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "_build/html").resolve()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed (make check-html installs it with apt-get)")
        return 2
    from playwright.sync_api import sync_playwright

    shots = root.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    failed, weights, figures = 0, {}, 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for page in pages(root):
            if not page.exists():
                print(f"FAIL {page.relative_to(root)}: not built")
                failed += 1
                continue
            name = str(page.relative_to(root)).replace("/", "_").removesuffix(".html")
            visit, checked = visit_page(browser, page, shots / f"{name}.png")
            figures += checked
            errors = visit.errors + static_problems(page, root)
            weights[str(page.relative_to(root))] = weight(page)
            status = "FAIL" if errors else "ok  "
            extra = f", {checked} interactive figure(s) exercised" if checked else ""
            print(f"{status} {page.relative_to(root)}  (screenshot: {shots.name}/{name}.png"
                  f"{extra})")
            for line in errors:
                print(f"     - {line}")
            for line in sorted(set(visit.notes)):
                print(f"     note: {line}")
            failed += bool(errors)
        browser.close()
    (root.parent / "page-weights.json").write_text(json.dumps(weights, indent=1) + "\n")
    print("\nPage weights (HTML + images, kB):")
    for page_name, w in weights.items():
        print(f"  {page_name:<28}{w['total'] / 1e3:8.0f}")
    print(f"{figures} interactive figures moved and toggled; "
          f"{failed} of {len(pages(root))} pages failed the check")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
