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
:func:`tuned_sweep` runs the sweep and :func:`tune` in one call.

Where the measure is the loss at the end of a fixed budget rather than a time,
:func:`choose_then_report` does the same with final losses, and :func:`final_losses` gives
them for replays of several orders of the data on several schedules
(:func:`gdlib.parallel.downpour.sweep` once per order, all in one ``vmap``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gdlib.parallel.downpour import Server, sweep, time_to_target
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


def tuned_sweep(make_server: Callable[..., Server], loss_fn: Callable, params: PyTree,
                stream: tuple[Any, Any], races: Sequence[Sequence[Schedule]], num_workers: int,
                record_every: int, target: float, evaluate: Callable[[PyTree], Any],
                choose: np.ndarray, **hyperparams: Any) -> Tuned:
    """Every race of every configuration at every hyperparameter, then :func:`tune`.

    ``stream`` is ``(x_batches, y_batches)``, the mini-batches in the order the server takes
    them; ``races[i][s]`` the schedule of configuration ``i``, seed ``s``; ``hyperparams``
    as in :func:`gdlib.parallel.downpour.sweep` (a 1-D ``learning_rate`` is the grid).

    Example:
        >>> import jax.numpy as jnp
        >>> from gdlib.parallel import downpour
        >>> from gdlib.parallel.event_schedule import round_robin
        >>> loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
        >>> x, y = jnp.ones((40, 1, 1)), jnp.ones((40, 1))
        >>> races = [[round_robin(p, 40)] * 2 for p in (1, 4)]  # 2 configurations x 2 seeds
        >>> distance = lambda w: (w[..., 0] - 1) ** 2 + 1e-3  # to the minimum, w = 1
        >>> tuned = tuned_sweep(downpour.sgd_server, loss, jnp.zeros(1), (x, y), races, 4, 4,
        ...                     0.01, distance, jnp.array([True, False]),
        ...                     learning_rate=jnp.array([0.05, 0.2, 0.5]))
        >>> tuned.choice.tolist()  # the largest rate for 1 replica, the smallest for 4
        [2, 0]
    """
    workers = jnp.stack([schedule.workers for row in races for schedule in row])
    run = sweep(make_server, loss_fn, params, *stream, workers, num_workers,
                record_every=record_every, **hyperparams)
    return tune(run.params, races, record_every, target, evaluate, choose)


def final_losses(make_server: Callable[..., Server], loss_fn: Callable, params: PyTree,
                 x: Any, y: Any, orders: Any, schedules: Any, learning_rates: Any) -> np.ndarray:
    """The loss on all of ``(x, y)`` after each replay: ``(orders, schedules, rates)``.

    Args:
        make_server: e.g. :func:`gdlib.parallel.downpour.adagrad_server`.
        loss_fn: ``loss_fn(params, x, y)``, for the gradients and for the final loss.
        params: the starting parameters.
        x, y: the whole data set, examples along the first axis.
        orders: ``(orders, updates, batch)`` row indices: the mini-batch of every update, for
            every order of the data.
        schedules: ``(schedules, updates)`` worker arrays (e.g. stacked round robins); the
            number of workers is the largest index plus one.
        learning_rates: the grid.

    Returns:
        NumPy array of final losses, ``inf`` where a run did not stay finite.

    Example:
        >>> import jax.numpy as jnp
        >>> import numpy as np
        >>> from gdlib.parallel import downpour
        >>> from gdlib.parallel.event_schedule import round_robin
        >>> loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
        >>> x, y = jnp.ones((4, 1)), jnp.ones(4)
        >>> orders = jnp.arange(400).reshape(1, 400, 1) % 4  # 1 order, 400 updates of 1 example
        >>> schedules = jnp.stack([round_robin(p, 400).workers for p in (1, 8)])
        >>> losses = final_losses(downpour.sgd_server, loss, jnp.zeros(1), x, y, orders,
        ...                       schedules, [0.05, 0.4])
        >>> (losses < 1e-6).tolist(), bool(losses[0, 1, 1] == np.inf)  # delay 7 breaks 0.4
        ([[[True, True], [True, False]]], True)
    """
    schedules = jnp.asarray(schedules)
    num_updates = schedules.shape[-1]
    num_workers = int(schedules.max()) + 1
    x, y = jnp.asarray(x), jnp.asarray(y)
    evaluate = jax.vmap(jax.vmap(lambda p: loss_fn(p, x, y)))

    def one(rows):
        run = sweep(make_server, loss_fn, params, x[rows], y[rows], schedules, num_workers,
                    record_every=num_updates, learning_rate=jnp.asarray(learning_rates))
        return evaluate(jax.tree.map(lambda leaf: leaf[:, :, -1], run.params))

    losses = np.asarray(jax.vmap(one)(jnp.asarray(orders)))
    return np.where(np.isfinite(losses), losses, np.inf)


class Chosen(NamedTuple):
    """What :func:`choose_then_report` found, per configuration.

    Attributes:
        choice: ``(configs,)``, the index of the chosen learning rate in the grid.
        learning_rate: ``(configs,)``, the chosen rate.
        choosing: ``(configs, rates)``, the mean final loss on the choosing seeds.
        reported: ``(reporting seeds, configs)``, the final loss of the chosen rate.
    """

    choice: np.ndarray
    learning_rate: np.ndarray
    choosing: np.ndarray
    reported: np.ndarray

    @property
    def inside(self) -> bool:
        """Whether every chosen rate lies strictly inside the grid."""
        return bool(np.all((self.choice > 0) & (self.choice < self.choosing.shape[-1] - 1)))


def choose_then_report(losses_of: Callable[[Any, np.ndarray], Any], learning_rates: Any,
                       choosing: Any, reporting: Any) -> Chosen:
    """Choose the rate with the lowest mean final loss on some seeds; report it on others.

    Args:
        losses_of: ``losses_of(seeds, rates)`` gives final losses shaped
            ``(seeds, configs, rates)`` (``inf`` or NaN where a run diverged), e.g. a
            :func:`final_losses` with everything but the orders and the rates fixed.
        learning_rates: the grid.
        choosing, reporting: the seeds (e.g. orders of the data) that choose and that report;
            only the chosen rates run on the reporting seeds.

    Example:
        >>> import numpy as np
        >>> def losses_of(seeds, rates):  # two configurations, best rate 1 and 0.1
        ...     best = np.array([1.0, 0.1])
        ...     return np.stack([np.log(rates / best[:, None]) ** 2 + s for s in seeds])
        >>> chosen = choose_then_report(losses_of, np.array([0.01, 0.1, 1.0, 10.0]),
        ...                             [0.0], [0.5, 1.5])
        >>> chosen.learning_rate.tolist(), chosen.reported.tolist(), chosen.inside
        ([1.0, 0.1], [[0.5, 0.5], [1.5, 1.5]], True)
    """
    grid = np.asarray(learning_rates)
    scores = np.asarray(losses_of(choosing, grid), dtype=float).mean(axis=0)
    scores = np.where(np.isfinite(scores), scores, np.inf)
    if scores.ndim != 2 or scores.shape[-1] != grid.size:
        raise ValueError(f"losses_of must return (seeds, configs, {grid.size} rates), got "
                         f"{scores.shape} after the mean over seeds")
    choice = np.argmin(scores, axis=-1)
    unique = np.unique(choice)
    runs = np.asarray(losses_of(reporting, grid[unique]), dtype=float)
    reported = runs[:, np.arange(choice.size), np.searchsorted(unique, choice)]
    return Chosen(choice, grid[choice], scores, reported)
