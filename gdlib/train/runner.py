r"""Run an optimizer for many steps in one compiled loop, or a whole grid of them at once.

:func:`run` gives the whole trajectory (parameters and loss at every step) from one jitted
``lax.scan``; :func:`sweep` runs the same over a grid of hyperparameters in one ``vmap``-ped
call, so that changing a learning rate never triggers a recompilation. A run whose loss or
parameters stop being finite is reported as diverged, at its first bad step; everything from
that step on is NaN, which plotting libraries leave out, so the finite part stays plottable.
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
from gdlib.optim.hyperparams import (
    check_fraction,
    check_nonnegative,
    check_positive_int,
    check_range,
    checking_a_grid,
)

PyTree = Any
Loss = Callable[[PyTree], jax.Array]


class Trajectory(NamedTuple):
    r"""Parameters :math:`\theta_0, \dots, \theta_T` and losses :math:`J(\theta_t)` of a run.

    Attributes:
        params: the parameter pytree with a leading axis of length ``num_steps + 1``
            (after any sweep axes); index ``t`` holds the parameters after ``t`` updates.
        losses: the loss at each of those parameters, shape ``(..., num_steps + 1)``.
        diverged_at: the first ``t`` whose loss or parameters are not finite (or exceed
            ``max_loss``), else -1. From there on ``params`` and ``losses`` are NaN.
    """

    params: PyTree
    losses: jax.Array
    diverged_at: jax.Array

    @property
    def diverged(self) -> jax.Array:
        """Whether the run diverged (one flag per run of a sweep)."""
        return self.diverged_at >= 0

    def final_loss(self) -> jax.Array:
        """The last loss, NaN for a run that diverged."""
        return self.losses[..., -1]

    def describe(self) -> str:
        """One line for a plot title or a print: how a single run ended.

        Example:
            >>> import jax.numpy as jnp, gdlib
            >>> loss = lambda theta: jnp.sum(theta**2)
            >>> run(gdlib.sgd(1.5), loss, jnp.array([1.0]), 200).describe()
            'diverged at step 64'
        """
        if np.ndim(self.diverged_at) != 0:
            raise ValueError("describe() is for a single run; index a sweep's Trajectory first")
        if int(self.diverged_at) >= 0:
            return f"diverged at step {int(self.diverged_at)}"
        steps = int(np.shape(self.losses)[-1]) - 1
        return f"loss {float(self.losses[-1]):.3g} after {steps} steps"


def _scan(optimizer: GradientTransformation, loss_fn: Loss, params: PyTree,
          num_steps: int) -> tuple[PyTree, jax.Array]:
    """The parameters and the loss at steps 0 to ``num_steps``: the loop itself."""
    value_and_grad = jax.value_and_grad(loss_fn)

    def step(carry, _):
        params, state = carry
        loss, grads = value_and_grad(params)
        updates, state = optimizer.update(grads, state, params)
        return (apply_updates(params, updates), state), (params, loss)

    (last, _), (history, losses) = lax.scan(
        step, (params, optimizer.init(params)), length=num_steps)
    history = jax.tree.map(lambda h, p: jnp.concatenate([h, p[None]]), history, last)
    return history, jnp.append(losses, loss_fn(last))


def _trajectory(optimizer: GradientTransformation, loss_fn: Loss, params: PyTree,
                num_steps: int, max_loss: jax.Array) -> Trajectory:
    history, losses = _scan(optimizer, loss_fn, params, num_steps)
    return _mark_divergence(history, losses, max_loss)


def _mark_divergence(history: PyTree, losses: jax.Array, max_loss: jax.Array) -> Trajectory:
    ok = jnp.isfinite(losses) & (losses <= max_loss)
    for leaf in jax.tree.leaves(history):
        ok &= jnp.all(jnp.isfinite(leaf).reshape(leaf.shape[0], -1), axis=1)
    # The first bad step as a plain min-reduction: XLA's CPU backend runs it several times
    # faster than argmin's two-operand reduction (0.9 ms instead of 1.1 ms for the sweep of
    # benchmarks/sweep.py: 1,000 runs of 500 steps).
    count = losses.shape[0]
    steps = jnp.arange(count, dtype=jnp.int32)
    first_bad = jnp.min(jnp.where(ok, count, steps))
    diverged_at = jnp.where(first_bad < count, first_bad, -1).astype(jnp.int32)
    keep = steps < first_bad

    def mask(x):
        return jnp.where(keep.reshape((-1,) + (1,) * (x.ndim - 1)), x, jnp.nan)

    return Trajectory(jax.tree.map(mask, history), mask(losses), diverged_at)


def _check_max_loss(max_loss: float) -> float:
    """Any real number, or +inf (the default: only NaN and inf count as divergence)."""
    return max_loss if max_loss == np.inf else check_range("max_loss", max_loss)


@partial(jax.jit, static_argnums=(0, 1, 3))
def _run(optimizer, loss_fn, params, num_steps, max_loss):
    return _trajectory(optimizer, loss_fn, params, num_steps, max_loss)


def run(optimizer: GradientTransformation, loss_fn: Loss, params: PyTree, num_steps: int,
        *, max_loss: float = np.inf) -> Trajectory:
    r"""Run ``optimizer`` on ``loss_fn`` from ``params`` for ``num_steps`` updates.

    One jitted ``lax.scan``; the compiled loop is reused for the same optimizer object, loss
    function and number of steps. (To try many hyperparameters, use :func:`sweep`: a new
    optimizer object means a new compilation.)

    Args:
        optimizer: any optax-shaped optimizer, e.g. ``gdlib.momentum(0.01, 0.9)``.
        loss_fn: a scalar function of the parameter pytree.
        params: the starting point :math:`\theta_0`.
        num_steps: the number of updates :math:`T`.
        max_loss: a loss above this also counts as diverged (default: only NaN and inf).

    Returns:
        A :class:`Trajectory` with ``num_steps + 1`` entries.

    Example:
        >>> import jax.numpy as jnp, gdlib
        >>> loss = lambda theta: jnp.sum(theta**2)
        >>> trajectory = run(gdlib.sgd(0.1), loss, jnp.array([1.0, 2.0]), num_steps=3)
        >>> [round(x, 4) for x in trajectory.losses.tolist()]
        [5.0, 3.2, 2.048, 1.3107]
        >>> trajectory.describe()
        'loss 1.31 after 3 steps'
    """
    num_steps = check_positive_int("num_steps", num_steps)
    return _run(optimizer, loss_fn, params, num_steps, _check_max_loss(max_loss))


def grid(**axes: Any) -> dict[str, np.ndarray]:
    """Every combination of the given values, flattened for :func:`sweep` ('ij' order).

    Example:
        >>> g = grid(learning_rate=[0.1, 0.2], momentum=[0.0, 0.5, 0.9])
        >>> g["learning_rate"].tolist(), g["momentum"].tolist()
        ([0.1, 0.1, 0.1, 0.2, 0.2, 0.2], [0.0, 0.5, 0.9, 0.0, 0.5, 0.9])
    """
    mesh = np.meshgrid(*[np.asarray(v, dtype=float) for v in axes.values()], indexing="ij")
    return {name: m.ravel() for name, m in zip(axes, mesh, strict=True)}


@partial(jax.jit, static_argnums=(0, 1, 3))
def _sweep(make_optimizer, loss_fn, params, num_steps, hyperparams, max_loss):
    def one(hp):
        return _trajectory(make_optimizer(**hp), loss_fn, params, num_steps, max_loss)

    return jax.vmap(one)(hyperparams)


def checked_grid(make_optimizer: Callable[..., GradientTransformation], params: PyTree,
                 hyperparams: dict[str, Any]) -> dict[str, np.ndarray]:
    """Broadcast a sweep's hyperparameters to 1-D arrays, check them all, match the params' dtype.

    Numbers are shared by all runs, arrays are zipped. The optimizer is built once from the whole
    (concrete) grid, inside :func:`~gdlib.optim.hyperparams.checking_a_grid` (where a factory
    takes arrays), so that any bad value raises its usual message before anything is traced.

    Example:
        >>> import jax.numpy as jnp, gdlib
        >>> grid = checked_grid(gdlib.adam, jnp.zeros(2), {"learning_rate": [0.1, 0.2], "b1": 0.5})
        >>> grid["b1"].tolist(), grid["learning_rate"].dtype
        ([0.5, 0.5], dtype('float32'))
    """
    if not hyperparams:
        raise ValueError("sweep needs at least one hyperparameter array, e.g. learning_rate=[...]")
    columns = np.broadcast_arrays(*[np.atleast_1d(np.asarray(v)) for v in hyperparams.values()])
    if columns[0].ndim != 1:
        raise ValueError("sweep takes numbers or 1-D arrays; use gdlib.grid for a grid")
    checked = dict(zip(hyperparams, columns, strict=True))
    with checking_a_grid():
        make_optimizer(**checked)  # checks every value, element by element, with clear messages
    dtype = jnp.result_type(*jax.tree.leaves(params))
    # NumPy arrays: a jitted function takes them in its C++ dispatch path, faster than a
    # device_put here (this is most of a sweep call's host cost).
    return {k: np.asarray(v, dtype=dtype) for k, v in checked.items()}


def sweep(make_optimizer: Callable[..., GradientTransformation], loss_fn: Loss, params: PyTree,
          num_steps: int, *, max_loss: float = np.inf, **hyperparams: Any) -> Trajectory:
    """Run ``make_optimizer(**hyperparameters)`` for every entry of a grid, in one call.

    Each hyperparameter is a number or a 1-D array; arrays are zipped (use :func:`grid` for
    every combination) and numbers are shared by all runs. The whole grid is checked first
    (a bad value raises as it would for a single optimizer), then every run is traced once
    and ``vmap``-ped: calling again with other values of the same length reuses the compiled
    code, which is what makes a slider instant.

    Returns:
        A :class:`Trajectory` whose fields have a leading axis, one entry per grid point.

    Example:
        >>> import jax.numpy as jnp, gdlib
        >>> loss = lambda theta: jnp.sum(theta**2)
        >>> runs = sweep(gdlib.sgd, loss, jnp.array([1.0]), 100, learning_rate=[0.1, 0.5, 1.5])
        >>> runs.diverged_at.tolist()
        [-1, -1, 64]
    """
    num_steps = check_positive_int("num_steps", num_steps)
    traced = checked_grid(make_optimizer, params, hyperparams)
    max_loss = _check_max_loss(max_loss)
    return _sweep(make_optimizer, loss_fn, params, num_steps, traced, max_loss)


@partial(jax.jit, static_argnums=(0, 2))
def _lookahead(loss_fn, params, num_steps, learning_rate, momentum):
    grad = jax.grad(loss_fn)

    def step(carry, _):
        theta, v = carry
        lookahead = jax.tree.map(lambda p, v: p - momentum * v, theta, v)
        v = jax.tree.map(lambda v, g: momentum * v + learning_rate * g, v, grad(lookahead))
        theta = jax.tree.map(lambda p, v: p - v, theta, v)
        return (theta, v), (theta, v)

    zeros = jax.tree.map(jnp.zeros_like, params)
    _, (thetas, vs) = lax.scan(step, (params, zeros), length=num_steps)
    prepend = partial(jax.tree.map, lambda x0, xs: jnp.concatenate([x0[None], xs]))
    return prepend(params, thetas), prepend(zeros, vs)


def run_nesterov_lookahead(loss_fn: Loss, params: PyTree, num_steps: int,
                           learning_rate: float = 0.01, momentum: float = 0.9
                           ) -> tuple[PyTree, PyTree]:
    r"""Nesterov's method exactly as the slides write it, with the look-ahead gradient.

    .. math:: v_t = \gamma v_{t-1} + \eta \nabla J(\theta_{t-1} - \gamma v_{t-1}), \qquad
              \theta_t = \theta_{t-1} - v_t

    Returns the iterates :math:`\theta_0..\theta_T` and velocities :math:`v_0..v_T`.
    :func:`gdlib.nesterov` follows the look-ahead points :math:`\theta_t - \gamma v_t` instead.

    Example:
        >>> import jax.numpy as jnp, gdlib
        >>> loss = lambda theta: jnp.sum(theta**2)
        >>> theta, v = run_nesterov_lookahead(loss, jnp.array([1.0]), 20, 0.1, 0.9)
        >>> phi = run(gdlib.nesterov(0.1, 0.9), loss, jnp.array([1.0]), 20).params
        >>> bool(jnp.allclose(theta - 0.9 * v, phi))
        True
    """
    num_steps = check_positive_int("num_steps", num_steps)
    learning_rate = check_nonnegative("learning_rate", learning_rate)
    momentum = check_fraction("momentum", momentum)
    return _lookahead(loss_fn, params, num_steps, learning_rate, momentum)
