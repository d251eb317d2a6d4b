r"""Downpour SGD (Dean et al. 2012): model replicas and a parameter server, simulated exactly.

Several *replicas* of the model train asynchronously on different mini-batches; a *parameter
server* holds the parameters. Each replica runs the client loop of Dean et al.'s Algorithm 7.1:

.. code-block:: text

    every step:   g = gradient(local parameters, next mini-batch)
                  accrued += g;  local parameters -= local_learning_rate * g
    every n_push steps:   send accrued to the server;  accrued = 0
    every n_fetch steps:  local parameters = parameters fetched from the server

The server applies each pushed gradient with its own optimizer, as it arrives; Dean et al. use
per-parameter **Adagrad**, :math:`\eta_{i,K} = \gamma / \sqrt{\sum_{j \le K} \Delta w_{i,j}^2}`
(``gdlib.adagrad(γ, eps=0)``), which lets every shard of a sharded server update its own
fraction of the parameters independently.

The race between replicas is explicit: a :class:`gdlib.parallel.event_schedule.Schedule` says which
replica finishes a step at each event, and :func:`simulate` processes the events in that order
in one ``lax.scan``, so a run reproduces exactly. A replica's gradient was computed on
parameters it fetched earlier; the number of server updates since that fetch is its
*staleness*, recorded for every push. With :math:`P` replicas in a round robin and
``n_fetch = n_push = 1``, every gradient is exactly :math:`P - 1` updates stale.

The server is anything with the :class:`Server` interface, so the same simulation runs
AdaRevision (:mod:`gdlib.parallel.delay_tolerant`), whose server needs to know, for every
gradient, what had been applied when its replica read the parameters (the read's *token*).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from gdlib.optim.base import GradientTransformation, apply_updates
from gdlib.optim.hyperparams import check_nonnegative, check_positive_int
from gdlib.optim.optimizers import adagrad, sgd
from gdlib.parallel.event_schedule import Schedule
from gdlib.train.runner import checked_grid

PyTree = Any
Loss = Callable[[PyTree, jax.Array, jax.Array], jax.Array]


class Server(NamedTuple):
    """A parameter server: four pure functions of its state.

    A read hands the worker the parameters and a *token*, whatever the server needs to know
    later about that read (nothing for a plain optimizer; AdaRevision's running sum of
    gradients). The worker keeps its token and sends it back with its gradient, so the server
    itself stays as small as the model, however many workers there are.

    Attributes:
        init: ``init(params) -> state``.
        read: ``read(state) -> (params, token)``: a worker fetches the parameters.
        push: ``push(state, grads, token) -> state``: a worker sends a gradient computed on
            the parameters of the read that gave ``token``.
        params: ``params(state) -> params``: the current parameters, for the record.
    """

    init: Callable[[PyTree], PyTree]
    read: Callable[[PyTree], tuple[PyTree, PyTree]]
    push: Callable[[PyTree, PyTree, PyTree], PyTree]
    params: Callable[[PyTree], PyTree]


def optimizer_server(optimizer: GradientTransformation) -> Server:
    """A server that applies every pushed gradient with ``optimizer``, in arrival order.

    Example:
        >>> import jax.numpy as jnp, gdlib
        >>> server = optimizer_server(gdlib.sgd(0.5))
        >>> params, token = server.read(server.init(jnp.ones(2)))
        >>> state = server.push(server.init(jnp.ones(2)), jnp.array([1.0, -1.0]), token)
        >>> server.read(state)[0].tolist()
        [0.5, 1.5]
    """

    def init(params):
        return params, optimizer.init(params)

    def read(state):
        return state[0], ()

    def push(state, grads, token):
        params, opt_state = state
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return apply_updates(params, updates), opt_state

    return Server(init, read, push, lambda state: state[0])


def adagrad_server(learning_rate: Any) -> Server:
    r"""Dean et al.'s server: Adagrad without epsilon, :math:`\gamma/\sqrt{\sum \Delta w^2}`."""
    return optimizer_server(adagrad(learning_rate, eps=0.0))


def sgd_server(learning_rate: Any) -> Server:
    """A server that applies each pushed gradient with plain SGD."""
    return optimizer_server(sgd(learning_rate))


class AsyncRun(NamedTuple):
    """What an asynchronous run produced.

    Attributes:
        params: the server's parameters at the start and after every ``record_every``
            events, leading axis ``num_events // record_every + 1``.
        losses: ``(num_events,)``, the mini-batch loss each replica computed (at its own,
            possibly stale, parameters).
        staleness: ``(num_events,)``, for each push, how many server updates happened since
            the parameters its gradient was computed on were fetched; -1 at events that do not
            push.
    """

    params: PyTree
    losses: jax.Array
    staleness: jax.Array


