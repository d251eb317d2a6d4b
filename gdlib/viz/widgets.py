"""Let a reader move a hyperparameter and watch the run change, with or without a kernel.

* :func:`live_explorer`: sliders that recompute the run with JAX in a live kernel (Jupyter,
  Colab). Every change calls the same compiled :func:`gdlib.sweep`, so only drawing costs time.
* :func:`explorable`: the same picture precomputed over one or two lists of values (a grid of
  runs, in one vmapped call) as an interactive figure for the static HTML: a slider per
  hyperparameter, the path redrawn as they move, and beside them every run's outcome
  (Bokeh, see :mod:`gdlib.viz.web`).

A run that diverges says so in its title ("diverged at step 7"): its loss stopped being a
number or passed ``max_loss`` (default :data:`MAX_LOSS`). No value a slider can reach raises an
error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from gdlib.optim.base import GradientTransformation
from gdlib.problems.surfaces import Surface
from gdlib.train.runner import Trajectory, grid, sweep
from gdlib.viz import controls, packing, palette
from gdlib.viz.live_figure import LiveFigure
from gdlib.viz.plotting import contour, loss_curve, path

#: A loss above this counts as diverged in the pictures (the test surfaces start below 100).
MAX_LOSS = 1e6

SYMBOLS = controls.SYMBOLS


def title(hyperparams: dict[str, float], trajectory: Trajectory) -> str:
    """A one-line caption: the hyperparameters and how the run ended.

    Example:
        >>> import jax.numpy as jnp, gdlib
        >>> run = gdlib.run(gdlib.sgd(1.5), lambda t: jnp.sum(t**2), jnp.array([1.0]), 80)
        >>> title({"learning_rate": 1.5}, run)
        'η = 1.5: diverged at step 64'
    """
    values = ", ".join(f"{SYMBOLS.get(k, k)} = {float(v):.3g}" for k, v in hyperparams.items())
    return f"{values}: {trajectory.describe()}"


def live_limits(start_gap: float) -> tuple[float, float]:
    """The loss axis of a live explorer, fixed so that a move redraws only the curve: from a
    hundred times the start's gap down twelve decades, in powers of ten.

    Example:
        >>> live_limits(2.5)
        (1e-09, 1000.0)
    """
    from gdlib.viz.web import decades

    start_gap = float(start_gap)
    if not (np.isfinite(start_gap) and start_gap > 0):
        start_gap = 1.0
    return decades([start_gap * 1e-12, start_gap * 100])


def _one(runs: Trajectory, i: int) -> Trajectory:
    return Trajectory(runs.params[i], runs.losses[i], runs.diverged_at[i])


def _move(line: Any, curve: Any, run: Trajectory, min_value: float) -> None:
    """Show ``run`` with the path ``line`` and the loss ``curve`` drawn for an earlier run."""
    xy = np.asarray(run.params)
    line.set_data(xy[:, 0], xy[:, 1])
    gap = np.asarray(run.losses, dtype=float) - min_value
    curve.set_data(np.arange(gap.size), np.where(gap > 0, gap, np.nan))


def live_explorer(surface: Surface, make_optimizer: Callable[..., GradientTransformation],
                  num_steps: int, *, start: Any = None, max_loss: float = MAX_LOSS,
                  **ranges: tuple[float, float, float]):
    """Sliders that rerun ``make_optimizer`` on ``surface`` with JAX as they move.

    The figure is drawn once; a move of a slider reruns the compiled sweep and moves the
    path and the loss curve (:class:`gdlib.viz.live_figure.LiveFigure`).

    Args:
        surface: a :mod:`gdlib.problems.surfaces` test function.
        make_optimizer: an optimizer factory such as ``gdlib.momentum``.
        num_steps: updates per run.
        start: the starting point (default: the surface's).
        max_loss: a loss above this counts as diverged.
        **ranges: ``name=(low, high, value)`` for each slider; ``learning_rate`` gets a
            logarithmic slider, the others a linear one.

    Returns:
        An ``ipywidgets.VBox``: the sliders, in the order given, then the figure (in a
        notebook, end the cell with it).
    """
    import ipywidgets

    start = np.asarray(surface.start if start is None else start, dtype=np.float32)
    sliders = {}
    for name, (low, high, value) in ranges.items():
        label = SYMBOLS.get(name, name)
        if name == "learning_rate":
            sliders[name] = ipywidgets.FloatLogSlider(
                value=value, base=10, min=np.log10(low), max=np.log10(high), step=0.02,
                description=label, readout_format=".3g", continuous_update=True)
        else:
            sliders[name] = ipywidgets.FloatSlider(
                value=value, min=low, max=high, step=(high - low) / 100, description=label,
                readout_format=".3g", continuous_update=True)

    def run_for() -> tuple[dict[str, float], Trajectory]:
        values = {k: float(slider.value) for k, slider in sliders.items()}
        runs = sweep(make_optimizer, surface, start, num_steps, max_loss=max_loss,
                     **{k: [v] for k, v in values.items()})
        return values, _one(runs, 0)

    live = LiveFigure()
    ax_path, ax_loss = live.subplots(1, 2)
    contour(surface, ax_path)
    values, run = run_for()
    line = path(ax_path, run)
    curve = loss_curve(ax_loss, run, min_value=surface.min_value)
    ax_loss.set(xlim=(0, num_steps), ylim=live_limits(run.losses[0] - surface.min_value))
    heading = live.figure.suptitle(" ")
    live.moving(line, curve, heading)  # the map and the axes are drawn once

    def redraw(*_):
        values, run = run_for()
        _move(line, curve, run, surface.min_value)
        heading.set_text(title(values, run))
        live.refresh()

    for slider in sliders.values():
        slider.observe(redraw, names="value")
    redraw()
    return ipywidgets.VBox([*sliders.values(), live.image])


# JavaScript of the explorables: decode the chosen run and draw it (see gdlib.viz.packing).


# The explorable's callback: decode the run the sliders point at and draw it.
_EXPLORE_JS = (packing.DECODE_JS + controls.FORMAT_JS + controls.INDEX_JS + controls.VALUES_JS
               + controls.MARK_JS + """
function gdlibShow() {
  const r = gdlibIndex(), n = steps + 1, at = 3 * r * n;
  const step = new Float64Array(n);
  for (let t = 0; t < n; t++) step[t] = t;
  path.data = {x: gdlibDecode(packed, at, n, box[0], box[1], false),
               y: gdlibDecode(packed, at + n, n, box[2], box[3], false),
               step: step, gap: gdlibDecode(packed, at + 2 * n, n, box[4], box[5], true)};
  const ending = diverged[r] >= 0 ? "diverged at step " + diverged[r]
                                  : "loss " + gdlibFormat(finals[r]) + " after " + steps + " steps";
  caption.text = gdlibValues() + ": " + ending;
  gdlibMark(r);
}
gdlibShow();
""")


def explorable(surface: Surface, make_optimizer: Callable[..., GradientTransformation],
               num_steps: int, *, start: Any = None, max_loss: float = MAX_LOSS,
               title: str | None = None, width: int = 260,
               initial: Mapping[str, float] | None = None, **hyperparams: Any):
    """An interactive figure of ``make_optimizer`` on ``surface`` for every value of one or two
    hyperparameters, precomputed in one vmapped call: it works in a static page, offline.

    Each hyperparameter given as a list gets a slider (two lists span a grid, the first
    changing slowest, as in :func:`gdlib.grid`); numbers are shared by every run. Moving a
    slider redraws the run for those values: its path over the contour map, its gap to the
    minimum against the step, and a caption with the values and how the run ended (as
    :func:`title` writes it). Beside the sliders, every run's outcome
    (:func:`gdlib.viz.controls.outcome_panel`): for two sliders a map of the final gap over
    the grid, where a click moves the sliders, for one a curve against the value. Twenty
    values per slider feel continuous; the page carries every run packed
    (:mod:`gdlib.viz.packing`): a 20 x 20 grid of 100-step runs takes about 150 kB.

    Args:
        surface: a :mod:`gdlib.problems.surfaces` test function.
        make_optimizer: an optimizer factory such as ``gdlib.momentum`` (the path takes its
            colour in :mod:`gdlib.viz.palette`).
        num_steps: updates per run.
        start: the starting point (default: the surface's).
        max_loss: a loss above this counts as diverged.
        title: the map's title (default: the surface's name).
        width: the width of the map in CSS pixels.
        initial: where the sliders start, by hyperparameter (the nearest value of its list;
            default: the middle of each list).
        **hyperparams: one or two lists (the sliders) and any fixed numbers.

    Returns:
        ``IPython.display.HTML`` (see :func:`gdlib.viz.web.embed`).

    Example:
        >>> import gdlib
        >>> from gdlib.problems import surfaces
        >>> html = explorable(surfaces.quadratic_bowl(), gdlib.momentum, 20,
        ...                   learning_rate=[0.01, 0.1], momentum=[0.0, 0.5, 0.9]).data
        >>> "γ" in html, "Bokeh" in html
        (True, True)
    """
    from bokeh.layouts import column, row
    from bokeh.models import ColumnDataSource, CustomJS, Div, FixedTicker, HoverTool, Range1d
    from bokeh.plotting import figure

    from gdlib.viz import backdrop, web

    lists, fixed = controls.slider_lists(hyperparams)
    start = np.asarray(surface.start if start is None else start, dtype=np.float32)
    runs = sweep(make_optimizer, surface, start, num_steps, max_loss=max_loss,
                 **grid(**lists), **fixed)
    gaps = np.asarray(runs.losses, dtype=np.float64) - surface.min_value
    codes, box = packing.pack_paths(surface.window, np.asarray(runs.params), gaps)
    diverged = np.asarray(runs.diverged_at, dtype=np.int32)
    finals = np.asarray(runs.losses[:, -1], dtype=np.float32)
    low, high = web.decades(gaps)

    color = palette.color(getattr(make_optimizer, "__name__", ""))
    path_plot = backdrop.map_plot(surface, width=width, title=title)
    path = ColumnDataSource({k: np.zeros(0) for k in ("x", "y", "step", "gap")})
    trail = web.glyph(path_plot, path, "Line", x="x", y="y", line_color=color, line_width=2)
    web.glyph(path_plot, path, "Scatter", x="x", y="y", size=4, fill_color=color,
              line_color=color)
    web.glyph(path_plot, ColumnDataSource({"x": start[:1].astype(float),
                                           "y": start[1:].astype(float)}),
              "Scatter", x="x", y="y", size=10, fill_color="white", line_color="black",
              line_width=2)
    loss_plot = figure(frame_width=int(width * 0.7), frame_height=path_plot.frame_height,
                       y_axis_type="log", x_range=Range1d(0, num_steps, bounds=(0, num_steps)),
                       y_range=Range1d(low, high), tools="pan,wheel_zoom,box_zoom,reset",
                       title="gap to the minimum")
    curve = web.glyph(loss_plot, path, "Line", x="step", y="gap", line_color=color,
                      line_width=2)
    loss_plot.xaxis.axis_label = "step t"
    loss_plot.xaxis.ticker = FixedTicker(ticks=web.step_ticks(num_steps))
    loss_plot.yaxis.axis_label = "J(θₜ) − J*"
    tooltips = [("step", "@step{0}"), ("J − J*", "@gap{%.3g}")]
    path_plot.add_tools(HoverTool(renderers=[trail], tooltips=tooltips,
                                  formatters={"@gap": "printf"}))
    loss_plot.add_tools(HoverTool(renderers=[curve], tooltips=tooltips,
                                  formatters={"@gap": "printf"}, mode="vline"))
    web.style(loss_plot)

    sliders = [controls.slider(name, values, value=(initial or {}).get(name),
                               width=int(width * 1.35)) for name, values in lists.items()]
    caption = Div(text="", width=int(width * 1.4), styles={"font-size": "14px"})
    outcome = np.where(diverged >= 0, np.nan, np.maximum(finals - surface.min_value, 0.0))
    every, current, extra = controls.outcome_panel(
        lists, outcome, width=int(width * (0.6 if len(lists) == 2 else 0.8)))
    sizes = [len(v) for v in lists.values()]
    show = CustomJS(code=_EXPLORE_JS, args={
        "sliders": sliders, "sizes": sizes, "path": path, "packed": codes.ravel(), "box": box,
        "steps": int(num_steps), "diverged": diverged, "finals": finals, "caption": caption,
        "current": current, **controls.caption_values(lists, fixed), **extra})
    for s in sliders:
        s.js_on_change("value", show)
    if len(sliders) == 2:
        every.js_on_event("tap", CustomJS(args={"sliders": sliders, "sizes": sizes},
                                          code=controls.TAP_JS))
    layout = column(row(path_plot, loss_plot), row(column(caption, *sliders), every))
    return web.embed(layout, on_ready=[show])
