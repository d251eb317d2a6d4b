r"""Who finishes a step when: the explicit, seeded event order of an asynchronous simulation.

Asynchronous training is a race between workers. To simulate it reproducibly we draw the race
once, up front, from a PRNG key: every worker :math:`r` takes steps of random durations
:math:`d_{r,1}, d_{r,2}, \dots`, finishes its :math:`s`-th step at time
:math:`T_{r,s} = d_{r,1} + \dots + d_{r,s}`, and the simulation processes the step completions
of all workers in time order. The result is a :class:`Schedule`: the worker of every event and
its time. A simulation then ``lax.scan``-s over ``schedule.workers``; the same key gives the same
race, so every number it prints reproduces exactly.

* :func:`round_robin`: workers take turns, 0, 1, ..., P-1, 0, 1, ...; each step takes one unit
  of time. With :math:`P` workers that fetch before and push after every step, every gradient
  is exactly :math:`P - 1` updates stale.
* :func:`random_speeds`: step durations :math:`d = \text{mean} \cdot e^{\sigma z}` with
  :math:`z \sim \mathcal N(0, 1)`, optionally with some workers persistently slower
  (stragglers). ``jitter=0`` gives the round robin again.

Schedules of any number of workers have the same shape ``(num_events,)``, so simulations with
2, 4 or 64 workers can be stacked and run in one ``vmap``-ped call.
"""

from __future__ import annotations

import heapq
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gdlib.optim.hyperparams import check_nonnegative, check_positive_int, check_range


class Schedule(NamedTuple):
    """The events of an asynchronous run, in time order.

    Attributes:
        workers: ``(num_events,)`` int32, the worker that finishes a step at each event.
        times: ``(num_events,)`` float32, when (in units of a worker's mean step time).
    """

    workers: jax.Array
    times: jax.Array


