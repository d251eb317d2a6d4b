r"""Races in numbers: who arrived when, and a race where every optimizer has its own rate.

:func:`gdlib.viz.race.race` runs optimizers on a test surface and
:func:`gdlib.viz.race.standings` prints how they ended. The book's prose draws conclusions from
those races ("Adagrad settles first"), so this module gives the same quantities as numbers a
cell can check: :func:`arrivals`, the step from which each run's gap to the minimum stays below
a tolerance, and :func:`order`, the runs sorted by it. :func:`tuned_race` gives each optimizer
the learning rate of a grid that arrives first, instead of one rate per family.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, NamedTuple

import jax
import numpy as np

from gdlib.optim.base import GradientTransformation
from gdlib.optim.hyperparams import check_positive_int, check_range
from gdlib.problems.surfaces import Surface
from gdlib.train.runner import Trajectory, _trajectory, checked_grid

__all__ = ["TunedRun", "arrival", "arrivals", "order", "tuned_race"]


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
