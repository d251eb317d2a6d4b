r"""Race several optimizers on one surface: one compiled call, then pictures of the race.

* :func:`lineup`: the nine optimizers of the slides, named as the slides name them.
* :func:`race`: run them all from the same start, in one jitted call.
* :func:`standings`: how each run ended, as a small text table.
* :func:`draw`: paths on the contour map beside the loss curves (a still picture).
* :func:`replay`: the race as an interactive figure for the static HTML: every step, a step
  slider and a play button, optimizers shown or hidden from the legend, step and loss on
  hover (Bokeh, see :mod:`gdlib.viz.web`).
* :func:`draw_3d`: the paths on the surface itself, in three dimensions.

Every optimizer keeps one color in every picture (:data:`COLORS`, from
:mod:`gdlib.viz.palette`), so a reader can follow "Adam" from one figure to the next.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import jax
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gdlib.optim import optimizers
from gdlib.optim.base import GradientTransformation
from gdlib.optim.hyperparams import check_fraction, check_positive_int, check_range
from gdlib.problems.surfaces import Surface
from gdlib.train.runner import Trajectory, run
from gdlib.viz import packing, page, palette
from gdlib.viz.plotting import contour, marks_key

#: A loss above this counts as diverged (the test surfaces start below 100).
MAX_LOSS = 1e6

#: One color per optimizer, the same in every picture (:data:`gdlib.viz.palette.COLORS`).
COLORS = palette.COLORS


def lineup(sgd_rate: float = 0.01, adaptive_rate: float = 0.05, *, momentum: float = 0.9,
           adagrad_rate: float | None = None) -> dict[str, GradientTransformation]:
    r"""The nine optimizers of the slides, ready to race, in the slides' order.

    Two learning rates, because the two families measure a step differently: SGD, Momentum
    and NAG move by :math:`\eta\, g`, so their rate must suit the curvature; the adaptive
    methods move each coordinate by about :math:`\eta` whatever the gradient's size. Adagrad's
    steps shrink like :math:`1/\sqrt t`, so it gets ten times the adaptive rate unless told
    otherwise. Adadelta has no learning rate and keeps its defaults. Every other
    hyperparameter is the paper's default.

    Args:
        sgd_rate: :math:`\eta` of SGD, Momentum and NAG.
        adaptive_rate: :math:`\eta` of RMSprop, Adam, AdaMax and Nadam.
        momentum: :math:`\gamma` of Momentum and NAG.
        adagrad_rate: :math:`\eta` of Adagrad (default ``10 * adaptive_rate``).

    Returns:
        ``{"SGD": ..., "Momentum": ..., ..., "Nadam": ...}``, one entry per optimizer in
        :data:`gdlib.optim.optimizers.BY_NAME`.

    Example:
        >>> list(lineup())
        ['SGD', 'Momentum', 'NAG', 'Adagrad', 'Adadelta', 'RMSprop', 'Adam', 'AdaMax', 'Nadam']
    """
    momentum = check_fraction("momentum", momentum)
    if adagrad_rate is None:
        adagrad_rate = 10 * check_range("adaptive_rate", adaptive_rate, 0.0)
    return {
        "SGD": optimizers.sgd(sgd_rate),
        "Momentum": optimizers.momentum(sgd_rate, momentum),
        "NAG": optimizers.nesterov(sgd_rate, momentum),
        "Adagrad": optimizers.adagrad(adagrad_rate),
        "Adadelta": optimizers.adadelta(),
        "RMSprop": optimizers.rmsprop(adaptive_rate),
        "Adam": optimizers.adam(adaptive_rate),
        "AdaMax": optimizers.adamax(adaptive_rate),
        "Nadam": optimizers.nadam(adaptive_rate),
    }


@partial(jax.jit, static_argnums=(0, 1, 3, 4))
def _race(racers, surface, start, num_steps, max_loss):
    return tuple(run(opt, surface, start, num_steps, max_loss=max_loss) for opt in racers)


def race(surface: Surface, racers: Mapping[str, GradientTransformation], num_steps: int, *,
         start: Any = None, max_loss: float = MAX_LOSS) -> dict[str, Trajectory]:
    """Run every optimizer in ``racers`` on ``surface`` from the same start, in one call.

    All runs are traced into one jitted function (one compilation for the whole race rather
    than one per optimizer). A run that diverges is marked as :func:`gdlib.run` marks it.

    Args:
        surface: a :mod:`gdlib.problems.surfaces` test function.
        racers: optimizers by name, e.g. :func:`lineup`.
        num_steps: updates per run.
        start: the starting point (default: the surface's), computed in float32.
        max_loss: a loss above this counts as diverged.

    Returns:
        ``{name: Trajectory}`` in the order of ``racers``.

    Example:
        >>> import gdlib
        >>> from gdlib.problems import surfaces
        >>> runs = race(surfaces.quadratic_bowl(), {"SGD": gdlib.sgd(0.1)}, 50)
        >>> runs["SGD"].describe()
        'loss 2.99e-05 after 50 steps'
    """
    num_steps = check_positive_int("num_steps", num_steps)
    max_loss = float(check_range("max_loss", max_loss))
    start = np.asarray(surface.start if start is None else start, dtype=np.float32)
    runs = _race(tuple(racers.values()), surface, start, num_steps, max_loss)
    return dict(zip(racers, runs, strict=True))


def _gap(trajectory: Trajectory, min_value: float) -> np.ndarray:
    return np.asarray(trajectory.losses, dtype=float) - min_value


def standings(surface: Surface, runs: Mapping[str, Trajectory], *, tolerance: float = 1e-3
              ) -> str:
    r"""A text table: for each run, the final gap :math:`J(\theta_T) - J^\star`, and the step
    from which on the gap stays below ``tolerance`` (or when the run diverged).

    "Stays below" rather than "first falls below", so that a run which dips under the
    tolerance and bounces back out does not count as arrived.

    Example:
        >>> import gdlib
        >>> from gdlib.problems import surfaces
        >>> bowl = surfaces.quadratic_bowl()
        >>> runs = race(bowl, {"SGD": gdlib.sgd(0.1), "too fast": gdlib.sgd(0.3)}, 100)
        >>> print(standings(bowl, runs))
        optimizer   final gap   gap < 0.001 from step
        SGD          7.94e-10   34
        too fast     diverged   (at step 10)
    """
    width = max(len(name) for name in [*runs, "optimizer"]) + 2
    lines = [f"{'optimizer':<{width}}{'final gap':>10}   gap < {tolerance:g} from step"]
    for name, trajectory in runs.items():
        if bool(trajectory.diverged):
            final, reached = "diverged", f"(at step {int(trajectory.diverged_at)})"
        else:
            gap = _gap(trajectory, surface.min_value)
            above = np.flatnonzero(~(gap < tolerance))
            final = f"{gap[-1]:.2e}" if gap[-1] > 0 else "0"
            reached = ("never" if above.size and above[-1] == gap.size - 1
                       else str(above[-1] + 1 if above.size else 0))
        lines.append(f"{name:<{width}}{final:>10}   {reached}")
    return "\n".join(lines)


def _figure(surface: Surface, figsize: tuple[float, float], dpi: int = 100
            ) -> tuple[Figure, Axes, Axes]:
    fig, (ax_path, ax_loss) = plt.subplots(1, 2, figsize=figsize, dpi=dpi, layout="constrained",
                                           gridspec_kw={"width_ratios": [1.1, 1]})
    contour(surface, ax_path, n=121, levels=20)
    ax_loss.set(xlabel="step $t$", ylabel=r"$J(\theta_t) - J^\star$", yscale="log")
    return fig, ax_path, ax_loss


def _loss_limits(runs: Mapping[str, Trajectory], min_value: float) -> tuple[float, float]:
    gaps = np.concatenate([_gap(t, min_value) for t in runs.values()])
    finite = gaps[np.isfinite(gaps) & (gaps > 0)]
    if finite.size == 0:
        return 1e-12, 1.0
    return max(finite.min(), 1e-12) / 3, min(finite.max(), 1e12) * 3


def draw(surface: Surface, runs: Mapping[str, Trajectory], *, title: str | None = None,
         figsize: tuple[float, float] = (page.COLUMN_INCHES, 3.6)) -> Figure:
    """The race as a still picture: paths on the contour map, loss curves beside them.

    Example:
        >>> import gdlib
        >>> from gdlib.problems import surfaces
        >>> bowl = surfaces.quadratic_bowl()
        >>> fig = draw(bowl, race(bowl, {"SGD": gdlib.sgd(0.1)}, 20))
        >>> [line.get_label() for line in fig.axes[1].get_lines()]
        ['SGD']
    """
    fig, ax_path, ax_loss = _figure(surface, figsize)
    steps = 0
    for name, trajectory in runs.items():
        xy = np.asarray(trajectory.params)
        color = palette.color(name)
        ax_path.plot(xy[:, 0], xy[:, 1], "-", lw=1.4, color=color, label=name)
        gap = _gap(trajectory, surface.min_value)
        ax_loss.plot(np.arange(gap.size), np.where(gap > 0, gap, np.nan), lw=1.4, color=color,
                     label=name)
        steps = max(steps, gap.size - 1)
    ax_loss.set(xlim=(0, steps), ylim=_loss_limits(runs, surface.min_value))
    ax_path.set_title(title or surface.name)
    # One key below both panels, the runs and then the map's marks, in rows of up to four
    # (five would make the figure wider than the column): over the curves it would hide them.
    marks_key(fig, [surface], starts=False, handles=ax_loss.get_legend_handles_labels()[0],
              ncol=min(len(runs) + 1, 4))
    return fig


_REPLAY_JS = packing.DECODE_JS + """
function gdlibRace() {
  if (slider.__gdlib) return slider.__gdlib;
  const n = slider.end + 1, runs = [];
  for (let r = 0; r < trails.length; r++) {
    const at = 3 * r * n;
    runs.push({x: gdlibDecode(packed, at, n, box[0], box[1], false),
               y: gdlibDecode(packed, at + n, n, box[2], box[3], false),
               gap: gdlibDecode(packed, at + 2 * n, n, box[4], box[5], true)});
  }
  const step = new Float64Array(n);
  for (let t = 0; t < n; t++) step[t] = t;
  slider.__gdlib = {runs: runs, step: step};
  return slider.__gdlib;
}
function gdlibShow(t) {
  const race = gdlibRace();
  for (let r = 0; r < race.runs.length; r++) {
    const run = race.runs[r], k = t + 1;
    trails[r].data = {x: run.x.subarray(0, k), y: run.y.subarray(0, k),
                      step: race.step.subarray(0, k), gap: run.gap.subarray(0, k)};
    dots[r].data = {x: [run.x[t]], y: [run.y[t]], step: [t], gap: [run.gap[t]]};
  }
}
"""

_PLAY_JS = """
function stop() { clearInterval(button.__timer); button.__timer = null; button.label = "▶ Play"; }
if (button.__timer) { stop(); return; }
if (slider.value >= slider.end) slider.value = 0;
const stride = Math.max(1, Math.ceil(slider.end / 200));
button.label = "❚❚ Pause";
button.__timer = setInterval(function () {
  const next = Math.min(slider.end, slider.value + stride);
  slider.value = next;
  if (next >= slider.end) stop();
}, 40);
"""


def packed_runs(surface: Surface, runs: Mapping[str, Trajectory]) -> tuple[np.ndarray, list]:
    """The runs of a race as :func:`gdlib.viz.packing.pack_paths` packs them for a page.

    Example:
        >>> import gdlib
        >>> from gdlib.problems import surfaces
        >>> bowl = surfaces.quadratic_bowl()
        >>> codes, box = packed_runs(bowl, race(bowl, {"SGD": gdlib.sgd(0.1)}, 20))
        >>> codes.shape, codes.dtype, box
        ((1, 3, 21), dtype('uint16'), [-6.0, 6.0, -6.0, 6.0, -40.0, 10.0])
    """
    length = max(np.shape(t.losses)[-1] for t in runs.values())
    xy = np.full((len(runs), length, 2), np.nan)
    gaps = np.full((len(runs), length), np.nan)
    for r, trajectory in enumerate(runs.values()):
        steps = np.shape(trajectory.losses)[-1]
        xy[r, :steps] = np.asarray(trajectory.params, dtype=np.float64)
        gaps[r, :steps] = _gap(trajectory, surface.min_value)
    return packing.pack_paths(surface.window, xy, gaps)


#: The height of one row of a replay's legend, in CSS pixels (14-pixel text, 1 pixel apart).
LEGEND_ROW_PX = 19


def replay(surface: Surface, runs: Mapping[str, Trajectory], *, title: str | None = None,
           window: tuple[tuple[float, float], tuple[float, float]] | None = None,
           width: int = 250):
    """The race as an interactive figure that plays in a static web page, without a kernel.

    Left, the paths over the contour map up to the step the slider shows, with a dot where
    each optimizer is at that step; right, each optimizer's gap to the minimum against the
    step (faint: the whole run; bright: up to that step). The step slider and the play
    button move through every step of the race; a click on a name in the legend hides or
    shows that optimizer in both panels; hovering over a path or a curve gives the
    optimizer, the step and the gap. Each optimizer has its colour of
    :mod:`gdlib.viz.palette`. The map can be zoomed (the paths are vectors).

    Args:
        surface: the surface raced on.
        runs: trajectories by name, e.g. from :func:`race` (same number of steps).
        title: the map's title (default: the surface's name).
        window: ``((xmin, xmax), (ymin, ymax))`` to show (default: the surface's window).
        width: the width of the map in CSS pixels (the loss panel is about as wide).

    Returns:
        ``IPython.display.HTML`` (see :func:`gdlib.viz.web.embed`).

    Example:
        >>> import gdlib
        >>> from gdlib.problems import surfaces
        >>> bowl = surfaces.quadratic_bowl()
        >>> html = replay(bowl, race(bowl, {"SGD": gdlib.sgd(0.1), "Adam": gdlib.adam(0.1)}, 30))
        >>> "Bokeh" in html.data and "data:image/png;base64," in html.data
        True
    """
    from bokeh.layouts import column, row
    from bokeh.models import (
        Button,
        ColumnDataSource,
        CustomJS,
        FixedTicker,
        HoverTool,
        Legend,
        LegendItem,
        Range1d,
        Slider,
    )
    from bokeh.plotting import figure

    from gdlib.viz import backdrop, web

    if not runs:
        raise ValueError("replay needs at least one run")
    shown = backdrop.zoomed(surface, window)
    codes, box = packed_runs(shown, runs)
    num_steps = codes.shape[-1] - 1
    gaps = np.concatenate([_gap(t, surface.min_value) for t in runs.values()])
    low, high = web.decades(gaps)
    path_plot = backdrop.map_plot(shown, width=width, title=title)
    marks = sum("gdlib-mark" in r.tags for r in path_plot.renderers)
    # The legend, beside the loss panel, names every run, the start and the map's marks, one
    # row each (and its title): the panel is at least that tall, or its last rows are cut off.
    rows = len(runs) + 1 + marks
    frame_height = max(path_plot.frame_height, (rows + 1) * LEGEND_ROW_PX + 16)
    loss_plot = figure(frame_width=int(width * 0.58), frame_height=frame_height,
                       y_axis_type="log", x_range=Range1d(0, num_steps, bounds=(0, num_steps)),
                       y_range=Range1d(low, high), tools="pan,wheel_zoom,box_zoom,reset",
                       title="gap to the minimum")
    loss_plot.xaxis.axis_label = "step t"
    # A narrow panel: three or four round steps, none at the right edge, where its label
    # would run into the legend.
    loss_plot.xaxis.ticker = FixedTicker(ticks=web.step_ticks(num_steps))
    loss_plot.yaxis.axis_label = "J(θₜ) − J*"
    empty = {"x": np.zeros(0), "y": np.zeros(0), "step": np.zeros(0), "gap": np.zeros(0)}
    trails, dots, items, hovered = [], [], [], []
    for name, color in zip(runs, palette.colors(list(runs)), strict=True):
        trail, dot = ColumnDataSource(dict(empty)), ColumnDataSource(dict(empty))
        drawn = [
            web.glyph(path_plot, trail, "Line", x="x", y="y", line_color=color, line_width=2,
                      name=name),
            web.glyph(path_plot, dot, "Scatter", x="x", y="y", size=9, fill_color=color,
                      line_color="black", name=name),
            web.glyph(loss_plot, trail, "Line", x="step", y="gap", line_color=color,
                      line_width=2, name=name),
        ]
        hovered += [drawn[0], drawn[2]]
        items.append(LegendItem(label=name, renderers=drawn))
        trails.append(trail)
        dots.append(dot)
    start = np.asarray(next(iter(runs.values())).params, dtype=np.float64)[:1]
    start_mark = web.glyph(path_plot, ColumnDataSource({"x": start[:, 0], "y": start[:, 1]}),
                           "Scatter", x="x", y="y", marker="circle", size=11,
                           fill_color="white", line_color="black", line_width=2, name="start")
    tooltips = [("", "$name"), ("step", "@step{0}"), ("J − J*", "@gap{%.3g}")]
    for plot in (path_plot, loss_plot):
        plot.add_tools(HoverTool(renderers=[r for r in hovered if r in plot.renderers],
                                 tooltips=tooltips, formatters={"@gap": "printf"}))
    legend = Legend(items=[*items, web.legend_item("start", loss_plot, [start_mark]),
                           *backdrop.marks(path_plot, loss_plot)],
                    click_policy="hide", label_text_font_size=web.FONT["legend"],
                    title="click to hide", title_text_font_size=web.FONT["legend"], spacing=1,
                    glyph_width=18, label_height=LEGEND_ROW_PX - 1, padding=4, margin=4)
    loss_plot.add_layout(legend, "right")
    web.style(loss_plot)
    slider = Slider(start=0, end=num_steps, value=num_steps, step=1, title="step",
                    width=int(width * 2.0))
    button = Button(label="▶ Play", width=90)
    args = {"slider": slider, "trails": trails, "dots": dots, "packed": codes.ravel(),
            "box": box}
    show = CustomJS(args=args, code=_REPLAY_JS + "gdlibShow(slider.value);")
    slider.js_on_change("value", show)
    button.js_on_event("button_click", CustomJS(args={"slider": slider, "button": button},
                                                code=_PLAY_JS))
    layout = column(row(path_plot, loss_plot), row(button, slider))
    return web.embed(layout, on_ready=[show])


def draw_3d(surface: Surface, runs: Mapping[str, Trajectory], *, ax: Any = None, n: int = 60,
            window: tuple[tuple[float, float], tuple[float, float]] | None = None,
            elevation: float = 35.0, azimuth: float = -60.0, log: bool = False) -> Any:
    r"""The surface in three dimensions with each run's path lying on it.

    Args:
        surface: the test function.
        runs: trajectories by name, e.g. from :func:`race`.
        ax: a 3-D ``Axes`` (default: a new figure's).
        n: grid points per side for the surface mesh.
        window: ``((xmin, xmax), (ymin, ymax))`` to show (default: the surface's window);
            path points outside it are left out.
        elevation, azimuth: the viewing angles in degrees.
        log: plot :math:`\log_{10}(J - J^\star + 10^{-3})` instead of :math:`J` (for surfaces
            whose values span orders of magnitude, such as Beale's).

    Returns:
        The 3-D axes.

    Example:
        >>> import gdlib
        >>> from gdlib.problems import surfaces
        >>> saddle = surfaces.saddle()
        >>> ax = draw_3d(saddle, race(saddle, {"SGD": gdlib.sgd(0.1)}, 10))
        >>> ax.name
        '3d'
    """
    if ax is None:
        ax = plt.figure(figsize=(6, 4.6), layout="constrained").add_subplot(projection="3d")
    (x0, x1), (y0, y1) = window or surface.window
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    Z = np.asarray(jax.vmap(surface.fn)(np.stack([X.ravel(), Y.ravel()], -1)),
                   dtype=float).reshape(X.shape)

    def height(z):
        z = np.asarray(z, dtype=float)
        return np.log10(np.maximum(z - surface.min_value, 0) + 1e-3) if log else z

    ax.plot_surface(X, Y, height(Z), cmap="Blues_r", alpha=0.6, linewidth=0, rcount=n,
                    ccount=n)
    for name, trajectory in runs.items():
        xy = np.asarray(trajectory.params, dtype=float)
        inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
        xy = np.where(inside[:, None], xy, np.nan)
        z = height(np.asarray(trajectory.losses, dtype=float))
        ax.plot(xy[:, 0], xy[:, 1], z, "-", lw=1.8, color=palette.color(name), label=name,
                zorder=10)
    ax.computed_zorder = False  # draw the paths over the surface, even where it hides them
    ax.view_init(elev=elevation, azim=azimuth)
    ax.set(xlabel=r"$\theta_1$", ylabel=r"$\theta_2$",
           zlabel=r"$\log_{10}(J - J^\star)$" if log else r"$J(\theta)$")
    return ax
