r"""Interactive figures in the static book: Bokeh, whose JavaScript is served with the book.

A figure built with Bokeh is a document of models (plots, lines, sliders, the JavaScript
callbacks that move them) that BokehJS draws in the browser, with no kernel. :func:`embed`
turns one into a notebook output that works in three places:

* **the book's HTML**: BokehJS is served with the book, from the files of the installed
  ``bokeh`` wheel (``make book`` copies them with :func:`copy_scripts` to
  ``_static/bokeh/``, as it copies MathJax): one copy for the whole site, loaded only by the
  pages that have such a figure, and nothing is fetched from the network;
* **a live notebook** (Jupyter, Colab): the same output loads BokehJS from Bokeh's CDN, as
  Bokeh's own notebook output does;
* **nbval**, which compares the stored output with a fresh run as text. The output is the
  same from run to run: the models' ids are numbered per figure (:func:`stable_ids`), the
  numbers that are written out as text come from the code (hyperparameters, a window,
  powers of ten from :func:`decades`), and the runs themselves travel as Bokeh's binary
  arrays, which ``nbval_sanitize.cfg`` reads as data, like an image's pixels.

Example:
    >>> from bokeh.plotting import figure
    >>> plot = figure(width=200, height=150)
    >>> _ = plot.line([0, 1], [0, 1])
    >>> html = embed(plot).data
    >>> "cdn.bokeh.org" in html and "_static/bokeh/" in html  # the CDN only outside the book
    True
    >>> decades([3e-7, 0.5, np.nan])
    (1e-07, 1.0)
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

#: The BokehJS bundles an interactive figure of the book needs (plots; sliders and buttons).
BUNDLES = ("bokeh", "bokeh-widgets")

#: Text sizes in CSS pixels, no smaller than the page's own small print (the theme's code and
#: captions, :data:`gdlib.viz.page.SMALL_PRINT_PX`), for the text BokehJS paints on its canvases.
FONT = {"title": "15px", "axis_label": "14px", "tick": "14px", "legend": "14px"}
#: The same for the text of Bokeh's widgets (slider titles, buttons; BokehJS's default is
#: 12 px): a CSS variable its style sheets read, set on the figure's ``div``.
WIDGET_STYLE = "--bokeh-font-size: 14px"

_figures = itertools.count(1)


def version() -> str:
    """The installed Bokeh's version (the BokehJS files are named after it)."""
    import bokeh

    return bokeh.__version__


def script_files() -> list[Path]:
    """The minified BokehJS files of :data:`BUNDLES` inside the installed ``bokeh`` wheel."""
    import bokeh

    folder = Path(bokeh.__file__).parent / "server" / "static" / "js"
    return [folder / f"{name}.min.js" for name in BUNDLES]


def served_name(bundle: str) -> str:
    """The name a bundle is served under, with the version: ``bokeh-3.9.2.min.js``."""
    return f"{bundle}-{version()}.min.js"


