r"""Elastic Averaging SGD (Zhang, Choromanska & LeCun 2015): workers on an elastic leash.

:math:`p` workers each keep their own parameters :math:`x^i`; a centre variable :math:`\tilde x`
(on the parameter server) links them. With learning rate :math:`\eta` and moving rate
:math:`\alpha = \eta\rho` (:math:`\rho` is the stiffness of the elastic link), the
**synchronous** version updates all of them at once from the values at time :math:`t`:

.. math::
    x^i_{t+1} = x^i_t - \eta\, g^i_t(x^i_t) - \alpha\,(x^i_t - \tilde x_t), \qquad
    \tilde x_{t+1} = \tilde x_t + \alpha \sum_{i=1}^p (x^i_t - \tilde x_t).

Each worker is pulled towards the centre and the centre towards the workers by the same
force: the sum of the two is conserved. :func:`sync` runs it on a device mesh (the workers
sharded over the devices, the centre replicated, the sum over workers an all-reduce).

The **asynchronous** version (the paper's Algorithm 1) lets each worker run at its own pace
and talk to the centre every :math:`\tau` of its own steps:

.. math::
    \text{if } \tau \mid t^i:\quad \delta = \alpha(x^i - \tilde x),\quad x^i \leftarrow x^i -
    \delta,\quad \tilde x \leftarrow \tilde x + \delta; \qquad\text{then}\quad
    x^i \leftarrow x^i - \eta\, g^i(x^i),

simulated by :func:`asynchronous` over a seeded :class:`gdlib.parallel.event_schedule.Schedule`.

**Stability.** On the 1-D quadratic :math:`f(x) = \frac h2 x^2` with exact gradients the
synchronous map is linear. With :math:`a = \eta h` and :math:`\beta = p\alpha` its eigenvalues
are :math:`1 - a - \alpha` (the workers' disagreement, for :math:`p \ge 2`) and those of
:math:`\begin{pmatrix} 1-a-\alpha & \alpha \\ \beta & 1-\beta\end{pmatrix}` (the mean worker and
the centre); the Jury conditions give the region of :func:`stable`:

.. math::
    a\beta > 0,\quad 4 - 2a - 2\alpha - 2\beta + a\beta > 0,\quad
    |(1-a)(1-\beta) - \alpha| < 1,\quad (p \ge 2)\ |1 - a - \alpha| < 1.

For :math:`p = 1` it reduces to :math:`0 < \eta h < 2` and
:math:`0 < \alpha < \frac{4 - 2\eta h}{4 - \eta h}`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from gdlib.optim.hyperparams import check_nonnegative, check_positive_int, check_range
from gdlib.parallel.data_parallel import AXIS
from gdlib.parallel.event_schedule import Schedule

PyTree = Any
Loss = Callable[[PyTree, jax.Array, jax.Array], jax.Array]


class EASGDRun(NamedTuple):
    """What an EASGD run produced.

    Attributes:
        centers: the centre variable :math:`\\tilde x` at the start and after every step (or
            event), leading axis ``num_steps + 1``.
        workers: the workers' final parameters, leading axis ``p``.
        worker_losses: each worker's mini-batch loss at each of its steps: ``(num_steps, p)``
            for :func:`sync`; for :func:`asynchronous`, ``(num_events,)``, the loss of the worker
            that acted at that event.
    """

    centers: PyTree
    workers: PyTree
    worker_losses: jax.Array


def _check_rates(learning_rate: float, moving_rate: float) -> None:
    check_nonnegative("learning_rate", learning_rate)
    check_range("moving_rate", moving_rate, 0.0, 1.0)


def _place(params, x_batches, y_batches, mesh):
    """Workers' batches split over the devices, the centre replicated."""
    if x_batches.shape[0] % mesh.size:
        raise ValueError(f"the number of workers (x_batches.shape[0]) must be a multiple of "
                         f"the number of devices ({mesh.size}), got {x_batches.shape[0]}")
    x_batches, y_batches = jax.device_put((x_batches, y_batches), NamedSharding(mesh, P(AXIS)))
    return jax.device_put(params, NamedSharding(mesh, P())), x_batches, y_batches


