r"""Early stopping with patience (Goodfellow, Bengio & Courville 2016, Algorithm 7.1).

Train, look at the validation error after every epoch, remember the parameters with the lowest
error so far, and stop once ``patience`` evaluations in a row brought no improvement; return the
*remembered* parameters, not the last ones::

    θ* ← θ, i* ← 0, v ← ∞, j ← 0
    while j < p:
        train one epoch;  i ← i + 1;  v' ← validation error
        if v' < v:  j ← 0;  θ* ← θ;  i* ← i;  v ← v'      (strictly smaller: a tie is no gain)
        else:       j ← j + 1
    return θ*, i*

The bookkeeping is a pure function, :func:`observe`, shared by the compiled training loop
:func:`train` and by :func:`stopping_point`, which replays the rule on a recorded validation
curve (training does not depend on the monitor, so both give the same stop).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from gdlib.optim.base import GradientTransformation
from gdlib.optim.hyperparams import check_nonnegative, check_positive_int, check_range
from gdlib.problems.data import Dataset
from gdlib.train.training import Loss, run_epoch, shuffled_orders

PyTree = Any


class Monitor(NamedTuple):
    """The counters of Algorithm 7.1.

    Attributes:
        step: :math:`i`, evaluations so far (epochs trained).
        wait: :math:`j`, evaluations in a row without improvement.
        best_value: :math:`v`, the lowest validation error so far (:math:`\\infty` at first).
        best_step: :math:`i^*`, the evaluation that reached it (0: none yet).
    """

    step: jax.Array
    wait: jax.Array
    best_value: jax.Array
    best_step: jax.Array


def start(dtype: Any = jnp.float32) -> Monitor:
    """The monitor before training: :math:`i = j = i^* = 0`, :math:`v = \\infty`.

    Validation errors are compared in ``dtype``, so that a tie is a tie.
    """
    zero = jnp.zeros([], jnp.int32)
    return Monitor(zero, zero, jnp.array(jnp.inf, dtype), zero)


def observe(monitor: Monitor, value: jax.Array, min_delta: float = 0.0
            ) -> tuple[Monitor, jax.Array]:
    r"""One evaluation: improvement if :math:`v' < v - \delta` (strict; ``min_delta`` = δ).

    Returns the new monitor and whether this evaluation improved (then the caller keeps the
    current parameters as :math:`\theta^*`). A NaN never improves.

    Example:
        >>> monitor = start()
        >>> for value in [3.0, 2.0, 2.0, 2.5, 1.0]:
        ...     monitor, improved = observe(monitor, value)
        ...     print(int(monitor.step), bool(improved), int(monitor.wait), int(monitor.best_step))
        1 True 0 1
        2 True 0 2
        3 False 1 2
        4 False 2 2
        5 True 0 5
    """
    step = monitor.step + 1
    value = jnp.asarray(value).astype(monitor.best_value.dtype)
    improved = value < monitor.best_value - min_delta
    return Monitor(step, jnp.where(improved, 0, monitor.wait + 1),
                   jnp.where(improved, value, monitor.best_value),
                   jnp.where(improved, step, monitor.best_step)), improved


def should_stop(monitor: Monitor, patience: int | jax.Array) -> jax.Array:
    """Whether patience has run out: :math:`j \\ge p`."""
    return monitor.wait >= patience


class Stop(NamedTuple):
    """Where early stopping stops on a validation curve.

    Attributes:
        best_epoch: :math:`i^*`, the epoch whose parameters are returned (0: none improved).
        stopped_at: the epoch after which training stops, -1 if patience never ran out.
        best_value: the validation error at ``best_epoch``.
    """

    best_epoch: jax.Array
    stopped_at: jax.Array
    best_value: jax.Array


def _check_patience(patience: Any) -> Any:
    if isinstance(patience, int):
        return check_positive_int("patience", patience)
    return check_range("patience", patience, 1.0)


def stopping_point(val_errors: jax.Array, patience: int | jax.Array, min_delta: float = 0.0
                   ) -> Stop:
    """Replay Algorithm 7.1 on ``val_errors``, the validation errors after epochs 1, 2, ...

    ``patience`` may be an array (one stop per patience, broadcast).

    Example:
        >>> import jax.numpy as jnp
        >>> curve = jnp.array([5.0, 4.0, 4.5, 4.2, 3.9, 4.1, 4.3, 4.4])
        >>> stop = stopping_point(curve, patience=2)
        >>> int(stop.best_epoch), int(stop.stopped_at)
        (2, 4)
        >>> stopping_point(curve, jnp.array([3, 4])).stopped_at.tolist()
        [8, -1]
    """
    check_nonnegative("min_delta", min_delta)
    patience = _check_patience(patience)
    return _stopping_point(jnp.asarray(val_errors, jnp.float32), jnp.asarray(patience),
                           jnp.asarray(min_delta, jnp.float32))


@jax.jit
def _stopping_point(val_errors, patience, min_delta):
    def replay(p):
        def one(carry, value):
            monitor, stopped_at = carry
            running = stopped_at < 0
            new, _ = observe(monitor, value, min_delta)
            monitor = jax.tree.map(lambda a, b: jnp.where(running, a, b), new, monitor)
            stopped_at = jnp.where(running & should_stop(monitor, p), monitor.step, stopped_at)
            return (monitor, stopped_at), None

        (monitor, stopped_at), _ = lax.scan(one, (start(), jnp.array(-1, jnp.int32)),
                                            val_errors)
        return Stop(monitor.best_step, stopped_at, monitor.best_value)

    if patience.ndim == 0:
        return replay(patience)
    stops = jax.vmap(replay)(patience.ravel())
    return jax.tree.map(lambda a: a.reshape(patience.shape), stops)


class Result(NamedTuple):
    """What early-stopped training returns.

    Attributes:
        params: :math:`\\theta^*`, the parameters of the best epoch (the initial ones if no
            epoch improved).
        last_params: the parameters when training stopped.
        best_epoch: :math:`i^*`.
        stopped_at: the epochs trained (``max_epochs`` if patience never ran out).
        train_losses, val_errors: before training (index 0) and after every epoch trained,
            ``(max_epochs + 1,)``; NaN after ``stopped_at``.
    """

    params: PyTree
    last_params: PyTree
    best_epoch: jax.Array
    stopped_at: jax.Array
    train_losses: jax.Array
    val_errors: jax.Array


class _Carry(NamedTuple):
    params: PyTree
    state: PyTree
    monitor: Monitor
    best_params: PyTree
    train_losses: jax.Array
    val_errors: jax.Array


def _train(optimizer, loss_fn, metric, params, data, orders, batch_size, patience, min_delta):
    x, y, x_val, y_val = data
    max_epochs = orders.shape[0]
    loss0, value0 = loss_fn(params, x, y), metric(params, x_val, y_val)
    blank = jnp.full(max_epochs + 1, jnp.nan)

    def running(carry):
        return ~should_stop(carry.monitor, patience) & (carry.monitor.step < max_epochs)

    def one_epoch(carry):
        params, state, _ = run_epoch(optimizer, loss_fn, carry.params, carry.state, x, y,
                                     orders[carry.monitor.step], batch_size)
        value = metric(params, x_val, y_val)
        monitor, improved = observe(carry.monitor, value, min_delta)
        best = jax.tree.map(lambda new, old: jnp.where(improved, new, old), params,
                            carry.best_params)
        train_loss = loss_fn(params, x, y).astype(carry.train_losses.dtype)
        return _Carry(params, state, monitor, best,
                      carry.train_losses.at[monitor.step].set(train_loss),
                      carry.val_errors.at[monitor.step].set(value.astype(monitor.best_value.dtype)))

    first = _Carry(params, optimizer.init(params), start(jnp.result_type(value0)), params,
                   blank.astype(jnp.result_type(loss0)).at[0].set(loss0),
                   blank.astype(jnp.result_type(value0)).at[0].set(value0))
    last = lax.while_loop(running, one_epoch, first)
    return Result(last.best_params, last.params, last.monitor.best_step, last.monitor.step,
                  last.train_losses, last.val_errors)


_train_jit = jax.jit(_train, static_argnums=(0, 1, 2, 6))


def train(optimizer: GradientTransformation, loss_fn: Loss, params: PyTree, data: Dataset,
          key: jax.Array | None = None, patience: int = 5, max_epochs: int = 100,
          batch_size: int = 32, metric: Loss | None = None, min_delta: float = 0.0,
          orders: jax.Array | None = None) -> Result:
    """Mini-batch training that stops early and returns the best parameters (Algorithm 7.1).

    The validation error is evaluated after every epoch (the algorithm's :math:`n` steps are
    one epoch); training stops after ``patience`` evaluations in a row without a strict
    improvement, or after ``max_epochs``. One compiled ``lax.while_loop``: the epochs after
    the stop are never computed.

    Args:
        optimizer, loss_fn, params, data, key, batch_size, orders: as in
            :func:`gdlib.train.training.train` (``orders`` gives ``max_epochs`` rows).
        patience: :math:`p`, evaluations without improvement that end training.
        max_epochs: the most epochs trained.
        metric: ``metric(params, x_val, y_val)``, the validation error (default ``loss_fn``).
        min_delta: an improvement must beat the best value by more than this.

    Example:
        >>> import jax, gdlib
        >>> from gdlib.problems import data, models
        >>> loss = lambda p, x, y: models.mean_squared_error(models.linear(p, x), y)
        >>> result = train(gdlib.sgd(0.05), loss, models.init_linear(jax.random.key(0), 10),
        ...                data.diabetes(), jax.random.key(1), patience=3, max_epochs=200)
        >>> stopped, best = int(result.stopped_at), int(result.best_epoch)
        >>> stopped == best + 3, stopped < 200
        (True, True)
    """
    metric = loss_fn if metric is None else metric
    patience = _check_patience(patience)
    check_nonnegative("min_delta", min_delta)
    batch_size = check_positive_int("batch_size", batch_size)
    if orders is None:
        max_epochs = check_positive_int("max_epochs", max_epochs)
        orders = shuffled_orders(key, max_epochs, data.x_train.shape[0])
    arrays = (data.x_train, data.y_train, data.x_val, data.y_val)
    return _train_jit(optimizer, loss_fn, metric, params, arrays, jnp.asarray(orders),
                      batch_size, jnp.asarray(patience), jnp.asarray(min_delta, jnp.float32))