def round_robin(num_workers: int, num_events: int) -> Schedule:
    """Workers take turns; each step takes one unit of time, all workers run side by side.

    Example:
        >>> schedule = round_robin(3, 7)
        >>> schedule.workers.tolist(), schedule.times.tolist()
        ([0, 1, 2, 0, 1, 2, 0], [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0])
    """
    num_workers = check_positive_int("num_workers", num_workers)
    num_events = check_positive_int("num_events", num_events)
    events = np.arange(num_events)
    return Schedule(jnp.asarray(events % num_workers, jnp.int32),
                    jnp.asarray(events // num_workers + 1, jnp.float32))


def random_speeds(key: jax.Array, num_workers: int, num_events: int, jitter: float = 0.5,
                  num_stragglers: int = 0, straggler_slowdown: float = 3.0) -> Schedule:
    r"""Step durations :math:`e^{\sigma z}` (:math:`\sigma` = ``jitter``), in time order.

    The first ``num_stragglers`` workers take ``straggler_slowdown`` times longer per step.
    Ties (``jitter=0``) go to the lower worker number, so ``jitter=0`` is the round robin.

    Example:
        >>> import jax
        >>> schedule = random_speeds(jax.random.key(0), 4, 1000)
        >>> counts = jax.numpy.bincount(schedule.workers, length=4)
        >>> bool(counts.min() > 200), bool((jax.numpy.diff(schedule.times) >= 0).all())
        (True, True)
        >>> no_jitter = random_speeds(jax.random.key(0), 3, 6, jitter=0.0)
        >>> no_jitter.workers.tolist() == round_robin(3, 6).workers.tolist()
        True
    """
    num_workers = check_positive_int("num_workers", num_workers)
    num_events = check_positive_int("num_events", num_events)
    check_nonnegative("jitter", jitter)
    check_range("num_stragglers", num_stragglers, 0, num_workers)
    check_range("straggler_slowdown", straggler_slowdown, 0.0, low_open=True)
    slowdown = np.where(np.arange(num_workers) < num_stragglers, straggler_slowdown, 1.0)
    # NumPy, seeded from the key: no compilation for each new number of workers or events.
    typed = jnp.issubdtype(key.dtype, jax.dtypes.prng_key)
    seed = np.asarray(jax.random.key_data(key) if typed else key).ravel()
    rng = np.random.default_rng(seed)
    durations = slowdown[:, None] * np.exp(jitter * rng.standard_normal((num_workers,
                                                                          num_events)))
    finish = np.cumsum(durations, axis=1).ravel()  # worker-major: ties keep worker order
    order = np.argsort(finish, kind="stable")[:num_events]
    return Schedule(jnp.asarray(order // num_events, jnp.int32),
                    jnp.asarray(finish[order], jnp.float32))


def staleness(workers: jax.Array, num_workers: int) -> np.ndarray:
    """How many other updates land between a worker's read and its write, per event.

    For workers that read the parameters at the end of their previous step and write at the
    end of this one (fetch and push every step): the number of events since that worker's
    previous event, minus one. A worker's first step counts from time 0 (the start).

    Example:
        >>> staleness(round_robin(3, 7).workers, 3).tolist()
        [0, 1, 2, 2, 2, 2, 2]
    """
    check_positive_int("num_workers", num_workers)
    workers = np.asarray(workers)
    events = np.arange(workers.shape[0])
    order = np.argsort(workers, kind="stable")  # each worker's events, in time order
    same = workers[order[1:]] == workers[order[:-1]]
    previous = np.full(workers.shape[0], -1)
    previous[order[1:][same]] = order[:-1][same]
    return events - previous - 1


def with_server(key: jax.Array, num_workers: int, num_events: int, server_time: float = 0.0,
                latency: float = 0.0, jitter: float = 0.5) -> Schedule:
    r"""A race in which every step also talks to one parameter server, which serves one at a time.

    A replica computes for a random duration (as in :func:`random_speeds`, the same draws for
    the same key), sends its gradient (``latency``), waits until the server is free, occupies
    it for ``server_time`` (applying the gradient and sending the parameters back, e.g. the
    time per parameter moved times the parameters, divided by the number of server shards that
    work in parallel), and receives the new parameters (``latency`` again) before its next
    step. An event is an update applied by the server, at the time it finishes.

    A step thus costs a replica at least ``1 + 2 * latency + server_time`` time units on
    average, and the server applies at most ``1 / server_time`` updates per time unit, however
    many replicas there are: the speed-up stops near ``(1 + 2 latency + server_time) /
    server_time`` replicas. With no cost it is :func:`random_speeds`.

    Example:
        >>> import jax
        >>> key = jax.random.key(0)
        >>> free = with_server(key, 4, 50)
        >>> free.workers.tolist() == random_speeds(key, 4, 50).workers.tolist()
        True
        >>> busy = with_server(key, 64, 2000, server_time=0.1)
        >>> round(2000 / float(busy.times[-1]), 1)  # at most 1 / 0.1 updates per time unit
        10.0
    """
    num_workers = check_positive_int("num_workers", num_workers)
    num_events = check_positive_int("num_events", num_events)
    check_nonnegative("server_time", server_time)
    check_nonnegative("latency", latency)
    check_nonnegative("jitter", jitter)
    typed = jnp.issubdtype(key.dtype, jax.dtypes.prng_key)
    seed = np.asarray(jax.random.key_data(key) if typed else key).ravel()
    rng = np.random.default_rng(seed)
    durations = np.exp(jitter * rng.standard_normal((num_workers, num_events)))
    steps = np.zeros(num_workers, int)
    arrivals = [(durations[r, 0] + latency, r) for r in range(num_workers)]
    heapq.heapify(arrivals)
    free, workers, times = 0.0, np.empty(num_events, np.int32), np.empty(num_events)
    for event in range(num_events):
        arrival, r = heapq.heappop(arrivals)
        free = max(arrival, free) + server_time
        workers[event], times[event] = r, free
        steps[r] += 1
        next_step = durations[r, min(steps[r], num_events - 1)]  # the last one is never used
        heapq.heappush(arrivals, (free + 2 * latency + next_step, r))
    return Schedule(jnp.asarray(workers), jnp.asarray(times, jnp.float32))