def _stack(tree: PyTree, count: int) -> PyTree:
    return jax.tree.map(lambda leaf: jnp.broadcast_to(leaf, (count, *jnp.shape(leaf))), tree)


def _prepend(first: PyTree, rest: PyTree) -> PyTree:
    return jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]), first, rest)


def _elastic_step(loss_fn, workers, center, batch, learning_rate, moving_rate):
    """The local half of a synchronous step: new workers, their losses, and sum(x_i - centre)."""
    losses, grads = jax.vmap(jax.value_and_grad(loss_fn))(workers, *batch)
    diff = jax.tree.map(lambda w, c: w - c, workers, center)
    workers = jax.tree.map(lambda w, g, d: w - learning_rate * g - moving_rate * d,
                           workers, grads, diff)
    return workers, losses, jax.tree.map(lambda d: d.sum(axis=0), diff)


@partial(jax.jit, static_argnums=(0, 4))
def _sync(loss_fn, params, x_batches, y_batches, mesh, learning_rate, moving_rate):
    def on_each_device(center, x_batches, y_batches):
        # This device's block of workers. They start as copies of the replicated centre, but
        # each device's differ: say so (pcast to "varying"), or JAX would treat them as
        # replicated and sum their gradients over the devices.
        workers = lax.pcast(_stack(center, x_batches.shape[0]), AXIS, to="varying")

        def step(carry, batch):
            workers, center = carry
            workers, losses, diff = _elastic_step(loss_fn, workers, center, batch,
                                                  learning_rate, moving_rate)
            total = lax.psum(diff, AXIS)  # the sum over all workers: an all-reduce
            center = jax.tree.map(lambda c, d: c + moving_rate * d, center, total)
            return (workers, center), (center, losses)

        per_step = (jnp.swapaxes(x_batches, 0, 1), jnp.swapaxes(y_batches, 0, 1))
        (workers, _), (centers, losses) = lax.scan(step, (workers, center), per_step)
        return _prepend(center, centers), workers, losses

    specs = (P(), P(AXIS), P(AXIS))
    return jax.shard_map(on_each_device, mesh=mesh, in_specs=specs,
                         out_specs=(P(), P(AXIS), P(None, AXIS)))(params, x_batches, y_batches)


def sync(loss_fn: Loss, params: PyTree, x_batches: jax.Array, y_batches: jax.Array,
         mesh: Mesh, learning_rate: float, moving_rate: float) -> EASGDRun:
    """Synchronous EASGD with the workers spread over the devices of ``mesh``.

    Args:
        loss_fn: ``loss_fn(params, x, y)`` on one worker's mini-batch.
        params: the starting point of the centre and of every worker.
        x_batches: ``(p, num_steps, batch_size, ...)``: worker ``i`` sees
            ``x_batches[i, t]`` at step ``t``. ``p`` must be a multiple of the number of
            devices (each device runs ``p / mesh.size`` workers).
        y_batches: the targets, ``(p, num_steps, batch_size, ...)``.
        mesh: from :func:`gdlib.parallel.data_parallel.data_mesh`.
        learning_rate: :math:`\\eta`.
        moving_rate: :math:`\\alpha = \\eta\\rho`, in [0, 1].

    Example:
        >>> import jax.numpy as jnp
        >>> from gdlib.parallel.data_parallel import data_mesh
        >>> loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
        >>> x = jnp.ones((8, 50, 4, 1)); y = 2 * jnp.ones((8, 50, 4))
        >>> run = sync(loss, jnp.zeros(1), x, y, data_mesh(), 0.1, 0.05)
        >>> round(float(run.centers[-1, 0]), 3), run.worker_losses.shape
        (2.0, (50, 8))
    """
    _check_rates(learning_rate, moving_rate)
    params, x_batches, y_batches = _place(params, x_batches, y_batches, mesh)
    return EASGDRun(*_sync(loss_fn, params, x_batches, y_batches, mesh, learning_rate,
                           moving_rate))