def _simulate(server, loss_fn, params, x_batches, y_batches, workers, num_workers, n_fetch,
              n_push, local_learning_rate, record_every):
    num_batches = x_batches.shape[0]

    def take(tree, i):
        return jax.tree.map(lambda leaf: leaf[i], tree)

    def put(tree, i, values):
        return jax.tree.map(lambda leaf, value: leaf.at[i].set(value), tree, values)

    def stack(tree):
        return jax.tree.map(lambda leaf: jnp.broadcast_to(leaf, (num_workers, *leaf.shape)),
                            tree)

    def select(condition, if_true, if_false):
        return jax.tree.map(lambda a, b: jnp.where(condition, a, b), if_true, if_false)

    def event(carry, event_and_worker):
        k, worker = event_and_worker
        state, version, local, tokens, accrued, steps, read_version = carry
        batch = (x_batches[k % num_batches], y_batches[k % num_batches])
        x = take(local, worker)
        loss, grads = jax.value_and_grad(loss_fn)(x, *batch)
        acc = jax.tree.map(jnp.add, take(accrued, worker), grads)
        x = jax.tree.map(lambda p, g: p - local_learning_rate * g, x, grads)
        step = steps[worker] + 1
        push = step % n_push == 0
        token = take(tokens, worker)
        state = lax.cond(push, lambda s: server.push(s, acc, token), lambda s: s, state)
        stale = jnp.where(push, version - read_version[worker], -1)
        version = version + push
        acc = select(push, jax.tree.map(jnp.zeros_like, acc), acc)
        fetch = step % n_fetch == 0
        fetched, new_token = server.read(state)
        carry = (state, version, put(local, worker, select(fetch, fetched, x)),
                 put(tokens, worker, select(fetch, new_token, token)),
                 put(accrued, worker, acc), steps.at[worker].set(step),
                 read_version.at[worker].set(jnp.where(fetch, version, read_version[worker])))
        return carry, (loss, stale)

    def chunk(carry, events):
        carry, outputs = lax.scan(event, carry, events)
        return carry, (server.params(carry[0]), outputs)

    state = server.init(params)
    first, token = server.read(state)  # every replica fetches at time 0
    zeros = jnp.zeros(num_workers, jnp.int32)
    carry = (state, jnp.zeros([], jnp.int32), stack(first), stack(token),
             jax.tree.map(jnp.zeros_like, stack(params)), zeros, zeros)
    events = jnp.arange(workers.shape[0], dtype=jnp.int32)
    shape = (-1, record_every)
    _, (recorded, (losses, stale)) = lax.scan(chunk, carry, (events.reshape(shape),
                                                             workers.reshape(shape)))
    history = jax.tree.map(lambda p0, ps: jnp.concatenate([p0[None], ps]),
                           server.params(state), recorded)
    return AsyncRun(history, losses.ravel(), stale.ravel())


_simulate_jit = jax.jit(_simulate, static_argnums=(0, 1, 6, 10))


def _workers(schedule: Schedule | jax.Array) -> jax.Array:
    return schedule.workers if isinstance(schedule, Schedule) else jnp.asarray(schedule)


def _check(num_events: int, num_workers: int, n_fetch: int, n_push: int,
           local_learning_rate: float, record_every: int) -> tuple[int, int, int, int]:
    num_workers = check_positive_int("num_workers", num_workers)
    n_fetch = check_positive_int("n_fetch", n_fetch)
    n_push = check_positive_int("n_push", n_push)
    check_nonnegative("local_learning_rate", local_learning_rate)
    record_every = check_positive_int("record_every", record_every)
    if num_events % record_every:
        raise ValueError(f"record_every must divide the number of events ({num_events}), "
                         f"got {record_every}")
    return num_workers, n_fetch, n_push, record_every


def simulate(server: Server, loss_fn: Loss, params: PyTree, x_batches: jax.Array,
             y_batches: jax.Array, schedule: Schedule | jax.Array, num_workers: int,
             n_fetch: int = 1, n_push: int = 1, local_learning_rate: float = 0.0,
             record_every: int = 1) -> AsyncRun:
    r"""Downpour SGD: replicas race as ``schedule`` says; the server applies what they push.

    Args:
        server: e.g. :func:`adagrad_server` (Dean et al.) or :func:`sgd_server`.
        loss_fn: ``loss_fn(params, x, y)``, the mean loss on a mini-batch.
        params: the initial parameters, on the server and fetched by every replica at time 0.
        x_batches: ``(num_batches, batch_size, ...)``: the stream of mini-batches; the replica
            acting at event ``k`` takes ``x_batches[k % num_batches]`` (as if all replicas
            drew from one shuffled queue of the data).
        y_batches: the targets.
        schedule: which replica finishes a step at each event (a
            :class:`~gdlib.parallel.event_schedule.Schedule` or its ``workers`` array); values in
            ``[0, num_workers)``.
        num_workers: the number of replicas (may exceed those the schedule uses).
        n_fetch: a replica fetches the parameters after every ``n_fetch`` of its steps.
        n_push: a replica pushes its accrued gradient after every ``n_push`` of its steps.
        local_learning_rate: the step a replica takes on its own copy between fetches
            (Dean et al.'s :math:`\alpha`; irrelevant when ``n_fetch = 1``).
        record_every: keep the server's parameters every this many events.

    Example:
        >>> import jax.numpy as jnp
        >>> from gdlib.parallel.event_schedule import round_robin
        >>> loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
        >>> x = jnp.ones((1, 4, 1)); y = 3 * jnp.ones((1, 4))
        >>> run = simulate(adagrad_server(0.5), loss, jnp.zeros(1), x, y, round_robin(4, 400), 4)
        >>> round(float(run.params[-1, 0]), 3), run.staleness[:6].tolist()
        (3.0, [0, 1, 2, 3, 3, 3])
    """
    workers = _workers(schedule)
    num_workers, n_fetch, n_push, record_every = _check(
        workers.shape[0], num_workers, n_fetch, n_push, local_learning_rate, record_every)
    return _simulate_jit(server, loss_fn, params, x_batches, y_batches, workers, num_workers,
                         n_fetch, n_push, local_learning_rate, record_every)


