r"""Annealed Gaussian gradient noise (Neelakantan et al. 2015; Ruder eqs. 33-34).

Before the optimizer sees the gradient, every coordinate gets independent Gaussian noise whose
variance decays with the step:

.. math:: g_t \leftarrow g_t + \mathcal N(0, \sigma_t^2), \qquad
          \sigma_t^2 = \frac{\nu}{(1 + t)^\gamma},

with :math:`t = 0, 1, \dots` the number of updates made before this one, :math:`\gamma = 0.55`
and :math:`\nu \in \{0.01, 0.3, 1\}` in the paper. (The paper writes the noise scale as
:math:`\eta`; the book keeps :math:`\eta` for the learning rate, so here it is :math:`\nu`.)
Large early noise shakes a badly initialized network out of flat regions; the decay lets it
settle later. :func:`gradient_noise` is a
gradient transformation, not an optimizer: put it in front of one with
:func:`gdlib.optim.combine.chain` (or ``optax.chain``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from gdlib.optim.base import GradientTransformation
from gdlib.optim.hyperparams import check_nonnegative, scalar_hyperparameters

PyTree = Any


class GradientNoiseState(NamedTuple):
    """The number of noisy gradients made so far and the key for the next noise."""

    count: jax.Array
    key: jax.Array


def noise_variance(step: Any, nu: float = 0.01, gamma: float = 0.55) -> jax.Array:
    r""":math:`\sigma_t^2 = \nu / (1 + t)^\gamma` at step ``t`` (0 for the first update).

    Example:
        >>> import jax.numpy as jnp
        >>> [round(float(v), 4) for v in noise_variance(jnp.array([0, 1, 99]), nu=1.0)]
        [1.0, 0.683, 0.0794]
    """
    return nu / (1.0 + jnp.asarray(step, jnp.float32)) ** gamma


def _as_key(key: jax.Array | int) -> jax.Array:
    if isinstance(key, jax.Array) and jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return key
    if isinstance(key, bool) or not (isinstance(key, int) or isinstance(key, jax.Array)):
        raise TypeError(f"key must be a jax.random.key or an integer seed, got {key!r}")
    return jax.random.key(key)


def gradient_noise(nu: float = 0.01, gamma: float = 0.55, key: jax.Array | int = 0
                   ) -> GradientTransformation:
    r"""Add :math:`\mathcal N(0, \nu / (1 + t)^\gamma)` noise to every gradient coordinate.

    The state holds the step count and a PRNG key that is split at every update, so the
    transformation is pure and works under ``jit``, ``vmap`` (over keys, for seeds) and inside
    :func:`gdlib.train.training.train`. The noise follows ``optax.add_noise(nu, gamma, key)``'s
    schedule (optax calls :math:`\nu` ``eta``), but the samples differ: optax draws one normal
    array per leaf, this draws one for all leaves together (the same distribution; XLA compiles
    it several times faster). Like the optimizers, ``update`` takes and ignores extra keyword
    arguments, and each hyperparameter is one number.

    Args:
        nu: :math:`\nu \ge 0`, the variance at the first step (the paper's :math:`\eta`).
        gamma: :math:`\gamma \ge 0`, how fast the variance decays (0: never).
        key: a ``jax.random.key`` or an integer seed.

    Example:
        >>> import jax.numpy as jnp, gdlib
        >>> from gdlib.optim.combine import chain
        >>> opt = chain(gradient_noise(nu=0.3, key=0), gdlib.sgd(0.1))
        >>> state = opt.init(jnp.zeros(1000))
        >>> updates, state = opt.update(jnp.zeros(1000), state)  # noise only: std 0.1 · √0.3
        >>> round(float(jnp.std(updates) / (0.1 * 0.3 ** 0.5)), 1), int(state[0].count)
        (1.0, 1)
    """
    check_nonnegative("nu", nu)
    check_nonnegative("gamma", gamma)
    key = _as_key(key)

    def init(params):
        return GradientNoiseState(jnp.zeros([], jnp.int32), key)

    def update(grads, state, params=None, **extra_args):
        std = jnp.sqrt(noise_variance(state.count, nu, gamma))
        next_key, sample_key = jax.random.split(state.key)
        flat, unflatten = ravel_pytree(grads)  # one draw for all leaves: compiles much faster
        noise = std * jax.random.normal(sample_key, flat.shape, flat.dtype)
        return unflatten(flat + noise.astype(flat.dtype)), GradientNoiseState(state.count + 1,
                                                                             next_key)

    return GradientTransformation(init, update)


gradient_noise = scalar_hyperparameters(gradient_noise)
