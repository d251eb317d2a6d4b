"""Pictures of runs: contour maps with paths, and loss curves.

Small functions that draw on a Matplotlib ``Axes`` and return what they drew, so a notebook
cell stays a few lines long and a widget can redraw only what changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D

from gdlib.problems.surfaces import Surface
from gdlib.train.runner import Trajectory


def contour(surface: Surface, ax: Axes | None = None, *, n: int = 201, levels: int = 25,
            marks: bool = True, cmap: str = "Blues_r", alpha: float = 0.85) -> Axes:
    """Draw ``surface`` over its window with log-spaced levels of ``f - min_value``.

    Minima are drawn as stars (filled for global ones) and saddle points as crosses. The
    interactive figures draw the map in light greys (``cmap="Greys_r"``), under paths in
    the colours of :mod:`gdlib.viz.palette`.

    Example:
        >>> import gdlib
        >>> ax = contour(gdlib.problems.surfaces.rosenbrock())
        >>> ax.get_xlim() == gdlib.problems.surfaces.rosenbrock().window[0]
        True
    """
    ax = ax if ax is not None else plt.figure(figsize=(5, 4)).gca()
    X, Y, Z = surface.grid(n)
    height = np.maximum(Z - surface.min_value, 0) + 1e-3 * max(np.ptp(Z), 1e-12)
    bounds = np.geomspace(height.min(), height.max(), levels)
    ax.contourf(X, Y, height, levels=bounds, norm=LogNorm(), cmap=cmap, alpha=alpha)
    ax.contour(X, Y, height, levels=bounds, norm=LogNorm(), colors="white", linewidths=0.4)
    if marks:
        for point in surface.minima:
            is_global = any(np.allclose(point, g) for g in surface.global_minima)
            ax.plot(*point, marker="*", ms=13, color="gold" if is_global else "white",
                    mec="black", mew=0.8, ls="none")
        for point in surface.saddles:
            ax.plot(*point, marker="x", ms=9, color="black", mew=2, ls="none")
    (x0, x1), (y0, y1) = surface.window
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel=r"$\theta_1$", ylabel=r"$\theta_2$")
    ax.set_aspect("equal" if (x1 - x0) / (y1 - y0) < 3 else "auto")
    return ax


def marks_key(fig: Figure, surfaces: Sequence[Surface], *, starts: bool = True,
              handles: Sequence[Any] = (), loc: str = "outside lower center",
              ncol: int | None = None) -> Legend:
    """A legend for ``fig`` naming the marks that :func:`contour` and :func:`path` draw.

    Only the marks the ``surfaces`` have are named (a global minimum, a local one, a saddle
    point), and the dot that starts every path when ``starts``; ``handles`` (artists with a
    label) come first. The default place, under the plots, needs a figure with
    ``layout="constrained"``; it covers no data. One row unless ``ncol`` says otherwise.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> from gdlib.problems import surfaces
        >>> fig = plt.figure(layout="constrained")
        >>> key = marks_key(fig, [surfaces.three_hump_camel()])
        >>> [text.get_text() for text in key.get_texts()]
        ['start', 'global minimum', 'local minimum', 'saddle point']
    """
    def mark(label: str, **style: Any) -> Line2D:
        return Line2D([], [], ls="none", mec="black", label=label, **style)

    handles = [*handles, *([mark("start", marker="o", ms=6, color="gray")] if starts else [])]
    if any(len(s.global_minima) for s in surfaces):
        handles.append(mark("global minimum", marker="*", ms=13, color="gold", mew=0.8))
    if any(len(s.minima) > len(s.global_minima) for s in surfaces):
        handles.append(mark("local minimum", marker="*", ms=13, color="white", mew=0.8))
    if any(len(s.saddles) for s in surfaces):
        handles.append(mark("saddle point", marker="x", ms=9, color="black", mew=2))
    return fig.legend(handles=handles, loc=loc, ncol=ncol or max(len(handles), 1),
                      frameon=False)


def path(ax: Axes, trajectory: Trajectory, *, label: str | None = None, color: Any = None,
         markers: bool = True) -> Line2D:
    """Draw a 2-D run's path (its parameters after each step) on ``ax``; returns the line.

    The axes keep their limits, so a diverging run leaves the picture instead of rescaling it;
    the steps after a divergence are NaN and simply not drawn.
    """
    xy = np.asarray(trajectory.params)
    limits = ax.get_xlim(), ax.get_ylim()
    (line,) = ax.plot(xy[:, 0], xy[:, 1], "-o" if markers else "-", ms=2.5, lw=1.5,
                      color=color, label=label)
    ax.plot(*xy[0], "o", ms=6, color=line.get_color(), mec="black")
    ax.set(xlim=limits[0], ylim=limits[1])
    return line


def loss_curve(ax: Axes, trajectory: Trajectory, *, min_value: float = 0.0,
               label: str | None = None, color: Any = None) -> Line2D:
    """Draw ``J(θ_t) - min_value`` against the step, on a log scale.

    A gap that rounds to zero (or below) cannot be drawn on a log scale and is left out.
    """
    gap = np.asarray(trajectory.losses, dtype=float) - min_value
    gap[~(gap > 0)] = np.nan
    (line,) = ax.semilogy(np.arange(gap.shape[-1]), gap, color=color, label=label)
    ax.set(xlabel="step $t$", ylabel=r"$J(\theta_t) - J^\star$")
    return line
