"""What the interactive figures share: sliders over lists of values, captions, every run's outcome.

An explorable figure (:func:`gdlib.viz.widgets.explorable`, :func:`gdlib.viz.curves.explorable`)
precomputes a run for every value of one or two hyperparameters; the reader moves a slider
along the list. This module holds the parts that do not depend on what a run is:

* :func:`slider_lists`: which keyword arguments are lists (the sliders) and which are fixed;
* :func:`nearest`, :func:`labels` and :func:`slider`: a slider over the indices of a list,
  which shows the value (three significant digits) and starts where asked;
* :func:`outcome_panel`: every run at a glance, a curve of the final gap against the value
  for one slider or a map over the grid for two, with a marker where the sliders are;
* :data:`FORMAT_JS`: Python's ``format(v, ".3g")`` in JavaScript, for the captions.

The numbers written into a figure as text are the labels (three digits of the values the
code gave) and powers of ten (:func:`gdlib.viz.web.decades`): the same on every machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

#: ``gdlibFormat(v)``: ``v`` as Python's ``format(v, ".3g")`` writes it ("0.0316", "1.2e-05").
FORMAT_JS = """
function gdlibFormat(v) {
  if (!isFinite(v)) return String(v);
  if (v === 0) return "0";
  const e = Math.floor(Math.log10(Math.abs(Number(v.toPrecision(3)))));
  if (e < -4 || e >= 3) {
    const parts = v.toExponential(2).split("e");
    const m = parts[0].includes(".") ? parts[0].replace(/0+$/, "").replace(/\\.$/, "") : parts[0];
    const x = Number(parts[1]);
    return m + "e" + (x < 0 ? "-" : "+") + String(Math.abs(x)).padStart(2, "0");
  }
  const p = v.toPrecision(3);
  return p.includes(".") ? p.replace(/0+$/, "").replace(/\\.$/, "") : p;
}
"""

#: Sliders' hyperparameters as the book writes them.
SYMBOLS = {"learning_rate": "η", "momentum": "γ", "decay": "γ", "rho": "ρ", "b1": "β₁",
           "b2": "β₂", "eps": "ε"}


def symbol(name: str) -> str:
    """The book's symbol for a hyperparameter (``"learning_rate"`` is η), else its name."""
    return SYMBOLS.get(name, name)


