"""Training curves on real data that a reader can scrub (static HTML) or slide (live kernel).

The counterpart of :mod:`gdlib.viz.widgets` for :func:`gdlib.train.training.train`: instead of a
path on a 2-D surface, the picture is the loss of a model during training, and beside it the final
loss for every value of the hyperparameter, so the current value shows where it sits: too
small, about right, too large or diverged.

* :func:`explorable`: every value trained in one ``vmap``-ped call, as an interactive figure
  for the static HTML: a slider over the values redraws the curve (Bokeh, see
  :mod:`gdlib.viz.web`).
* :func:`live_explorer`: a logarithmic slider that retrains with JAX as it moves.
* :func:`learning_rate_regimes`: "too small", "about right", "too large", "diverged", from the
  final losses of a sweep.
* :func:`update_losses` and :func:`epoch_gaps`: draw a run's loss per update and per epoch.

A run that diverges says so in its title ("diverged in epoch 3"); no value raises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from gdlib.optim.base import GradientTransformation
from gdlib.problems.data import Dataset
from gdlib.train.training import History, Loss, shuffled_orders, train_sweep
from gdlib.viz import controls, packing, page
from gdlib.viz.live_figure import LiveFigure
from gdlib.viz.widgets import SYMBOLS

PyTree = Any


def describe(history: History, index: int | None = None) -> str:
    """How a run ended, in a few words (``index`` picks a run of a sweep).

    Example:
        >>> import jax, gdlib
        >>> from gdlib.problems import data, models
        >>> from gdlib.train import training
        >>> loss = lambda p, x, y: models.mean_squared_error(models.linear(p, x), y)
        >>> runs = training.train_sweep(gdlib.sgd, loss, models.init_linear(jax.random.key(0), 10),
        ...                             data.diabetes(), jax.random.key(1), 3, 16,
        ...                             learning_rate=[0.01, 10.0])
        >>> describe(runs, 0), describe(runs, 1)
        ('training loss 0.507 after 3 epochs', 'diverged in epoch 1')
    """
    losses = np.asarray(history.train_losses if index is None else history.train_losses[index])
    diverged_at = int(history.diverged_at if index is None else history.diverged_at[index])
    if diverged_at >= 0:
        return f"diverged in epoch {diverged_at}"
    return f"training loss {losses[-1]:.3g} after {losses.shape[-1] - 1} epochs"


def learning_rate_regimes(learning_rates: Any, histories: History, optimum: float = 0.0,
                          factor: float = 3.0) -> list[str]:
    """Name each run of a learning-rate sweep by how it ended, relative to the best run.

    The best run is the one with the smallest final training loss; a run that did not
    diverge is "about right" when its gap to ``optimum`` is within ``factor`` times the best
    gap, otherwise "too small" or "too large" by the side of the best rate it lies on.

    Example:
        >>> import jax, gdlib
        >>> from gdlib.problems import data, models
        >>> from gdlib.train import training
        >>> loss = lambda p, x, y: models.mean_squared_error(models.linear(p, x), y)
        >>> rates = [1e-4, 0.02, 10.0]
        >>> runs = training.train_sweep(gdlib.sgd, loss, models.init_linear(jax.random.key(0), 10),
        ...                             data.diabetes(), jax.random.key(1), 10, 16,
        ...                             learning_rate=rates)
        >>> learning_rate_regimes(rates, runs, optimum=0.4878)
        ['too small', 'about right', 'diverged']
    """
    rates = np.asarray(learning_rates, dtype=float)
    diverged = np.asarray(histories.diverged_at) >= 0
    gaps = np.asarray(histories.train_losses[:, -1], dtype=float) - optimum
    if diverged.all():
        return ["diverged"] * len(rates)
    best = int(np.argmin(np.where(diverged, np.inf, gaps)))
    labels = []
    for i, rate in enumerate(rates):
        if diverged[i]:
            labels.append("diverged")
        elif gaps[i] <= factor * max(gaps[best], 0.0):
            labels.append("about right")
        else:
            labels.append("too small" if rate < rates[best] else "too large")
    return labels


def update_losses(ax: Axes, history: History, *, label: str | None = None, color: Any = None,
                  lw: float = 0.6, alpha: float = 0.8, **kwargs: Any) -> Line2D:
    """Draw the mini-batch loss of every update against the epoch, so runs with different
    batch sizes share an axis.

    The loss is the one measured *before* the update, so update ``k`` (from 0) of ``B`` per
    epoch is drawn at ``k / B``, the share of the data already used: batch gradient descent
    gives one point per whole epoch, starting at 0.
    """
    losses = np.asarray(history.update_losses, dtype=float).ravel()
    per_epoch = np.shape(history.update_losses)[-1]
    x = np.arange(losses.size) / per_epoch
    (line,) = ax.plot(x, losses, color=color, lw=lw, alpha=alpha, label=label, **kwargs)
    ax.set(xlabel="epoch", ylabel="loss on the update's batch")
    return line


def epoch_gaps(ax: Axes, history: History, optimum: float, *, label: str | None = None,
               color: Any = None, **kwargs: Any) -> Line2D:
    """Draw the whole training set's loss minus ``optimum`` after each epoch, on a log scale."""
    gaps = _gaps(history.train_losses, optimum)
    (line,) = ax.semilogy(np.arange(gaps.size), gaps, color=color, label=label, **kwargs)
    ax.set(xlabel="epoch", ylabel=r"$L(\theta) - L(\theta^\star)$")
    return line


