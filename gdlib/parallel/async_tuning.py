r"""A learning rate tuned per configuration of an asynchronous run, chosen and reported apart.

A comparison of, say, 1 to 32 Downpour replicas at one fixed learning rate measures that rate
as much as the replicas: staler gradients want smaller steps. :func:`tune` takes a sweep
(:func:`gdlib.parallel.downpour.sweep`) of configurations :math:`\times` seeds of the race
:math:`\times` learning rates, and for every configuration

1. measures the time to reach a target loss on the simulated clock
   (:func:`gdlib.parallel.downpour.time_to_target`) for every rate on the *choosing* seeds,
2. chooses the rate with the smallest mean time there,
3. reports the time of the chosen rate on the other seeds, which took no part in the choice.

Only the runs a step needs are evaluated (all rates on the choosing seeds, the chosen rate on
the others): the evaluation of the loss, not the simulation, is what costs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import numpy as np

from gdlib.parallel.downpour import time_to_target
from gdlib.parallel.event_schedule import Schedule

PyTree = Any


class Tuned(NamedTuple):
    """What :func:`tune` found, per configuration.

    Attributes:
        choice: ``(configs,)``, the index of the chosen learning rate.
        choosing_times: ``(configs, rates)``, the mean time to target on the choosing seeds
            (``inf`` where a seed never reached it).
        times: ``(configs, reporting seeds)``, the time to target of the chosen rate.
        curves: ``(configs, reporting seeds, checkpoints)``, its loss curves.
        clock: ``(configs, reporting seeds, checkpoints)``, the time of every checkpoint.
    """

    choice: np.ndarray
    choosing_times: np.ndarray
    times: np.ndarray
    curves: np.ndarray
    clock: np.ndarray


def checkpoint_times(schedule: Schedule, record_every: int) -> np.ndarray:
    """The simulated time of every recorded checkpoint: 0, then each ``record_every``-th event.

    Example:
        >>> from gdlib.parallel.event_schedule import round_robin
        >>> checkpoint_times(round_robin(2, 8), 4).tolist()
        [0.0, 2.0, 4.0]
    """
    times = np.asarray(schedule.times, dtype=float)
    return np.concatenate([[0.0], times[record_every - 1::record_every]])


def tune(history: PyTree, races: Sequence[Sequence[Schedule]], record_every: int,
         target: float, evaluate: Callable[[PyTree], Any], choose: np.ndarray) -> Tuned:
    """Choose a learning rate per configuration on some seeds; report it on the others.

    Args:
        history: the recorded parameters of a sweep, leaves shaped
            ``(configs * seeds, rates, checkpoints, ...)`` (configuration-major, as
            ``jnp.stack`` of the nested ``races`` gives).
        races: ``races[i][s]``, the schedule of configuration ``i`` and seed ``s``.
        record_every: the sweep's ``record_every``.
        target: the loss to reach.
        evaluate: the loss of parameters with any leading axes (e.g. the training loss).
        choose: ``(seeds,)`` booleans, the seeds that choose; the others report.

    Example:
        >>> import jax.numpy as jnp
        >>> from gdlib.parallel.event_schedule import round_robin
        >>> # two configurations x two seeds, two rates, three checkpoints; loss = parameter
        >>> h = jnp.array([[[1.0, .5, .1], [1.0, .2, .1]], [[1.0, .2, .1], [1.0, .5, .1]],
        ...                [[1.0, 1.0, 1.0], [1.0, .5, .25]], [[1.0, .9, .9], [1.0, .6, .2]]])
        >>> races = [[round_robin(1, 4)] * 2] * 2
        >>> tuned = tune(h, races, 2, 0.3, lambda p: p, jnp.array([True, False]))
        >>> tuned.choice.tolist(), tuned.times.round(2).tolist()
        ([1, 1], [[2.63], [3.26]])
    """
    choose = np.asarray(choose, dtype=bool)
    num_configs, num_seeds = len(races), len(races[0])
    leaves = jax.tree.leaves(history)
    if leaves[0].shape[0] != num_configs * num_seeds or choose.shape != (num_seeds,):
        raise ValueError(f"history must have {num_configs} x {num_seeds} runs and choose "
                         f"{num_seeds} entries, got {leaves[0].shape[0]} and {choose.shape}")
    grid = jax.tree.map(lambda a: a.reshape(num_configs, num_seeds, *a.shape[1:]), history)
    clock = np.array([[checkpoint_times(s, record_every) for s in row] for row in races])
    picked = jax.tree.map(lambda a: a[:, choose], grid)
    choosing = time_to_target(np.asarray(evaluate(picked)), clock[:, choose, None], target)
    choosing_times = choosing.mean(axis=1)
    choice = np.argmin(choosing_times, axis=-1)
    reporting = jax.tree.map(lambda a: a[:, ~choose][np.arange(num_configs), :, choice], grid)
    curves = np.asarray(evaluate(reporting))
    return Tuned(choice, choosing_times, time_to_target(curves, clock[:, ~choose], target),
                 curves, clock[:, ~choose])
