"""gdlib: the gradient-descent optimizers of Ruder's overview in JAX, with what the book needs.

Optimizers are optax-shaped pairs of pure functions (``init``, ``update``); parameters are any
JAX pytree; everything works under ``jit``, ``vmap`` and ``grad``.

Example:
    >>> import jax, jax.numpy as jnp
    >>> import gdlib
    >>> loss = lambda theta: jnp.sum(theta**2)
    >>> opt = gdlib.adam(learning_rate=0.1)
    >>> theta = jnp.array([1.0, -1.0])
    >>> state = opt.init(theta)
    >>> for _ in range(100):
    ...     updates, state = opt.update(jax.grad(loss)(theta), state, theta)
    ...     theta = gdlib.apply_updates(theta, updates)
    >>> bool(loss(theta) < 1e-2)
    True
"""

from gdlib.optim import schedules
from gdlib.optim.base import GradientTransformation, apply_updates
from gdlib.optim.optimizers import (
    adadelta,
    adagrad,
    adam,
    adamax,
    momentum,
    nadam,
    nesterov,
    rmsprop,
    sgd,
)
from gdlib.problems import surfaces
from gdlib.train.runner import Trajectory, grid, run, run_nesterov_lookahead, sweep

__all__ = [
    "GradientTransformation",
    "Trajectory",
    "adadelta",
    "adagrad",
    "adam",
    "adamax",
    "apply_updates",
    "grid",
    "momentum",
    "nadam",
    "nesterov",
    "rmsprop",
    "run",
    "schedules",
    "surfaces",
    "run_nesterov_lookahead",
    "sgd",
    "sweep",
]
