"""Mini-batches: which examples each update sees, as index arrays that work inside ``jit``.

One epoch is a permutation of the ``n`` training examples cut into rows of ``batch_size``:
batch size 1 is stochastic gradient descent, ``n`` is batch gradient descent, anything between
is mini-batch gradient descent. Because an epoch is just an integer array of a static shape, a
training loop can ``lax.scan`` over its rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import jax
import jax.numpy as jnp

from gdlib.optim.hyperparams import check_positive_int


def num_batches(num_examples: int, batch_size: int) -> int:
    """Full batches per epoch; the last ``num_examples % batch_size`` examples of each
    shuffled order are left out (a different few every epoch).

    Example:
        >>> num_batches(10, 3)
        3
    """
    num_examples = check_positive_int("num_examples", num_examples)
    batch_size = check_positive_int("batch_size", batch_size)
    if batch_size > num_examples:
        raise ValueError(f"batch_size must be in [1, {num_examples}] (the number of examples), "
                         f"got {batch_size}")
    return num_examples // batch_size


def batches(order: jax.Array, batch_size: int) -> jax.Array:
    """Cut an order of example indices into rows of ``batch_size``: ``(num_batches, batch_size)``.

    Example:
        >>> import jax.numpy as jnp
        >>> batches(jnp.arange(7), 3).tolist()
        [[0, 1, 2], [3, 4, 5]]
    """
    count = num_batches(order.shape[0], batch_size)
    return order[: count * batch_size].reshape(count, batch_size)


def epoch(key: jax.Array, num_examples: int, batch_size: int) -> jax.Array:
    """A freshly shuffled epoch: ``(num_batches, batch_size)`` indices, from ``key``.

    Works inside ``jit`` (``num_examples`` and ``batch_size`` static).

    Example:
        >>> import jax
        >>> rows = epoch(jax.random.key(0), 10, 5)
        >>> rows.shape, sorted(rows.ravel().tolist()) == list(range(10))
        ((2, 5), True)
    """
    return batches(jax.random.permutation(key, num_examples), batch_size)


def iterate(key: jax.Array, x: jax.Array, y: jax.Array, batch_size: int
            ) -> Iterator[tuple[jax.Array, jax.Array]]:
    """Yield ``(x_batch, y_batch)`` for one shuffled epoch, for a Python loop that teaches.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> x, y = jnp.arange(12.0).reshape(6, 2), jnp.arange(6)
        >>> [yb.shape for _, yb in iterate(jax.random.key(1), x, y, 2)]
        [(2,), (2,), (2,)]
    """
    for rows in epoch(key, x.shape[0], batch_size):
        yield jnp.take(x, rows, axis=0), jnp.take(y, rows, axis=0)