@partial(jax.jit, static_argnums=(0, 1, 6, 10))
def _sweep(make_server, loss_fn, params, x_batches, y_batches, workers, num_workers, n_fetch,
           n_push, local_learning_rate, record_every, hyperparams):
    def one(workers, hp):
        return _simulate(make_server(**hp), loss_fn, params, x_batches, y_batches, workers,
                         num_workers, n_fetch, n_push, local_learning_rate, record_every)

    over_hyperparams = jax.vmap(one, in_axes=(None, 0))
    return jax.vmap(over_hyperparams, in_axes=(0, None))(workers, hyperparams)


def sweep(make_server: Callable[..., Server], loss_fn: Loss, params: PyTree,
          x_batches: jax.Array, y_batches: jax.Array, schedules: jax.Array, num_workers: int,
          n_fetch: int = 1, n_push: int = 1, local_learning_rate: float = 0.0,
          record_every: int = 1, **hyperparams: Any) -> AsyncRun:
    """:func:`simulate` for every schedule crossed with every server hyperparameter, in one call.

    Args:
        make_server: e.g. :func:`adagrad_server`; called with the hyperparameters.
        schedules: ``(num_schedules, num_events)`` worker arrays, e.g. round robins of 1, 4
            and 16 replicas stacked (``num_workers`` must cover the largest).
        hyperparams: numbers or 1-D arrays, zipped as in :func:`gdlib.sweep`.
        The other arguments: as in :func:`simulate`.

    Returns:
        An :class:`AsyncRun` whose fields have two leading axes: schedule, hyperparameters.

    Example:
        >>> import jax.numpy as jnp
        >>> from gdlib.parallel.event_schedule import round_robin
        >>> loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
        >>> x = jnp.ones((1, 4, 1)); y = jnp.ones((1, 4))
        >>> schedules = jnp.stack([round_robin(p, 100).workers for p in (1, 8)])
        >>> runs = sweep(sgd_server, loss, jnp.zeros(1), x, y, schedules, 8,
        ...              learning_rate=[0.1, 0.4])
        >>> runs.params.shape, runs.staleness.max(axis=-1).tolist()
        ((2, 2, 101, 1), [[0, 0], [7, 7]])
    """
    schedules = jnp.asarray(schedules)
    num_workers, n_fetch, n_push, record_every = _check(
        schedules.shape[-1], num_workers, n_fetch, n_push, local_learning_rate, record_every)
    grid = checked_grid(make_server, params, hyperparams)
    return _sweep(make_server, loss_fn, params, x_batches, y_batches, schedules, num_workers,
                  n_fetch, n_push, local_learning_rate, record_every, grid)


def time_to_target(losses: Any, times: Any, target: float) -> Any:
    r"""When a loss curve first reaches ``target``, interpolated between its checkpoints.

    Between the last checkpoint above the target and the first at or below it, the log of
    the loss is taken as linear in time (a curve that decays geometrically between two
    checkpoints is located exactly). A curve that never reaches the target gives ``inf``; one
    that starts below it, its first time.

    Args:
        losses: ``(..., num_checkpoints)`` loss curves (NaN or inf once diverged).
        times: ``(..., num_checkpoints)`` the time of each checkpoint, broadcastable to
            ``losses``.
        target: the loss to reach.

    Example:
        >>> import numpy as np
        >>> t = time_to_target(np.array([1.0, 0.5, 0.25]), np.array([0.0, 2.0, 4.0]), 0.5**1.5)
        >>> round(float(t), 9)
        3.0
        >>> time_to_target(np.array([[1.0, 0.9], [0.2, 0.1]]), np.array([0.0, 1.0]), 0.5).tolist()
        [inf, 0.0]
    """
    losses = np.asarray(losses, dtype=float)
    times = np.broadcast_to(np.asarray(times, dtype=float), losses.shape)
    below = np.where(np.isnan(losses), False, losses <= target)
    reached = below.any(axis=-1)
    first = np.argmax(below, axis=-1)
    before = np.maximum(first - 1, 0)
    take = lambda a, i: np.take_along_axis(a, i[..., None], axis=-1)[..., 0]  # noqa: E731
    l0, l1 = np.log(take(losses, before)), np.log(take(losses, first))
    t0, t1 = take(times, before), take(times, first)
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(first > 0, (l0 - np.log(target)) / (l0 - l1), 0.0)
    return np.where(reached, t0 + np.clip(fraction, 0.0, 1.0) * (t1 - t0), np.inf)
