"""The optimizer interface: a pair of pure functions, as in optax.

An optimizer is a :class:`GradientTransformation`: ``init(params) -> state`` and
``update(grads, state, params=None, **extra_args) -> (updates, state)``. The *updates* are added
to the parameters by :func:`apply_updates`, so a gradient step returns ``-learning_rate * grad``.
Because the pair has the same shape as ``optax.GradientTransformationExtraArgs``, a gdlib
optimizer can be used with ``optax.apply_updates`` and inside ``optax.chain``; the extra keyword
arguments (a loss value, say, which some optax transformations use) are accepted and ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

PyTree = Any


class GradientTransformation(NamedTuple):
    """An optimizer: ``init(params) -> state`` and
    ``update(grads, state, params=None, **extra_args) -> (updates, state)``."""

    init: Callable[[PyTree], PyTree]
    update: Callable[..., tuple[PyTree, PyTree]]


def apply_updates(params: PyTree, updates: PyTree) -> PyTree:
    r"""Return :math:`\theta + \Delta\theta`, leaf by leaf, keeping each parameter's dtype.

    Example:
        >>> import jax.numpy as jnp
        >>> apply_updates(jnp.array([1.0, 2.0]), jnp.array([-0.5, 0.5])).tolist()
        [0.5, 2.5]
    """
    return jax.tree.map(lambda p, u: jnp.asarray(p + u).astype(jnp.result_type(p)),
                        params, updates)