@partial(jax.jit, static_argnums=(0, 4))
def _sync_sweep(loss_fn, params, x_batches, y_batches, mesh, learning_rates, moving_rates):
    def one(learning_rate, moving_rate):
        return _sync(loss_fn, params, x_batches, y_batches, mesh, learning_rate, moving_rate)

    return jax.vmap(one)(learning_rates, moving_rates)


def sync_sweep(loss_fn: Loss, params: PyTree, x_batches: jax.Array, y_batches: jax.Array,
               mesh: Mesh, learning_rates: Any, moving_rates: Any) -> EASGDRun:
    """:func:`sync` for many ``(learning_rate, moving_rate)`` pairs (zipped), in one call.

    Every field of the result gets a leading axis, one entry per pair.

    Example:
        >>> import jax.numpy as jnp
        >>> from gdlib.parallel.data_parallel import data_mesh
        >>> loss = lambda w, x, y: 0.5 * jnp.sum(w**2)  # h = 1: stable iff stable(η, α, p)
        >>> x = jnp.zeros((8, 100, 1, 1)); y = jnp.zeros((8, 100, 1))
        >>> runs = sync_sweep(loss, jnp.ones(1), x, y, data_mesh(), [0.5, 0.5], [0.05, 0.3])
        >>> abs(runs.centers[:, -1, 0]) < 1e-3, stable([0.5, 0.5], [0.05, 0.3], 8)
        (Array([ True, False], dtype=bool), array([ True, False]))
    """
    rates = np.broadcast_arrays(np.atleast_1d(np.asarray(learning_rates, dtype=float)),
                                np.atleast_1d(np.asarray(moving_rates, dtype=float)))
    for name, values in zip(("learning_rates", "moving_rates"), rates, strict=True):
        if values.ndim != 1:
            raise ValueError(f"{name} must be a number or a 1-D array, got shape {values.shape}")
    _check_rates(*rates)
    params, x_batches, y_batches = _place(params, x_batches, y_batches, mesh)
    dtype = jnp.result_type(*jax.tree.leaves(params))
    learning_rates, moving_rates = (jnp.asarray(r, dtype) for r in rates)
    return EASGDRun(*_sync_sweep(loss_fn, params, x_batches, y_batches, mesh, learning_rates,
                                 moving_rates))


@partial(jax.jit, static_argnums=(0,))
def _asynchronous(loss_fn, params, x_batches, y_batches, workers_of_events, learning_rate,
                  moving_rate, period):
    num_workers, num_batches = x_batches.shape[:2]
    def event(carry, worker):
        workers, center, clocks = carry
        x, clock = jax.tree.map(lambda w: w[worker], workers), clocks[worker]
        talk = (clock % period) == 0
        delta = jax.tree.map(lambda xi, c: jnp.where(talk, moving_rate * (xi - c), 0), x, center)
        x = jax.tree.map(jnp.subtract, x, delta)
        center = jax.tree.map(jnp.add, center, delta)
        batch = (x_batches[worker, clock % num_batches], y_batches[worker, clock % num_batches])
        loss, grad = jax.value_and_grad(loss_fn)(x, *batch)
        x = jax.tree.map(lambda xi, g: xi - learning_rate * g, x, grad)
        workers = jax.tree.map(lambda w, xi: w.at[worker].set(xi), workers, x)
        return (workers, center, clocks.at[worker].add(1)), (center, loss)

    start = (_stack(params, num_workers), params, jnp.zeros(num_workers, jnp.int32))
    (workers, _, _), (centers, losses) = lax.scan(event, start, workers_of_events)
    return _prepend(params, centers), workers, losses