def _gaps(losses: Any, optimum: float) -> np.ndarray:
    gap = np.asarray(losses, dtype=float) - optimum
    return np.where(np.isfinite(gap) & (gap > 0), gap, np.nan)


def _limits(runs: History, optimum: float) -> tuple[float, float]:
    gaps = _gaps(runs.train_losses, optimum)
    finite = gaps[np.isfinite(gaps)]
    if finite.size == 0:
        return 1e-6, 1.0
    start = np.nanmax(gaps[..., 0]) if np.any(np.isfinite(gaps[..., 0])) else finite.max()
    return max(finite.min(), 1e-12) / 3, min(finite.max(), start * 1e3) * 3


FIGSIZE = (page.COLUMN_INCHES, 3.4)


def _figure(values: np.ndarray, finals: np.ndarray, diverged: np.ndarray, name: str,
            limits: tuple[float, float], num_epochs: int, fig: Any = None):
    """Draw the still parts on ``fig`` (default: a new pyplot figure); the moving artists."""
    if fig is None:
        fig = plt.figure(figsize=FIGSIZE, layout="constrained")
    ax_curve, ax_sweep = fig.subplots(1, 2)
    ax_curve.set(xlim=(0, num_epochs), ylim=limits, yscale="log", xlabel="epoch")
    ok = ~diverged
    ax_sweep.loglog(values[ok], np.clip(finals[ok], *limits), "o-", color="gray", ms=4)
    ax_sweep.plot(values[diverged], np.full(diverged.sum(), limits[1] / 2), "x", color="red",
                  ms=7, label="diverged")
    ax_sweep.set(ylim=limits, xlabel=SYMBOLS.get(name, name), ylabel="after the last epoch",
                 title="every run", yscale="log")
    if diverged.any():
        ax_sweep.legend(loc="upper left")
    (marker,) = ax_sweep.plot([], [], "o", ms=10, mfc="none", mec="crimson", mew=2)
    (curve,) = ax_curve.plot([], [], "o-", color="crimson", lw=2, ms=3)
    return fig, curve, marker


def _label(optimum: float) -> str:
    return "training loss" if optimum == 0 else f"training loss - {optimum:.4g}"


