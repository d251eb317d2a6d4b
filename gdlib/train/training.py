"""Train a model on a data set for some epochs of mini-batches, in one compiled loop.

:func:`train` is the slides' mini-batch gradient descent loop, ::

    for epoch in range(num_epochs):
        shuffle(data)
        for batch in get_batches(data, batch_size):
            params = params - learning_rate * gradient(loss, batch, params)

written as two nested ``lax.scan`` loops (epochs, then the batches of an epoch) with any
gdlib optimizer. It records the mini-batch loss at every update and the full training and
validation losses after every epoch. :func:`train_sweep` runs it for a grid of hyperparameters
in one ``vmap``-ped call. :func:`run_epoch` is one epoch of it, for loops that decide something
between epochs; :func:`per_epoch` makes a schedule of the epoch usable by an optimizer (which
counts updates).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from gdlib.optim.base import GradientTransformation, apply_updates
from gdlib.optim.hyperparams import Schedule, check_positive_int
from gdlib.problems.batches import batches
from gdlib.problems.data import Dataset
from gdlib.train.runner import checked_grid

PyTree = Any
Loss = Callable[[PyTree, jax.Array, jax.Array], jax.Array]


class History(NamedTuple):
    """What happened during training.

    Attributes:
        params: the parameters after the last epoch.
        update_losses: the mini-batch loss before each update, ``(num_epochs, num_batches)``.
        train_losses: the loss on the whole training set before training (index 0) and after
            each epoch, ``(num_epochs + 1,)``.
        val_losses: the same on the validation set.
        diverged_at: the first epoch whose training loss is not finite, else -1.
    """

    params: PyTree
    update_losses: jax.Array
    train_losses: jax.Array
    val_losses: jax.Array
    diverged_at: jax.Array


def shuffled_orders(key: jax.Array, num_epochs: int, num_examples: int) -> jax.Array:
    """A fresh random order of the examples for every epoch: ``(num_epochs, num_examples)``.

    Example:
        >>> import jax
        >>> orders = shuffled_orders(jax.random.key(0), 3, 5)
        >>> orders.shape, bool((orders.sort(axis=1) == jax.numpy.arange(5)).all())
        ((3, 5), True)
    """
    keys = jax.random.split(key, num_epochs)
    return jax.vmap(lambda k: jax.random.permutation(k, num_examples))(keys)


def per_epoch(schedule: Schedule, updates_per_epoch: int) -> Schedule:
    r"""Turn a schedule of the *epoch* into one of the update count that optimizers hand it.

    gdlib's optimizers evaluate their schedule at the number of updates made so far; the
    slides' schedules count epochs (":math:`\gamma_0` halved every 10 epochs"). With
    :math:`B` = ``updates_per_epoch`` updates per epoch, update :math:`c` (counted from 0)
    belongs to epoch :math:`\lfloor c / B \rfloor`.

    Example:
        >>> from gdlib.optim import schedules
        >>> rate = per_epoch(schedules.step_decay(0.01, drop=0.5, every=10), updates_per_epoch=3)
        >>> [round(float(rate(c)), 4) for c in (0, 29, 30, 60)]
        [0.01, 0.01, 0.005, 0.0025]
    """
    updates_per_epoch = check_positive_int("updates_per_epoch", updates_per_epoch)

    def schedule_of_count(count: Any) -> jax.Array:
        return schedule(jnp.floor_divide(jnp.asarray(count), updates_per_epoch))

    return schedule_of_count


def run_epoch(optimizer: GradientTransformation, loss_fn: Loss, params: PyTree, state: PyTree,
              x: jax.Array, y: jax.Array, order: jax.Array, batch_size: int
              ) -> tuple[PyTree, PyTree, jax.Array]:
    """One pass over ``x, y`` in ``order``, one update per batch of ``batch_size`` (traceable).

    The building block of :func:`train`, for loops that decide something between epochs
    (a learning rate, a stop) and for timing one epoch; call it inside ``jit``.

    Returns:
        ``(params, state, update_losses)``: the parameters and optimizer state after the
        epoch, and the mini-batch loss before each update, ``(num_batches,)``.

    Example:
        >>> import jax, jax.numpy as jnp, gdlib
        >>> loss = lambda p, x, y: jnp.mean((x * p - y) ** 2)
        >>> opt = gdlib.sgd(0.1)
        >>> x = y = jnp.ones(4)
        >>> p, state, losses = run_epoch(opt, loss, 0.0, opt.init(0.0), x, y, jnp.arange(4), 2)
        >>> [round(float(v), 4) for v in losses], round(float(p), 4)
        ([1.0, 0.64], 0.36)
    """
    value_and_grad = jax.value_and_grad(loss_fn)

    def one_update(carry, rows):
        params, state = carry
        loss, grads = value_and_grad(params, jnp.take(x, rows, axis=0), jnp.take(y, rows, axis=0))
        updates, state = optimizer.update(grads, state, params)
        return (apply_updates(params, updates), state), loss

    (params, state), losses = lax.scan(one_update, (params, state), batches(order, batch_size))
    return params, state, losses


def _train(optimizer, loss_fn, params, data, orders, batch_size):
    x, y, x_val, y_val = data

    def one_epoch(carry, order):
        params, state, losses = run_epoch(optimizer, loss_fn, *carry, x, y, order, batch_size)
        return (params, state), (losses, loss_fn(params, x, y), loss_fn(params, x_val, y_val))

    (params_out, _), (update_losses, train, val) = lax.scan(
        one_epoch, (params, optimizer.init(params)), orders)
    train = jnp.concatenate([loss_fn(params, x, y)[None], train])
    val = jnp.concatenate([loss_fn(params, x_val, y_val)[None], val])
    bad = ~jnp.isfinite(train)
    diverged_at = jnp.where(jnp.any(bad), jnp.argmax(bad), -1).astype(jnp.int32)
    return History(params_out, update_losses, train, val, diverged_at)


_train_jit = jax.jit(_train, static_argnums=(0, 1, 5))


def _inputs(data: Dataset, key, num_epochs, batch_size, orders):
    batch_size = check_positive_int("batch_size", batch_size)
    if orders is None:
        num_epochs = check_positive_int("num_epochs", num_epochs)
        orders = shuffled_orders(key, num_epochs, data.x_train.shape[0])
    arrays = (data.x_train, data.y_train, data.x_val, data.y_val)
    return arrays, jnp.asarray(orders), batch_size


def train(optimizer: GradientTransformation, loss_fn: Loss, params: PyTree, data: Dataset,
          key: jax.Array | None = None, num_epochs: int = 10, batch_size: int = 32,
          orders: jax.Array | None = None) -> History:
    """Mini-batch training: ``num_epochs`` passes over ``data`` in batches of ``batch_size``.

    Args:
        optimizer: any gdlib (or optax) optimizer.
        loss_fn: ``loss_fn(params, x_batch, y_batch)``, a mean over the batch.
        params: the initial parameters.
        data: a :class:`gdlib.problems.data.Dataset`.
        key: shuffles the examples, freshly every epoch (ignored when ``orders`` is given).
        num_epochs: passes over the data.
        batch_size: 1 for stochastic, ``len(data.x_train)`` for batch gradient descent.
        orders: instead of shuffling, the order of the examples in each epoch,
            ``(num_epochs, num_examples)`` (a fixed order, a sorted one, a curriculum...).

    Example:
        >>> import jax, gdlib
        >>> from gdlib.problems import data, models
        >>> digits = data.digits()
        >>> loss = lambda p, x, y: models.softmax_cross_entropy(models.linear(p, x), y)
        >>> params = models.init_linear(jax.random.key(0), 64, 10)
        >>> history = train(gdlib.sgd(0.1), loss, params, digits, jax.random.key(1), 5, 32)
        >>> history.update_losses.shape, history.train_losses.shape
        ((5, 44), (6,))
        >>> bool(history.val_losses[-1] < 0.3 * history.val_losses[0])
        True
    """
    arrays, orders, batch_size = _inputs(data, key, num_epochs, batch_size, orders)
    return _train_jit(optimizer, loss_fn, params, arrays, orders, batch_size)


@partial(jax.jit, static_argnums=(0, 1, 5))
def _train_sweep(make_optimizer, loss_fn, params, data, orders, batch_size, hyperparams):
    def one(hp):
        return _train(make_optimizer(**hp), loss_fn, params, data, orders, batch_size)

    return jax.vmap(one)(hyperparams)


def train_sweep(make_optimizer: Callable[..., GradientTransformation], loss_fn: Loss,
                params: PyTree, data: Dataset, key: jax.Array | None = None,
                num_epochs: int = 10, batch_size: int = 32, orders: jax.Array | None = None,
                **hyperparams: Any) -> History:
    """:func:`train` for every entry of a hyperparameter grid, in one ``vmap``-ped call.

    Hyperparameters are given as in :func:`gdlib.sweep` (numbers shared, arrays zipped); every
    run sees the same mini-batches. The fields of the result get a leading axis.

    Example:
        >>> import jax, gdlib
        >>> from gdlib.problems import data, models
        >>> loss = lambda p, x, y: models.mean_squared_error(models.linear(p, x), y)
        >>> runs = train_sweep(gdlib.sgd, loss, models.init_linear(jax.random.key(0), 10),
        ...                    data.diabetes(), jax.random.key(1), 3, 16,
        ...                    learning_rate=[0.001, 0.01, 10.0])
        >>> runs.diverged_at.tolist()
        [-1, -1, 1]
    """
    arrays, orders, batch_size = _inputs(data, key, num_epochs, batch_size, orders)
    grid = checked_grid(make_optimizer, params, hyperparams)
    return _train_sweep(make_optimizer, loss_fn, params, arrays, orders, batch_size, grid)
