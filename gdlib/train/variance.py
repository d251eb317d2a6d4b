r"""How noisy is a mini-batch gradient? Exactly, and by sampling.

The gradient of the loss on a mini-batch :math:`B` of :math:`b` examples drawn without
replacement from the :math:`n` training examples is an unbiased estimate of the full gradient
:math:`g = \frac1n \sum_i g_i`. Its mean squared error is the classical survey-sampling
formula

.. math:: \mathbb E \lVert g_B - g \rVert^2 = \frac{n - b}{b\,(n - 1)}\,\sigma^2, \qquad
          \sigma^2 = \frac1n \sum_{i=1}^n \lVert g_i - g \rVert^2,

so it falls like :math:`1/b` and is exactly 0 for the whole batch (:math:`b = n`): the
"mini-batches reduce the variance of the updates" of the slides, as a number.
:func:`minibatch_variance` evaluates the formula from the per-example gradients,
:func:`sampled_minibatch_variance` estimates it by drawing batches.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gdlib.optim.hyperparams import check_positive_int
from gdlib.train.training import Loss

PyTree = Any


def _flat_grad(loss_fn: Loss, params: PyTree, x: jax.Array, y: jax.Array) -> jax.Array:
    grads = jax.grad(loss_fn)(params, x, y)
    return jnp.concatenate([jnp.ravel(g) for g in jax.tree.leaves(grads)])


@partial(jax.jit, static_argnums=0)
def _per_example_gradients(loss_fn, params, x, y):
    return jax.vmap(lambda xi, yi: _flat_grad(loss_fn, params, xi[None], yi[None]))(x, y)


@partial(jax.jit, static_argnums=(0, 4))
def _sampled_minibatch_variance(loss_fn, params, x, y, batch_size, keys):
    """Compiled once per loss and batch size (a chapter calls it for several batch sizes)."""
    n = x.shape[0]
    full = _flat_grad(loss_fn, params, x, y)

    def one(key):
        rows = jax.random.permutation(key, n)[:batch_size]
        return jnp.sum((_flat_grad(loss_fn, params, x[rows], y[rows]) - full) ** 2)

    return jnp.mean(jax.vmap(one)(keys))


def per_example_gradients(loss_fn: Loss, params: PyTree, x: jax.Array, y: jax.Array
                          ) -> jax.Array:
    r"""The gradient :math:`g_i` of ``loss_fn`` on each example alone, flattened: ``(n, d)``.

    ``loss_fn(params, x_batch, y_batch)`` is called on batches of one example.

    Example:
        >>> import jax.numpy as jnp
        >>> loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
        >>> g = per_example_gradients(loss, jnp.zeros(2), jnp.eye(2), jnp.array([1.0, 3.0]))
        >>> (g + 0.0).tolist()  # example 1 moves only w[0], example 2 only w[1]
        [[-2.0, 0.0], [0.0, -6.0]]
    """
    return _per_example_gradients(loss_fn, params, x, y)


def gradient_spread(loss_fn: Loss, params: PyTree, x: jax.Array, y: jax.Array) -> float:
    r""":math:`\sigma^2 = \frac1n \sum_i \lVert g_i - g \rVert^2`, the spread of the
    per-example gradients around the full gradient (the variance of SGD's update direction).

    Example:
        >>> import jax.numpy as jnp
        >>> loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
        >>> gradient_spread(loss, jnp.zeros(2), jnp.eye(2), jnp.array([1.0, 3.0]))
        10.0
    """
    g = np.asarray(per_example_gradients(loss_fn, params, x, y), dtype=np.float64)
    return float(np.mean(np.sum((g - g.mean(axis=0)) ** 2, axis=1)))


def minibatch_variance(loss_fn: Loss, params: PyTree, x: jax.Array, y: jax.Array,
                       batch_sizes: Any) -> np.ndarray:
    r""":math:`\mathbb E \lVert g_B - g \rVert^2` for each batch size, by the exact formula
    :math:`\frac{n - b}{b (n - 1)} \sigma^2` (batches drawn without replacement).

    Example:
        >>> import jax.numpy as jnp
        >>> loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
        >>> minibatch_variance(loss, jnp.zeros(2), jnp.eye(2), jnp.array([1.0, 3.0]), [1, 2])
        array([10.,  0.])
    """
    n = x.shape[0]
    sizes = np.asarray([check_positive_int("batch_sizes", int(b)) for b in np.ravel(batch_sizes)])
    if np.any(sizes > n):
        raise ValueError(f"batch_sizes must be in [1, {n}] (the number of examples), "
                         f"got {sizes.max()}")
    factor = (n - sizes) / (sizes * (n - 1)) if n > 1 else np.zeros(len(sizes))
    return factor * gradient_spread(loss_fn, params, x, y)


def sampled_minibatch_variance(loss_fn: Loss, params: PyTree, x: jax.Array, y: jax.Array,
                               batch_size: int, key: jax.Array, num_samples: int = 1000
                               ) -> float:
    r"""Estimate :math:`\mathbb E \lVert g_B - g \rVert^2` from ``num_samples`` random batches.

    Each batch is ``batch_size`` distinct examples (a fresh permutation's first rows), its
    gradient computed with ``loss_fn`` on the batch, as a training step would.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
        >>> x, y = jnp.eye(2), jnp.array([1.0, 3.0])
        >>> round(sampled_minibatch_variance(loss, jnp.zeros(2), x, y, 1, jax.random.key(0)), 3)
        10.0
    """
    n = x.shape[0]
    batch_size = check_positive_int("batch_size", batch_size)
    num_samples = check_positive_int("num_samples", num_samples)
    if batch_size > n:
        raise ValueError(f"batch_size must be in [1, {n}] (the number of examples), "
                         f"got {batch_size}")

    return float(_sampled_minibatch_variance(loss_fn, params, x, y, batch_size,
                                             jax.random.split(key, num_samples)))