def live_explorer(make_optimizer: Callable[..., GradientTransformation], loss_fn: Loss,
                  params: PyTree, data: Dataset, key: Any, num_epochs: int, batch_size: int,
                  *, optimum: float = 0.0, learning_rate: tuple[float, float, float],
                  num_points: int = 13, **fixed: float):
    """A logarithmic learning-rate slider that retrains ``make_optimizer`` as it moves.

    The right panel (final loss against the rate, ``num_points`` rates from ``low`` to
    ``high``) is trained once, when the explorer is made; each move of the slider then
    retrains one run with the same compiled code.

    Args:
        learning_rate: ``(low, high, value)`` of the slider.
        **fixed: the optimizer's other hyperparameters, numbers.

    Returns:
        An ``ipywidgets.VBox``: the slider, then the figure (in a notebook, end the cell
        with it).
    """
    import ipywidgets

    low, high, value = learning_rate
    values = np.geomspace(low, high, num_points)
    # The same mini-batches as train(key=key), shuffled once here rather than at every move.
    orders = shuffled_orders(key, num_epochs, data.x_train.shape[0])
    runs = train_sweep(make_optimizer, loss_fn, params, data, None, num_epochs, batch_size,
                       orders=orders, learning_rate=values, **fixed)
    diverged = np.asarray(runs.diverged_at) >= 0
    limits = _limits(runs, optimum)
    finals = _gaps(runs.train_losses[:, -1], optimum)
    slider = ipywidgets.FloatLogSlider(value=value, base=10, min=np.log10(low),
                                       max=np.log10(high), step=0.02, description="η",
                                       readout_format=".3g", continuous_update=False)
    live = LiveFigure(figsize=FIGSIZE)
    curve, marker = _figure(values, finals, diverged, "learning_rate", limits, num_epochs,
                            live.figure)[1:]
    live.figure.axes[0].set(ylabel=_label(optimum), title="this run")
    heading = live.figure.suptitle(" ")
    live.moving(curve, marker, heading)  # the axes and every run's curve are drawn once
    epochs = np.arange(num_epochs + 1)

    def redraw(*_):
        rate = float(slider.value)
        one = train_sweep(make_optimizer, loss_fn, params, data, None, num_epochs, batch_size,
                          orders=orders, learning_rate=[rate], **fixed)
        curve.set_data(epochs, _gaps(one.train_losses[0], optimum))
        bad = int(one.diverged_at[0]) >= 0
        final = _gaps(one.train_losses[0, -1], optimum)
        marker.set_data([rate], [limits[1] / 2 if bad else np.clip(final, *limits)])
        heading.set_text(f"η = {rate:.3g}: {describe(one, 0)}")
        live.refresh()

    slider.observe(redraw, names="value")
    redraw()
    return ipywidgets.VBox([slider, live.image])


# The explorable's callback: decode the run the slider points at and draw it.
_EXPLORE_JS = (packing.DECODE_JS + controls.FORMAT_JS + controls.INDEX_JS + controls.VALUES_JS
               + controls.MARK_JS + """
function gdlibShow() {
  const r = gdlibIndex(), n = epochs + 1;
  const epoch = new Float64Array(n);
  for (let t = 0; t < n; t++) epoch[t] = t;
  curve.data = {epoch: epoch, gap: gdlibDecode(packed, r * n, n, box[0], box[1], true)};
  const ending = diverged[r] >= 0 ? "diverged in epoch " + diverged[r]
                                  : "training loss " + gdlibFormat(finals[r]) + " after "
                                    + epochs + " epochs";
  caption.text = gdlibValues() + ": " + ending;
  gdlibMark(r);
}
gdlibShow();
""")


