r"""Races in numbers: who arrived when, and a race where every optimizer has its own rate.

:func:`gdlib.viz.race.race` runs optimizers on a test surface and
:func:`gdlib.viz.race.standings` prints how they ended. The book's prose draws conclusions from
those races ("Adagrad settles first"), so this module gives the same quantities as numbers a
cell can check: :func:`arrivals`, the step from which each run's gap to the minimum stays below
a tolerance, and :func:`order`, the runs sorted by it. :func:`tuned_race` gives each optimizer
the learning rate of a grid that arrives first, instead of one rate per family.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, NamedTuple

import jax
import numpy as np

from gdlib.optim.base import GradientTransformation
from gdlib.optim.hyperparams import check_positive_int, check_range
from gdlib.problems.surfaces import Surface
from gdlib.train.runner import Trajectory, _trajectory, checked_grid

__all__ = ["TunedRun", "arrival", "arrivals", "gap_bound", "order", "side_by_side", "table",
           "tuned_race"]


def arrival(losses: Any, min_value: float, tolerance: float = 1e-3) -> int | None:
    r"""The first step :math:`t` from which :math:`J(\theta_s) - J^\star < ` ``tolerance`` for
    every :math:`s \ge t`; ``None`` if the last loss is not below it (or is NaN: diverged).

    The same rule as the column "gap < tolerance from step" of
    :func:`gdlib.viz.race.standings`.

    Example:
        >>> arrival([5.0, 0.1, 1e-4, 2e-3, 1e-4, 1e-5], 0.0)
        4
        >>> arrival([5.0, 1.0, float("nan")], 0.0) is None
        True
    """
    below = np.asarray(losses, dtype=float) - min_value < tolerance  # NaN counts as above
    if not below[-1]:
        return None
    above = np.flatnonzero(~below)
    return int(above[-1] + 1) if above.size else 0


def arrivals(surface: Surface, runs: Mapping[str, Trajectory], tolerance: float = 1e-3
             ) -> dict[str, int | None]:
    """:func:`arrival` for every run of a race, by name (``None``: never, or diverged).

    Example:
        >>> import gdlib
        >>> from gdlib.problems import surfaces
        >>> from gdlib.viz import race
        >>> bowl = surfaces.quadratic_bowl()
        >>> arrivals(bowl, race.race(bowl, {"SGD": gdlib.sgd(0.1), "slow": gdlib.sgd(1e-4)}, 100))
        {'SGD': 34, 'slow': None}
    """
    tolerance = check_range("tolerance", tolerance, 0.0, low_open=True)
    return {name: arrival(run.losses, surface.min_value, tolerance) for name, run in runs.items()}


def order(steps: Mapping[str, int | None]) -> list[str]:
    """The names of the runs that arrived, first arrival first (ties keep the race's order).

    Example:
        >>> order({"SGD": None, "Adam": 74, "NAG": 54})
        ['NAG', 'Adam']
    """
    arrived = [name for name, step in steps.items() if step is not None]
    return sorted(arrived, key=lambda name: steps[name])


def gap_bound(gap: float) -> str:
    """The final gap as the power of ten just above it (``"< 1e-03"``), ``"0"`` when it is 0.

    Two runs of the same race on different CPUs agree on this far more often than on the
    gap's leading digits: a run that bounces around the minimum (RMSprop with a constant
    rate) or sits on a plateau ends at a gap whose digits depend on rounding, but not its
    order of magnitude.

    Example:
        >>> gap_bound(2.6e-3), gap_bound(0.0), gap_bound(0.25)
        ('< 1e-02', '0', '< 1e+00')
    """
    if not gap > 0:
        return "0"
    return f"< 1e{math.ceil(math.log10(gap)):+03d}"


def table(surface: Surface, runs: Mapping[str, Trajectory], *, tolerance: float = 1e-3) -> str:
    """The standings of a race at the precision its outcome determines: for each run, the step
    from which its gap to the minimum stays below ``tolerance`` (:func:`arrival`) and the final
    gap's order of magnitude (:func:`gap_bound`), or the step at which it diverged.

    Example:
        >>> import gdlib
        >>> from gdlib.problems import surfaces
        >>> from gdlib.viz import race
        >>> bowl = surfaces.quadratic_bowl()
        >>> runs = race.race(bowl, {"SGD": gdlib.sgd(0.1), "too fast": gdlib.sgd(0.3)}, 100)
        >>> print(table(bowl, runs))
        optimizer   gap < 0.001 from step   final gap
        SGD         34                      < 1e-09
        too fast    diverged at step 10
    """
    width = max(len(name) for name in [*runs, "optimizer"]) + 2
    lines = [f"{'optimizer':<{width}}{f'gap < {tolerance:g} from step':<24}final gap"]
    for name, run in runs.items():
        if bool(run.diverged):
            lines.append(f"{name:<{width}}diverged at step {int(run.diverged_at)}")
            continue
        step = arrival(run.losses, surface.min_value, tolerance)
        gap = float(np.asarray(run.losses)[-1]) - surface.min_value
        lines.append(f"{name:<{width}}{'never' if step is None else step!s:<24}{gap_bound(gap)}")
    return "\n".join(lines)


def side_by_side(columns: Mapping[str, Mapping[str, Any]]) -> str:
    """A text table with one row per optimizer and one column per race: each entry is an
    arrival step (``None`` prints as "never") or any other short text.

    Example:
        >>> print(side_by_side({"ravine": {"SGD": None, "NAG": 54},
        ...                     "turned": {"SGD": None, "NAG": 54}}))
        optimizer  ravine  turned
        SGD         never   never
        NAG            54      54
    """
    names = list(next(iter(columns.values())))
    width = max(len(name) for name in [*names, "optimizer"])
    heads = [max(len(head), 5) + 2 for head in columns]
    lines = [f"{'optimizer':<{width}}" + "".join(
        f"{head:>{w}}" for head, w in zip(columns, heads, strict=True))]
    for name in names:
        cells = ["never" if col[name] is None else str(col[name]) for col in columns.values()]
        lines.append(f"{name:<{width}}" + "".join(
            f"{cell:>{w}}" for cell, w in zip(cells, heads, strict=True)))
    return "\n".join(lines)


class TunedRun(NamedTuple):
    """One optimizer of a :func:`tuned_race`.

    Attributes:
        learning_rate: the rate of the grid that arrived first (or, if none arrived, that
            ended closest to the minimum).
        arrival: its arrival step, ``None`` if no rate of the grid arrived.
        inside: whether that rate lies strictly inside the grid.
        arrivals: the arrival step of every rate of the grid (``None``: never or diverged).
    """

    learning_rate: float
    arrival: int | None
    inside: bool
    arrivals: list[int | None]


def tuned_race(surface: Surface, optimizers: Mapping[str, Callable[..., GradientTransformation]],
               learning_rates: Any, num_steps: int, *, tolerance: float = 1e-3,
               max_loss: float = 1e6) -> dict[str, TunedRun]:
    """Race every optimizer at every rate of the grid (one ``vmap``-ped call each) and keep,
    for each, the rate that arrives first.

    Args:
        surface: the test surface; every run starts at ``surface.start`` (float32).
        optimizers: name -> factory taking ``learning_rate`` (other hyperparameters at their
            defaults, e.g. :data:`gdlib.optim.optimizers.BY_NAME`).
        learning_rates: the grid, the same for every optimizer.
        num_steps: updates per run.
        tolerance: the gap to the minimum that counts as arrived.
        max_loss: a loss above this counts as diverged.

    Example:
        >>> import gdlib
        >>> from gdlib.problems import surfaces
        >>> bowl = surfaces.quadratic_bowl(condition_number=10.0)
        >>> runs = tuned_race(bowl, {"SGD": gdlib.sgd}, [0.01, 0.1, 0.18, 0.3], 100)
        >>> runs["SGD"].learning_rate, runs["SGD"].arrival, runs["SGD"].inside
        (0.18, 19, True)
    """
    num_steps = check_positive_int("num_steps", num_steps)
    tolerance = check_range("tolerance", tolerance, 0.0, low_open=True)
    max_loss = float(check_range("max_loss", max_loss))
    start = np.asarray(surface.start, dtype=np.float32)
    rates = np.asarray(learning_rates, dtype=float).reshape(-1)
    grids = tuple(checked_grid(make, start, {"learning_rate": rates})["learning_rate"]
                  for make in optimizers.values())
    all_losses = _tuned(tuple(optimizers.values()), surface, start, num_steps, max_loss, grids)
    results = {}
    for name, losses in zip(optimizers, all_losses, strict=True):
        losses = np.asarray(losses, dtype=float)
        steps = [arrival(row, surface.min_value, tolerance) for row in losses]
        gaps = np.where(np.isfinite(losses[:, -1]), losses[:, -1] - surface.min_value, np.inf)
        score = [(num_steps + 1 if step is None else step, gap)
                 for step, gap in zip(steps, gaps, strict=True)]
        best = min(range(len(rates)), key=lambda i: score[i])
        results[name] = TunedRun(float(rates[best]), steps[best], 0 < best < len(rates) - 1,
                                 steps)
    return results


@partial(jax.jit, static_argnums=(0, 1, 3))
def _tuned(factories, surface, start, num_steps, max_loss, grids):
    """Every optimizer at every rate: one compiled call for the whole race."""
    def losses(make, lr):
        return _trajectory(make(learning_rate=lr), surface.fn, start, num_steps, max_loss).losses

    return tuple(jax.vmap(partial(losses, make))(grid)
                 for make, grid in zip(factories, grids, strict=True))