def asynchronous(loss_fn: Loss, params: PyTree, x_batches: jax.Array, y_batches: jax.Array,
                 schedule: Schedule | jax.Array, learning_rate: float, moving_rate: float,
                 period: int = 1) -> EASGDRun:
    """Asynchronous EASGD (Algorithm 1), simulated event by event in one ``lax.scan``.

    At each event of ``schedule`` one worker ``i`` takes a step: every ``period`` of its own
    steps it first exchanges the elastic difference with the centre, then it takes an SGD step
    on its next mini-batch, ``x_batches[i, t_i % num_batches]``.

    Args:
        loss_fn, params, learning_rate, moving_rate: as in :func:`sync`.
        x_batches: ``(p, num_batches, batch_size, ...)``, worker ``i``'s own mini-batches,
            cycled through.
        y_batches: the targets.
        schedule: a :class:`~gdlib.parallel.event_schedule.Schedule` (or its ``workers`` array).
        period: :math:`\\tau`, the worker's steps between two talks with the centre.

    Example:
        >>> import jax.numpy as jnp
        >>> from gdlib.parallel.event_schedule import round_robin
        >>> loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
        >>> x = jnp.ones((4, 10, 2, 1)); y = 2 * jnp.ones((4, 10, 2))
        >>> run = asynchronous(loss, jnp.zeros(1), x, y, round_robin(4, 800), 0.05, 0.2, 4)
        >>> round(float(run.centers[-1, 0]), 3), run.workers.shape
        (2.0, (4, 1))
    """
    _check_rates(learning_rate, moving_rate)
    period = check_positive_int("period", period)
    workers = schedule.workers if isinstance(schedule, Schedule) else jnp.asarray(schedule)
    return EASGDRun(*_asynchronous(loss_fn, params, x_batches, y_batches, workers,
                                   learning_rate, moving_rate, period))


# ----------------------------------------------------------------------------- stability


def stable(eta_h: Any, moving_rate: Any, num_workers: int) -> np.ndarray:
    """Whether synchronous EASGD converges on :math:`\\frac h2 x^2` (see the module docstring).

    Element-wise over arrays of :math:`\\eta h` and :math:`\\alpha`.

    Example:
        >>> stable([0.5, 2.5, 0.5], [0.3, 0.3, 0.95], 1).tolist()
        [True, False, False]
    """
    p = check_positive_int("num_workers", num_workers)
    a, alpha = np.asarray(eta_h, dtype=float), np.asarray(moving_rate, dtype=float)
    beta = p * alpha
    ok = (a * beta > 0) & (4 - 2 * a - 2 * alpha - 2 * beta + a * beta > 0)
    ok &= np.abs((1 - a) * (1 - beta) - alpha) < 1
    if p >= 2:
        ok &= np.abs(1 - a - alpha) < 1
    return ok


def quadratic_map(eta_h: float, moving_rate: float, num_workers: int) -> np.ndarray:
    """The matrix of one synchronous step on :math:`\\frac h2 x^2`: state
    :math:`(x^1, \\dots, x^p, \\tilde x)`, shape ``(p + 1, p + 1)``.

    Example:
        >>> quadratic_map(0.5, 0.25, 1).tolist()
        [[0.25, 0.25], [0.25, 0.75]]
    """
    p = check_positive_int("num_workers", num_workers)
    a, alpha = float(eta_h), float(moving_rate)
    matrix = np.zeros((p + 1, p + 1))
    matrix[:p, :p] = (1 - a - alpha) * np.eye(p)
    matrix[:p, p] = alpha
    matrix[p, :p] = alpha
    matrix[p, p] = 1 - p * alpha
    return matrix


def spectral_radius(eta_h: float, moving_rate: float, num_workers: int) -> float:
    """The largest modulus of an eigenvalue of :func:`quadratic_map`: below 1 iff it contracts.

    Example:
        >>> round(spectral_radius(0.5, 0.25, 1), 4)
        0.8536
    """
    return float(np.max(np.abs(np.linalg.eigvals(quadratic_map(eta_h, moving_rate,
                                                               num_workers)))))