def explorable(make_optimizer: Callable[..., GradientTransformation], loss_fn: Loss,
               params: PyTree, data: Dataset, key: Any, num_epochs: int, batch_size: int, *,
               optimum: float = 0.0, initial: Mapping[str, float] | None = None,
               width: int = 270, **hyperparams: Any):
    """Training curves for every value of one hyperparameter, trained in one vmapped call, as
    an interactive figure that works in a static page, offline.

    Left, the training loss (minus ``optimum``) after each epoch for the value the slider
    shows, with a caption saying how the run ended (as :func:`describe` writes it); right,
    every run's loss after the last epoch against the value, with a marker on the current
    one, so the reader sees where it sits: too small, about right, too large, diverged.

    Args:
        make_optimizer: an optimizer factory such as ``gdlib.sgd``.
        loss_fn, params, data, key, num_epochs, batch_size: as in
            :func:`gdlib.train.training.train`; every run sees the same mini-batches.
        optimum: subtracted from the losses before the log scale (e.g. the batch solution's
            training loss), 0 by default.
        initial: where the slider starts (the nearest value; default: the middle one).
        width: the width of the left panel in CSS pixels (270: the whole figure, 662 px,
            fits the book's 688-px column, :data:`gdlib.viz.page.COLUMN_PX`).
        **hyperparams: exactly one list (the slider) and any fixed numbers.

    Returns:
        ``IPython.display.HTML`` (see :func:`gdlib.viz.web.embed`).
    """
    from bokeh.layouts import column, row
    from bokeh.models import ColumnDataSource, CustomJS, Div, FixedTicker, HoverTool, Range1d
    from bokeh.plotting import figure

    from gdlib.viz import web

    lists, fixed = controls.slider_lists(hyperparams, most=1)
    runs = train_sweep(make_optimizer, loss_fn, params, data, key, num_epochs, batch_size,
                       **hyperparams)
    gaps = _gaps(runs.train_losses, optimum)
    box = list(packing.GAP_EXPONENTS)
    codes = packing.pack_log(gaps, *box)
    diverged = np.asarray(runs.diverged_at, dtype=np.int32)
    finals = np.asarray(runs.train_losses[:, -1], dtype=np.float32)
    low, high = web.decades(_limits(runs, optimum))  # up to 1000x the start: not the blow-ups

    plot = figure(frame_width=width, frame_height=int(width * 0.75), y_axis_type="log",
                  x_range=Range1d(0, num_epochs, bounds=(0, num_epochs)),
                  y_range=Range1d(low, high), tools="pan,wheel_zoom,box_zoom,reset",
                  title="this run")
    curve = ColumnDataSource({"epoch": np.zeros(0), "gap": np.zeros(0)})
    color = "crimson"
    line = web.glyph(plot, curve, "Line", x="epoch", y="gap", line_color=color, line_width=2)
    web.glyph(plot, curve, "Scatter", x="epoch", y="gap", size=5, fill_color=color,
              line_color=color)
    plot.xaxis.axis_label = "epoch"
    plot.yaxis.axis_label = _label(optimum)
    plot.yaxis.ticker = FixedTicker(ticks=web.log_ticks(low, high, most=6))
    plot.add_tools(HoverTool(renderers=[line], tooltips=[("epoch", "@epoch{0}"),
                                                         ("loss", "@gap{%.3g}")],
                             formatters={"@gap": "printf"}, mode="vline"))
    web.style(plot)
    name, values = next(iter(lists.items()))
    slider = controls.slider(name, values, value=(initial or {}).get(name),
                             width=int(width * 1.2))
    caption = Div(text="", width=int(width * 1.2), styles={"font-size": "14px"})
    outcome = np.where(diverged >= 0, np.nan, _gaps(finals, optimum))
    every, current, extra = controls.outcome_panel(lists, outcome, width=int(width * 0.75),
                                                   title="after the last epoch")
    every.frame_height = plot.frame_height
    every.yaxis.axis_label = _label(optimum)
    show = CustomJS(code=_EXPLORE_JS, args={
        "sliders": [slider], "sizes": [len(values)], "curve": curve, "packed": codes.ravel(),
        "box": box, "epochs": int(num_epochs), "diverged": diverged, "finals": finals,
        "caption": caption, "current": current, **controls.caption_values(lists, fixed),
        **extra})
    slider.js_on_change("value", show)
    layout = column(row(plot, every), caption, slider)
    return web.embed(layout, on_ready=[show])