def copy_scripts(folder: Path | str) -> list[Path]:
    """Copy BokehJS from the wheel to ``folder`` (``make book``: ``_build/bokeh/bokeh``), which
    the book serves as ``_static/bokeh/``; returns the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for bundle, source in zip(BUNDLES, script_files(), strict=True):
        target = folder / served_name(bundle)
        shutil.copyfile(source, target)
        written.append(target)
    return written


# The loader each figure carries (a few hundred bytes). In the book's pages, which Sphinx
# marks with data-content_root, BokehJS comes from the book's own _static/bokeh/; elsewhere
# (a live notebook) from Bokeh's CDN. All figures of a page share one load.
_BOOT = """(function () {
  var target = "%(target)s", version = "%(version)s", bundles = %(bundles)s;
  var root = document.documentElement.getAttribute("data-content_root");
  var base = root !== null ? root + "_static/bokeh/"
                           : "https://cdn.bokeh.org/bokeh/release/";
  function load(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(script);
    });
  }
  if (!window.gdlibBokeh) {
    window.gdlibBokeh = window.Bokeh ? Promise.resolve() : bundles.reduce(function (ready, name) {
      return ready.then(function () { return load(base + name + "-" + version + ".min.js"); });
    }, Promise.resolve());
  }
  window.gdlibBokeh.then(function () {
    var item = JSON.parse(document.getElementById(target + "-item").textContent);
    return window.Bokeh.embed.embed_item(item, target);
  }).catch(function (error) {
    document.getElementById(target).textContent =
      "This interactive figure needs BokehJS, which did not load (" + error.message + ").";
    throw error;
  });
})();"""


def stable_ids(item: Any, prefix: str) -> Any:
    """``item`` (a Bokeh JSON item) with every model id replaced by ``prefix`` and the order in
    which the id first appears, so that the same figure gets the same ids in every run.

    Bokeh numbers its models with one counter per process (``p1001``, ``p1002``, ...), so a
    figure's ids depend on everything built before it; two figures on one page must also
    not share ids.

    Example:
        >>> stable_ids({"root_id": "p7", "doc": {"roots": [{"id": "p7"}, {"id": "p3"}]}}, "f1-")
        {'root_id': 'f1-1', 'doc': {'roots': [{'id': 'f1-1'}, {'id': 'f1-2'}]}}
    """
    names: dict[str, str] = {}

    def rename(old: str) -> str:
        return names.setdefault(old, f"{prefix}{len(names) + 1}")

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: (rename(value) if key in ("id", "root_id") and isinstance(value, str)
                          else walk(value)) for key, value in node.items()}
        if isinstance(node, list | tuple):  # Bokeh's maps are lists of (key, value) tuples
            return [walk(value) for value in node]
        return node

    return walk(item)


def embed(root: Any, *, on_ready: Iterable[Any] = ()) -> Any:
    """A Bokeh layout as an output for a notebook cell, which works in the book, offline.

    Args:
        root: a Bokeh model (a plot, a layout of plots and widgets).
        on_ready: ``CustomJS`` callbacks to run once the figure is drawn (e.g. to decode
            :mod:`gdlib.viz.packing` data into the plots).

    Returns:
        ``IPython.display.HTML``: a ``div``, the figure as JSON, and the loader.
    """
    from bokeh.document import Document
    from bokeh.embed import json_item
    from bokeh.events import DocumentReady
    from IPython.display import HTML

    number = next(_figures)
    target = f"gdlib-figure-{number}"
    document = Document()
    document.add_root(root)
    for callback in on_ready:
        document.js_on_event(DocumentReady, callback)
    item = stable_ids(json_item(root, target), f"f{number}-")
    text = json.dumps(item, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e")  # never ends the script tag
    boot = _BOOT % {"target": target, "version": version(), "bundles": json.dumps(BUNDLES)}
    return HTML(f'<div class="gdlib-figure" id="{target}" style="{WIDGET_STYLE}"></div>\n'
                f'<script type="application/json" id="{target}-item">{text}</script>\n'
                f"<script>\n{boot}\n</script>")


def decades(values: Any, *, span: float = 12.0, tolerance: float = 1e-3
            ) -> tuple[float, float]:
    """Powers of ten around the positive finite ``values``, at most ``span`` decades apart.

    For the limits of a log axis that a figure writes as text: the same on every machine
    although the last digits of the values are not. A value within ``tolerance`` (in
    decades) of a power of ten counts as that power, so that rounding noise cannot move a
    limit by a whole decade.

    Example:
        >>> decades([2e-9, 40.0])
        (1e-09, 100.0)
        >>> decades([1e-30, 10.0000001])  # at most 12 decades, and 10 stays 10
        (1e-11, 10.0)
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0:
        return 1e-12, 1.0
    high = np.ceil(np.log10(positive.max()) - tolerance)
    low = max(np.floor(np.log10(positive.min()) + tolerance), high - span)
    if low >= high:
        low = high - 1
    return float(10.0**low), float(10.0**high)


def log_ticks(low: float, high: float, most: int = 5) -> list[float]:
    """Powers of ten from ``low`` to ``high``, every decade or every few, at most ``most``
    (Bokeh's own log ticks label every decade, which crowds a short axis).

    Example:
        >>> log_ticks(1e-8, 10.0)
        [1e-07, 1e-05, 0.001, 0.1, 10.0]
    """
    first, last = int(np.ceil(np.log10(low) - 1e-9)), int(np.floor(np.log10(high) + 1e-9))
    stride = max(1, int(np.ceil((last - first + 1) / most)))
    exponents = range(last, first - 1, -stride)
    return [float(10.0**e) for e in sorted(exponents)]


