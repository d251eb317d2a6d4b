"""Let a reader move a hyperparameter and watch the run change, with or without a kernel.

* :func:`live_explorer`: sliders that recompute the run with JAX in a live kernel (Jupyter,
  Colab). Every change calls the same compiled :func:`gdlib.sweep`, so only drawing costs time.
* :func:`scrubber`: the same picture precomputed over a list of values in one vmapped call and
  stored as a JavaScript animation, so a reader of the static HTML can scrub through it.

A run that diverges says so in its title ("diverged at step 7"): its loss stopped being a
number or passed ``max_loss`` (default :data:`MAX_LOSS`). No value a slider can reach raises an
error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from gdlib.optim.base import GradientTransformation
from gdlib.problems.surfaces import Surface
from gdlib.train.runner import Trajectory, sweep
from gdlib.viz import frames
from gdlib.viz.live_figure import LiveFigure
from gdlib.viz.plotting import contour, loss_curve, path

#: A loss above this counts as diverged in the pictures (the test surfaces start below 100).
MAX_LOSS = 1e6

SYMBOLS = {"learning_rate": "η", "momentum": "γ", "decay": "γ", "rho": "ρ", "b1": "β₁",
           "b2": "β₂", "eps": "ε"}


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


def _figure(surface: Surface) -> tuple[Figure, Any, Any]:
    fig, (ax_path, ax_loss) = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
    contour(surface, ax_path)
    return fig, ax_path, ax_loss


def _loss_limits(losses: np.ndarray, min_value: float) -> tuple[float, float]:
    gap = np.asarray(losses, dtype=float) - min_value
    finite = gap[np.isfinite(gap) & (gap > 0)]
    if finite.size == 0:
        return 1e-12, 1.0
    return max(finite.min(), 1e-12) / 3, min(finite.max(), 1e12) * 3


def _one(runs: Trajectory, i: int) -> Trajectory:
    return Trajectory(runs.params[i], runs.losses[i], runs.diverged_at[i])


def _move(line: Any, curve: Any, run: Trajectory, min_value: float) -> None:
    """Show ``run`` with the path ``line`` and the loss ``curve`` drawn for an earlier run."""
    xy = np.asarray(run.params)
    line.set_data(xy[:, 0], xy[:, 1])
    gap = np.asarray(run.losses, dtype=float) - min_value
    curve.set_data(np.arange(gap.size), np.where(gap > 0, gap, np.nan))


def scrubber(surface: Surface, make_optimizer: Callable[..., GradientTransformation],
             num_steps: int, *, start: Any = None, interval_ms: int = 700,
             max_loss: float = MAX_LOSS, **hyperparams: Any):
    """A precomputed animation, one frame per value of the one hyperparameter given as a list.

    Args:
        surface: a :mod:`gdlib.problems.surfaces` test function.
        make_optimizer: an optimizer factory such as ``gdlib.sgd``.
        num_steps: updates per run.
        start: the starting point (default: the surface's).
        interval_ms: the time between frames when playing.
        max_loss: a loss above this counts as diverged.
        **hyperparams: exactly one list (the frames) and any fixed numbers.

    Returns:
        ``IPython.display.HTML`` with a slider and play buttons that work offline.
    """
    lists = [k for k, v in hyperparams.items() if np.ndim(v) == 1]
    if len(lists) != 1:
        raise ValueError(f"give exactly one hyperparameter as a list of values, got {lists}")
    values = np.asarray(hyperparams[lists[0]], dtype=float)
    start = np.asarray(surface.start if start is None else start, dtype=np.float32)
    runs = sweep(make_optimizer, surface, start, num_steps, max_loss=max_loss, **hyperparams)
    fig, ax_path, ax_loss = _figure(surface)
    line = path(ax_path, _one(runs, 0))
    curve = loss_curve(ax_loss, _one(runs, 0), min_value=surface.min_value)
    ax_loss.set(xlim=(0, num_steps), ylim=_loss_limits(runs.losses, surface.min_value))

    heading = fig.suptitle(" ")

    def frame(i):
        _move(line, curve, _one(runs, i), surface.min_value)
        shown = {k: (values[i] if k == lists[0] else v) for k, v in hyperparams.items()}
        heading.set_text(title(shown, _one(runs, i)))

    frame(0)  # the layout makes room for the title before the still parts are drawn
    return frames.to_html(frames.render(fig, [line, curve, heading], frame, len(values)),
                          interval_ms=interval_ms)


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
    ax_loss.set_xlim(0, num_steps)
    heading = live.figure.suptitle(" ")

    def redraw(*_):
        values, run = run_for()
        _move(line, curve, run, surface.min_value)
        ax_loss.set_ylim(_loss_limits(run.losses, surface.min_value))
        heading.set_text(title(values, run))
        live.refresh()

    for slider in sliders.values():
        slider.observe(redraw, names="value")
    redraw()
    return ipywidgets.VBox([*sliders.values(), live.image])
