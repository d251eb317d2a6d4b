r"""Batch normalization (Ioffe & Szegedy 2015): the layer, an MLP that uses it, its training loop.

In training mode the layer normalizes each feature over the mini-batch :math:`B` of size
:math:`m` and then lets the network rescale it:

.. math:: \mu_B = \frac1m \sum_i x_i, \quad \sigma_B^2 = \frac1m \sum_i (x_i - \mu_B)^2, \quad
          \hat x_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \quad
          y_i = \gamma \hat x_i + \beta.

At inference a prediction must not depend on the other examples of a batch, so running
averages of :math:`\mu_B` and of the *unbiased* batch variance
:math:`\frac{m}{m-1}\sigma_B^2` take their place, updated at every training step as PyTorch
does: :math:`r \leftarrow (1 - \text{momentum})\, r + \text{momentum}\cdot s` (``momentum=None``:
the plain average over all batches so far, the paper's Algorithm 2).

A model with running statistics is a pair of pure functions: ``init`` gives ``(params, stats)``
and ``apply(params, stats, x, training) -> (outputs, new_stats)``. Gradients flow to ``params``
only; the statistics ride along in :func:`train`'s loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from gdlib.optim.base import GradientTransformation, apply_updates
from gdlib.optim.hyperparams import check_nonnegative, check_positive_int, check_range
from gdlib.problems.batches import batches
from gdlib.problems.data import Dataset
from gdlib.problems.models import init_mlp as init_plain_mlp
from gdlib.train.runner import checked_grid
from gdlib.train.training import shuffled_orders

PyTree = Any
StatefulLoss = Callable[[PyTree, PyTree, jax.Array, jax.Array, bool], tuple[jax.Array, PyTree]]


class BatchNormStats(NamedTuple):
    """Running statistics of one batch-norm layer (PyTorch's buffers).

    Attributes:
        mean: running mean of the batch means, ``(features,)``, starts at 0.
        var: running mean of the unbiased batch variances, ``(features,)``, starts at 1.
        count: training batches seen (``num_batches_tracked``).
    """

    mean: jax.Array
    var: jax.Array
    count: jax.Array


def init_stats(num_features: int) -> BatchNormStats:
    """Running statistics before any batch: mean 0, variance 1 (as PyTorch).

    Example:
        >>> init_stats(3).var.tolist()
        [1.0, 1.0, 1.0]
    """
    num_features = check_positive_int("num_features", num_features)
    return BatchNormStats(jnp.zeros(num_features), jnp.ones(num_features),
                          jnp.zeros([], jnp.int32))


def batch_norm(x: jax.Array, gamma: jax.Array, beta: jax.Array, stats: BatchNormStats,
               training: bool, momentum: float | None = 0.1, eps: float = 1e-5
               ) -> tuple[jax.Array, BatchNormStats]:
    r"""Normalize ``x`` (``(m, features)``) per feature, then scale by ``gamma``, shift by ``beta``.

    Training mode uses the batch's own mean and biased variance and updates the running
    statistics; inference mode (``training=False``) uses the running statistics and returns
    them unchanged. Equals ``torch.nn.functional.batch_norm`` in both modes.

    Example:
        >>> import jax.numpy as jnp
        >>> x = jnp.array([[1.0], [3.0]])
        >>> y, stats = batch_norm(x, jnp.ones(1), jnp.zeros(1), init_stats(1), training=True)
        >>> y.round(3).ravel().tolist()  # the batch's own mean 2 and variance 1
        [-1.0, 1.0]
        >>> round(float(stats.mean[0]), 3), round(float(stats.var[0]), 3)  # 0.1·2, 0.9 + 0.1·2
        (0.2, 1.1)
    """
    check_nonnegative("eps", eps)
    if not training:
        x_hat = (x - stats.mean) / jnp.sqrt(stats.var + eps)
        return gamma * x_hat + beta, stats
    m = x.shape[0]
    if m < 2:
        raise ValueError(f"batch normalization in training mode needs a batch of at least 2 "
                         f"examples, got {m}")
    mu = jnp.mean(x, axis=0)
    var = jnp.mean((x - mu) ** 2, axis=0)  # biased: what the batch is normalized with
    x_hat = (x - mu) / jnp.sqrt(var + eps)
    if momentum is None:  # cumulative average: the mean over all batches so far
        rate = 1.0 / (stats.count + 1.0)
    else:
        rate = check_range("momentum", momentum, 0.0, 1.0)
    mu, unbiased = lax.stop_gradient(mu), lax.stop_gradient(var * m / (m - 1))
    new_stats = BatchNormStats((1 - rate) * stats.mean + rate * mu,
                               (1 - rate) * stats.var + rate * unbiased, stats.count + 1)
    new_stats = jax.tree.map(lambda new, old: new.astype(old.dtype), new_stats, stats)
    return gamma * x_hat + beta, new_stats


def init_mlp(key: jax.Array, sizes: Sequence[int], scale: float = 1.0
             ) -> tuple[list[PyTree], list[BatchNormStats]]:
    """Parameters and running statistics of :func:`mlp`.

    The weights are exactly :func:`gdlib.problems.models.init_mlp`'s for the same key, so the two
    networks start from the same point. A hidden layer has ``w``, ``gamma`` (ones) and ``beta``
    (zeros) instead of a bias (batch normalization would cancel it); the output layer has
    ``w`` and ``b``.

    Example:
        >>> import jax
        >>> params, stats = init_mlp(jax.random.key(0), [64, 32, 10])
        >>> sorted(params[0]), sorted(params[1]), stats[0].mean.shape
        (['beta', 'gamma', 'w'], ['b', 'w'], (32,))
    """
    *hidden, last = init_plain_mlp(key, sizes, scale)
    params = [{"w": layer["w"], "gamma": jnp.ones_like(layer["b"]),
               "beta": jnp.zeros_like(layer["b"])} for layer in hidden]
    stats = [init_stats(layer["b"].shape[0]) for layer in hidden]
    return [*params, last], stats


def mlp(params: list[PyTree], stats: list[BatchNormStats], x: jax.Array, training: bool,
        activation: Callable[[jax.Array], jax.Array] = jax.nn.tanh,
        momentum: float | None = 0.1, eps: float = 1e-5
        ) -> tuple[jax.Array, list[BatchNormStats]]:
    r"""An MLP with batch normalization before every hidden nonlinearity:
    :math:`h \leftarrow \sigma(\mathrm{BN}_{\gamma,\beta}(h W))`; the last layer is linear.

    Returns the logits and the updated running statistics (unchanged when not training).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> params, stats = init_mlp(jax.random.key(0), [4, 8, 3])
        >>> logits, new_stats = mlp(params, stats, jnp.ones((5, 4)), training=True)
        >>> logits.shape, int(new_stats[0].count)
        ((5, 3), 1)
    """
    *hidden, last = params
    new_stats = []
    for layer, layer_stats in zip(hidden, stats, strict=True):
        h, layer_stats = batch_norm(x @ layer["w"], layer["gamma"], layer["beta"], layer_stats,
                                    training, momentum, eps)
        x = activation(h)
        new_stats.append(layer_stats)
    return x @ last["w"] + last["b"], new_stats


class History(NamedTuple):
    """What happened while training a model with running statistics.

    The fields of :class:`gdlib.train.training.History`, plus ``stats`` (the running statistics
    after the last epoch). Whole-set losses are computed in inference mode.
    """

    params: PyTree
    stats: PyTree
    update_losses: jax.Array
    train_losses: jax.Array
    val_losses: jax.Array
    diverged_at: jax.Array


def _train(optimizer, loss_fn, params, stats, data, orders, batch_size):
    x, y, x_val, y_val = data
    value_and_grad = jax.value_and_grad(partial(loss_fn, training=True), has_aux=True)

    def evaluate(params, stats, xs, ys):
        return loss_fn(params, stats, xs, ys, training=False)[0]

    def one_update(carry, rows):
        params, stats, state = carry
        (loss, stats), grads = value_and_grad(params, stats, jnp.take(x, rows, axis=0),
                                              jnp.take(y, rows, axis=0))
        updates, state = optimizer.update(grads, state, params)
        return (apply_updates(params, updates), stats, state), loss

    def one_epoch(carry, order):
        carry, losses = lax.scan(one_update, carry, batches(order, batch_size))
        params, stats, _ = carry
        return carry, (losses, evaluate(params, stats, x, y), evaluate(params, stats, x_val, y_val))

    (params_out, stats_out, _), (update_losses, train, val) = lax.scan(
        one_epoch, (params, stats, optimizer.init(params)), orders)
    train = jnp.concatenate([evaluate(params, stats, x, y)[None], train])
    val = jnp.concatenate([evaluate(params, stats, x_val, y_val)[None], val])
    bad = ~jnp.isfinite(train)
    diverged_at = jnp.where(jnp.any(bad), jnp.argmax(bad), -1).astype(jnp.int32)
    return History(params_out, stats_out, update_losses, train, val, diverged_at)


_train_jit = jax.jit(_train, static_argnums=(0, 1, 6))


def _inputs(data, key, num_epochs, batch_size, orders):
    batch_size = check_positive_int("batch_size", batch_size)
    if orders is None:
        num_epochs = check_positive_int("num_epochs", num_epochs)
        orders = shuffled_orders(key, num_epochs, data.x_train.shape[0])
    return (data.x_train, data.y_train, data.x_val, data.y_val), jnp.asarray(orders), batch_size


def train(optimizer: GradientTransformation, loss_fn: StatefulLoss, params: PyTree,
          stats: PyTree, data: Dataset, key: jax.Array | None = None, num_epochs: int = 10,
          batch_size: int = 32, orders: jax.Array | None = None) -> History:
    """:func:`gdlib.train.training.train` for a model with running statistics.

    Args:
        optimizer: any gdlib (or optax) optimizer; it sees the gradient of ``params`` only.
        loss_fn: ``loss_fn(params, stats, x, y, training) -> (loss, new_stats)``.
        params, stats: the initial parameters and running statistics.
        data, key, num_epochs, batch_size, orders: as in :func:`gdlib.train.training.train`.

    Example:
        >>> import jax, gdlib
        >>> from gdlib.problems import data, models
        >>> def loss(params, stats, x, y, training):
        ...     logits, stats = mlp(params, stats, x, training)
        ...     return models.softmax_cross_entropy(logits, y), stats
        >>> params, stats = init_mlp(jax.random.key(0), [64, 32, 10])
        >>> history = train(gdlib.sgd(0.1), loss, params, stats, data.digits(),
        ...                 jax.random.key(1), num_epochs=3, batch_size=32)
        >>> int(history.stats[0].count), bool(history.val_losses[-1] < 0.2 * history.val_losses[0])
        (132, True)
    """
    arrays, orders, batch_size = _inputs(data, key, num_epochs, batch_size, orders)
    return _train_jit(optimizer, loss_fn, params, stats, arrays, orders, batch_size)


@partial(jax.jit, static_argnums=(0, 1, 6))
def _train_sweep(make_optimizer, loss_fn, params, stats, data, orders, batch_size, hyperparams):
    def one(hp):
        return _train(make_optimizer(**hp), loss_fn, params, stats, data, orders, batch_size)

    return jax.vmap(one)(hyperparams)


def train_sweep(make_optimizer: Callable[..., GradientTransformation], loss_fn: StatefulLoss,
                params: PyTree, stats: PyTree, data: Dataset, key: jax.Array | None = None,
                num_epochs: int = 10, batch_size: int = 32, orders: jax.Array | None = None,
                **hyperparams: Any) -> History:
    """:func:`train` for every entry of a hyperparameter grid, in one ``vmap``-ped call
    (as :func:`gdlib.train.training.train_sweep`: numbers shared, arrays zipped, same mini-batches).

    Example:
        >>> import jax, gdlib
        >>> from gdlib.problems import data, models
        >>> def loss(params, stats, x, y, training):
        ...     logits, stats = mlp(params, stats, x, training)
        ...     return models.softmax_cross_entropy(logits, y), stats
        >>> params, stats = init_mlp(jax.random.key(0), [64, 16, 10])
        >>> runs = train_sweep(gdlib.sgd, loss, params, stats, data.digits(), jax.random.key(1),
        ...                    2, 64, learning_rate=[0.01, 1.0])
        >>> runs.val_losses.shape
        (2, 3)
    """
    arrays, orders, batch_size = _inputs(data, key, num_epochs, batch_size, orders)
    grid = checked_grid(make_optimizer, params, hyperparams)
    return _train_sweep(make_optimizer, loss_fn, params, stats, arrays, orders, batch_size, grid)