def step_ticks(num_steps: int) -> list[int]:
    """Ticks for a step axis from 0 to ``num_steps`` in a narrow panel: three or four round
    steps from 0 (1, 2, 2.5 or 5 times a power of ten apart), none in the last tenth, where
    a label would run past the panel's edge.

    Example:
        >>> step_ticks(40), step_ticks(100), step_ticks(150), step_ticks(1000)
        ([0, 10, 20, 30], [0, 25, 50, 75], [0, 50, 100], [0, 250, 500, 750])
    """
    spacings = sorted({m * 10**e for e in range(10) for m in (1, 2, 5)}
                      | {25 * 10**e for e in range(9)})
    spacing = next(d for d in spacings if d >= num_steps / 4)
    return list(range(0, int(0.9 * num_steps) + 1, spacing))


def style(plot: Any, *, toolbar: bool = True) -> Any:
    """The book's look for a Bokeh plot: legible text (:data:`FONT`), a toolbar that shows
    on hover, no logo. Returns ``plot``."""
    plot.title.text_font_size = FONT["title"]
    plot.title.text_font_style = "normal"
    for axis in [*plot.xaxis, *plot.yaxis]:
        axis.axis_label_text_font_size = FONT["axis_label"]
        axis.axis_label_text_font_style = "normal"
        axis.major_label_text_font_size = FONT["tick"]
    plot.toolbar.logo = None
    plot.toolbar.autohide = True
    plot.toolbar_inner = True  # inside the frame, shown on hover: it takes no page width
    if not toolbar:
        plot.toolbar_location = None
    plot.background_fill_color = "white"
    plot.border_fill_color = "white"
    return plot


def glyph(plot: Any, source: Any, kind: str, *, name: str | None = None,
          tags: list[str] | None = None, **properties: Any) -> Any:
    """Add a ``bokeh.models`` glyph (``"Line"``, ``"Scatter"``, ...) to ``plot`` as one renderer.

    ``plot.line(...)`` makes four glyph models per renderer (for selection, non-selection,
    hover and muting), which a figure with dozens of renderers pays for in bytes and in
    seconds; this makes one, and BokehJS derives the others when it needs them.

    Example:
        >>> from bokeh.models import ColumnDataSource
        >>> from bokeh.plotting import figure
        >>> plot = figure()
        >>> r = glyph(plot, ColumnDataSource({"x": [0, 1], "y": [1, 0]}), "Line", x="x", y="y")
        >>> type(r.glyph).__name__, r.nonselection_glyph
        ('Line', 'auto')
    """
    import bokeh.models
    from bokeh.models import GlyphRenderer

    renderer = GlyphRenderer(data_source=source, glyph=getattr(bokeh.models, kind)(**properties),
                             name=name, tags=list(tags or []))
    plot.renderers.append(renderer)
    return renderer


def legend_item(label: str, plot: Any, renderers: list[Any]) -> Any:
    """A legend entry in ``plot`` for ``renderers`` that may all be in another plot.

    A legend draws an entry's sample with a renderer of its own plot; for renderers drawn
    elsewhere (the start and the minima on the map, with the legend beside the loss curves)
    this adds an empty copy of the first one to ``plot`` as the sample. A click on the entry
    hides or shows them all.
    """
    from bokeh.models import ColumnDataSource, LegendItem

    if not any(r in plot.renderers for r in renderers):
        first = renderers[0]
        # one point that is not drawn (NaN): a marker's sample needs a row to draw from
        columns = {k: np.full(1, np.nan) for k in first.data_source.column_names}
        sample = glyph(plot, ColumnDataSource(columns), type(first.glyph).__name__,
                       **first.glyph.properties_with_values(include_defaults=False))
        renderers = [sample, *renderers]
    return LegendItem(label=label, renderers=renderers)


_ITEM = re.compile(r'<script type="application/json" id="[^"]+-item">(.*?)</script>', re.S)


def item_of(html: str) -> dict[str, Any]:
    """The Bokeh JSON item embedded in an output of :func:`embed` (for tests and checks)."""
    match = _ITEM.search(html)
    if match is None:
        raise ValueError("no embedded Bokeh figure in this HTML")
    return json.loads(match.group(1))


def main(argv: list[str]) -> int:
    """``python -m gdlib.viz.web FOLDER``: copy BokehJS there (what ``make book`` runs)."""
    if len(argv) != 2:
        print(f"usage: {argv[0]} FOLDER", file=sys.stderr)
        return 2
    for path in copy_scripts(argv[1]):
        print(f"copied {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