def slider_lists(hyperparams: Mapping[str, Any], most: int = 2
                 ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Split keyword arguments into the lists (one slider each, at most ``most``) and the
    fixed numbers.

    Example:
        >>> lists, fixed = slider_lists({"learning_rate": [0.1, 0.2], "momentum": 0.9})
        >>> list(lists), fixed
        (['learning_rate'], {'momentum': 0.9})
    """
    lists = {k: np.asarray(v, dtype=float) for k, v in hyperparams.items() if np.ndim(v) == 1}
    if not 1 <= len(lists) <= most:
        wanted = "one hyperparameter" if most == 1 else f"one to {most} hyperparameters"
        raise ValueError(f"give {wanted} as lists of values (the sliders), got "
                         f"{list(lists) or 'none'}")
    for name, values in lists.items():
        if values.size < 2:
            raise ValueError(f"{name} needs at least two values for a slider, got {values.size}")
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{name} must be finite numbers, got {values.tolist()}")
    return lists, {k: v for k, v in hyperparams.items() if k not in lists}


def nearest(values: Any, value: float | None) -> int:
    """The index of the value in ``values`` nearest to ``value`` (on a log scale when all are
    positive), or the middle one for ``None``.

    Example:
        >>> nearest([0.001, 0.01, 0.1, 1.0], 0.02), nearest([0.0, 0.5, 0.9], None)
        (1, 1)
    """
    values = np.asarray(values, dtype=float)
    if value is None:
        return int((values.size - 1) // 2)
    if np.all(values > 0) and value > 0:
        return int(np.argmin(np.abs(np.log(values) - np.log(value))))
    return int(np.argmin(np.abs(values - value)))


def labels(values: Any) -> list[str]:
    """How a slider shows each of its values: three significant digits.

    Example:
        >>> labels([0.001, 0.0316227766, 1.0])
        ['0.001', '0.0316', '1']
    """
    return [f"{float(v):.3g}" for v in values]


def slider(name: str, values: Any, *, value: float | None = None, width: int = 350) -> Any:
    """A Bokeh slider over the indices of ``values`` that shows the value itself
    (:func:`labels`), titled with the hyperparameter's symbol, starting at :func:`nearest`
    ``(values, value)``."""
    from bokeh.models import CustomJSTickFormatter, Slider

    text = labels(values)
    return Slider(start=0, end=len(text) - 1, value=nearest(values, value), step=1,
                  title=symbol(name), width=width,
                  format=CustomJSTickFormatter(args={"labels": text}, code="return labels[tick];"))


def outcome_panel(lists: Mapping[str, np.ndarray], outcome: Any, *, width: int = 220,
                  title: str = "final gap, every run") -> tuple[Any, Any, dict[str, Any]]:
    """Every run's outcome, with a marker for the run the sliders show.

    Args:
        lists: the sliders' values (one or two lists, the first changing slowest).
        outcome: each run's final gap (positive; NaN for a run that diverged), in grid order.
        width: the panel's plot area width in CSS pixels.
        title: the panel's title.

    Returns:
        ``(plot, current, args)``: the Bokeh plot; the source of its marker, which a callback
        moves (2-D: ``{"x": [i], "y": [j]}``, the slider indices; 1-D: ``{"x": [value],
        "y": [gap]}``); and what that callback needs besides (1-D: ``grid``, ``outcome``,
        ``top``, ``bottom``). For two lists the plot is a map of the grid (diverged runs in
        orange); for one a curve against the value (diverged runs as red crosses on top).
    """
    from bokeh.models import ColorBar, ColumnDataSource, FixedTicker, LogColorMapper, Range1d
    from bokeh.plotting import figure

    from gdlib.viz import web

    outcome = np.asarray(outcome, dtype=np.float64)
    positive = outcome[np.isfinite(outcome) & (outcome > 0)]
    bottom, top = web.decades(positive if positive.size else [1e-12, 1.0])
    names = list(lists)
    if len(names) == 2:
        n1, n2 = (len(v) for v in lists.values())
        plot = figure(frame_width=width, frame_height=width, title=f"{title} (click)",
                      x_range=Range1d(-0.5, n1 - 0.5), y_range=Range1d(-0.5, n2 - 0.5),
                      tools="tap", toolbar_location=None)
        mapper = LogColorMapper(palette="Viridis256", low=bottom, high=top,
                                nan_color="#f4a582", low_color="#440154")
        image = np.clip(outcome, 0, None).reshape(n1, n2).T.astype(np.float32)
        web.glyph(plot, ColumnDataSource({"image": [image]}), "Image", image="image", x=-0.5,
                  y=-0.5, dw=n1, dh=n2, color_mapper=mapper)
        for axis, name, n in ((plot.xaxis, names[0], n1), (plot.yaxis, names[1], n2)):
            ticks = sorted({0, n // 2, n - 1})
            text = labels(lists[name])
            axis.ticker = FixedTicker(ticks=ticks)
            axis.major_label_overrides = {t: text[t] for t in ticks}
            axis.axis_label = symbol(name)
        plot.add_layout(ColorBar(color_mapper=mapper, width=8, padding=2,
                                 major_label_text_font_size=web.FONT["tick"]), "right")
        current = ColumnDataSource({"x": [0], "y": [0]})
        web.glyph(plot, current, "Rect", x="x", y="y", width=1, height=1, fill_alpha=0,
                  line_color="white", line_width=2.5)
        plot.grid.visible = False
        return web.style(plot), current, {}
    values = np.asarray(next(iter(lists.values())), dtype=np.float64)
    log_x = bool(values.min() > 0 and values.max() / values.min() > 20)
    plot = figure(frame_width=width, frame_height=int(width * 0.6),
                  x_axis_type="log" if log_x else "linear", y_axis_type="log",
                  y_range=Range1d(bottom / 3, top * 3), tools="", toolbar_location=None,
                  title=f"{title}\n(✕: diverged)")  # two lines: one is wider than the panel
    ok = np.isfinite(outcome)
    source = ColumnDataSource({"x": values, "y": np.where(ok, np.maximum(outcome, bottom),
                                                          np.nan)})
    web.glyph(plot, source, "Line", x="x", y="y", line_color="gray")
    web.glyph(plot, source, "Scatter", x="x", y="y", size=5, fill_color="gray",
              line_color="gray")
    crosses = ColumnDataSource({"x": values[~ok], "y": np.full(int((~ok).sum()), top * 2.0)})
    web.glyph(plot, crosses, "Scatter", x="x", y="y", marker="x", size=8, line_color="red",
              line_width=2)
    current = ColumnDataSource({"x": values[:1], "y": np.full(1, top)})
    web.glyph(plot, current, "Scatter", x="x", y="y", size=12, fill_alpha=0,
              line_color="crimson", line_width=2)
    plot.xaxis.axis_label = symbol(names[0])
    plot.yaxis.ticker = FixedTicker(ticks=web.log_ticks(bottom / 3, top * 3, most=4))
    if log_x:
        plot.xaxis.ticker = FixedTicker(ticks=web.log_ticks(values.min(), values.max(), 4))
    return web.style(plot), current, {"grid": values, "outcome": outcome, "top": top * 2.0,
                                      "bottom": bottom}


#: ``gdlibMark(r)``: move an :func:`outcome_panel`'s marker to run ``r``; needs the callback
#: args ``sliders``, ``current``, ``diverged`` and the panel's own.
MARK_JS = """
function gdlibMark(r) {
  if (sliders.length == 2) {
    current.data = {x: [sliders[0].value], y: [sliders[1].value]};
  } else {
    current.data = {x: [grid[r]], y: [diverged[r] >= 0 ? top : Math.max(outcome[r], bottom)]};
  }
}
"""

#: A tap on a 2-D :func:`outcome_panel` moves both sliders to the cell; args ``sliders``,
#: ``sizes``.
TAP_JS = """
const i = Math.round(cb_obj.x), j = Math.round(cb_obj.y);
if (i >= 0 && i < sizes[0] && j >= 0 && j < sizes[1]) {
  sliders[0].value = i;
  sliders[1].value = j;
}
"""

#: ``gdlibIndex()``: the run the sliders point at, in grid order; args ``sliders``, ``sizes``.
INDEX_JS = """
function gdlibIndex() {
  let i = 0;
  for (let k = 0; k < sliders.length; k++) i = i * sizes[k] + sliders[k].value;
  return i;
}
"""


def caption_values(lists: Mapping[str, np.ndarray], fixed: Mapping[str, Any]) -> dict[str, Any]:
    """What a caption callback needs to write "η = 0.03, γ = 0.9" for the sliders' values
    and the fixed ones: ``labels`` (per slider), ``symbols`` and ``fixed`` (text)."""
    return {"labels": [labels(v) for v in lists.values()],
            "symbols": [symbol(k) for k in lists],
            "fixed": [f"{symbol(k)} = {float(v):.3g}" for k, v in fixed.items()]}


#: ``gdlibValues()``: "η = 0.03, γ = 0.9" for the sliders, then the fixed values.
VALUES_JS = """
function gdlibValues() {
  const shown = sliders.map(function (s, k) { return symbols[k] + " = " + labels[k][s.value]; });
  return shown.concat(fixed).join(", ");
}
"""
