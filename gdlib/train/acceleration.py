r"""What acceleration buys, measured: Nesterov's method on a smooth convex function, and the
decay of momentum along each eigendirection of a quadratic.

* :func:`worst_quadratic` is Nesterov's "worst function in the world" for first-order methods
  (*Introductory Lectures on Convex Optimization*, 2004, section 2.1.2), shifted so that its
  minimum is 0: convex and :math:`L`-smooth, with curvatures down to almost 0.
* :func:`accelerated_gradient` runs Nesterov's method for smooth convex functions (momentum
  :math:`(t - 1)/(t + 2)`, step :math:`1/L`), whose gap obeys
  :math:`f(x_t) - f^\star \le 2L\lVert x_0 - x^\star\rVert^2/(t + 1)^2`, against gradient
  descent's :math:`L\lVert x_0 - x^\star\rVert^2/(2t)` (:func:`convex_bounds`).
* :func:`critical_momentum` and :func:`measured_rate`: along an eigendirection with curvature
  :math:`\lambda`, heavy-ball momentum is critically damped at
  :math:`\gamma = (1 - \sqrt{\eta\lambda})^2`; :func:`measured_rate` reads the factor per step
  off a run's error.
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from gdlib.optim.hyperparams import check_positive_int

__all__ = ["ConvexProblem", "accelerated_gradient", "convex_bounds", "critical_momentum",
           "first_step_below", "measured_rate", "worst_quadratic"]


class ConvexProblem(NamedTuple):
    r"""A smooth convex test function with what the bounds need.

    Attributes:
        loss: the function, of a vector of shape ``(dimension,)``; its minimum is 0.
        minimizer: :math:`x^\star`, float64.
        smoothness: :math:`L`, the largest curvature.
        smallest_curvature: :math:`\mu`, the smallest eigenvalue of the Hessian.
    """

    loss: Any
    minimizer: np.ndarray
    smoothness: float
    smallest_curvature: float


def worst_quadratic(dimension: int, smoothness: float = 1.0) -> ConvexProblem:
    r"""Nesterov's worst quadratic for first-order methods, with minimum 0.

    .. math:: f(x) = \frac{L}{8}\Big(e_1^2 + \sum_{i=1}^{n-1} (e_i - e_{i+1})^2 + e_n^2\Big),
              \qquad e = x - x^\star, \quad x^\star_i = 1 - \frac{i}{n+1},

    which is :math:`\frac L4\big(\frac12 x^\top A x - x_1\big)` minus its minimum, with
    :math:`A` the tridiagonal matrix of 2 and -1. Its curvatures
    :math:`\frac L2 (1 - \cos\frac{k\pi}{n+1})`, :math:`k = 1..n`, lie in :math:`(0, L)`. From
    :math:`x_0 = 0` a method whose iterates stay in the span of the gradients so far has
    touched only :math:`x_1..x_t` after :math:`t` steps, so that
    :math:`f(x_t) \ge \frac L8\big(\frac1{t+1} - \frac1{n+1}\big)` (the bound behind
    Nesterov's lower bound :math:`3L\lVert x_0 - x^\star\rVert^2 / (32 (t+1)^2)` at
    :math:`t = (n-1)/2`).

    Example:
        >>> problem = worst_quadratic(5)
        >>> float(problem.loss(jnp.asarray(problem.minimizer)))
        0.0
        >>> round(float(problem.loss(jnp.zeros(5))), 6)  # L/8 · n/(n+1)
        0.104167
        >>> round(problem.smallest_curvature, 4)  # (1 - cos(π/6)) / 2
        0.067
    """
    n = check_positive_int("dimension", dimension)
    lipschitz = float(smoothness)
    if not np.isfinite(lipschitz) or lipschitz <= 0:
        raise ValueError(f"smoothness must be a finite number > 0, got {smoothness!r}")
    minimizer = 1.0 - np.arange(1, n + 1) / (n + 1)
    target = jnp.asarray(minimizer, dtype=jnp.float32)

    def loss(x: jax.Array) -> jax.Array:
        e = x - target.astype(x.dtype)
        return lipschitz / 8 * (e[0] ** 2 + jnp.sum((e[:-1] - e[1:]) ** 2) + e[-1] ** 2)

    mu = lipschitz / 2 * (1 - np.cos(np.pi / (n + 1)))
    return ConvexProblem(loss, minimizer, lipschitz, float(mu))


class AcceleratedRun(NamedTuple):
    """The iterates :math:`x_0..x_T` of :func:`accelerated_gradient` and their losses."""

    params: jax.Array
    losses: jax.Array


@partial(jax.jit, static_argnums=(0, 2))
def _accelerated(loss_fn, x0, num_steps, learning_rate):
    grad = jax.grad(loss_fn)

    def step(carry, t):
        x, y = carry
        x_next = y - learning_rate * grad(y)
        y_next = x_next + (t - 1) / (t + 2) * (x_next - x)
        return (x_next, y_next), x_next

    steps = jnp.arange(1, num_steps + 1, dtype=x0.dtype)
    _, xs = lax.scan(step, (x0, x0), steps)
    xs = jnp.concatenate([x0[None], xs])
    return AcceleratedRun(xs, jax.vmap(loss_fn)(xs))


def accelerated_gradient(loss_fn: Any, params: Any, num_steps: int, learning_rate: float
                         ) -> AcceleratedRun:
    r"""Nesterov's accelerated gradient for smooth convex functions (Nesterov 1983).

    .. math:: x_t = y_{t-1} - \eta \nabla f(y_{t-1}), \qquad
              y_t = x_t + \frac{t - 1}{t + 2}\,(x_t - x_{t-1}), \qquad y_0 = x_0,

    the form of Beck & Teboulle (2009) with the momentum :math:`(t-1)/(t+2)`, which grows
    towards 1. With :math:`\eta = 1/L` on an :math:`L`-smooth convex :math:`f`,
    :math:`f(x_t) - f^\star \le 2L\lVert x_0 - x^\star\rVert^2/(t+1)^2`. With a constant
    momentum :math:`\gamma` instead of :math:`(t-1)/(t+2)`, :math:`y_t` is the iterate of
    ``gdlib.nesterov(η, γ)``. The losses returned are those of the :math:`x_t`, the points
    the bound is about.

    Example:
        >>> problem = worst_quadratic(21)
        >>> run = accelerated_gradient(problem.loss, jnp.zeros(21), 10, 1.0)
        >>> run.params.shape, round(float(run.losses[10]), 4)  # below 2 L |x0 - x*|² / 11² = 0.11
        ((11, 21), 0.0161)
    """
    num_steps = check_positive_int("num_steps", num_steps)
    x0 = jnp.asarray(params)
    return _accelerated(loss_fn, x0, num_steps, jnp.asarray(learning_rate, x0.dtype))


def convex_bounds(steps: Any, smoothness: float, distance_sq: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    r"""The guarantees on an :math:`L`-smooth convex function after :math:`t` steps of size
    :math:`1/L`: gradient descent's :math:`L D^2/(2t)` and Nesterov's
    :math:`2 L D^2/(t + 1)^2`, with :math:`D^2 = \lVert x_0 - x^\star\rVert^2`.

    Example:
        >>> gd, nag = convex_bounds([1, 10], 1.0, 2.0)
        >>> gd.tolist(), nag.round(4).tolist()
        ([1.0, 0.1], [1.0, 0.0331])
    """
    t = np.asarray(steps, dtype=float)
    return smoothness * distance_sq / (2 * t), 2 * smoothness * distance_sq / (t + 1) ** 2


def first_step_below(losses: Any, level: Any) -> np.ndarray:
    """The first index at which ``losses`` is at or below each ``level`` (-1 where never).

    Example:
        >>> first_step_below([1.0, 0.5, 0.6, 0.2], [0.55, 0.1]).tolist()
        [1, -1]
    """
    losses = np.asarray(losses, dtype=float)
    below = losses[None, :] <= np.atleast_1d(np.asarray(level, dtype=float))[:, None]
    return np.where(below.any(axis=1), np.argmax(below, axis=1), -1)


def critical_momentum(learning_rate: Any, curvature: Any) -> np.ndarray:
    r"""The momentum that damps heavy ball critically along a direction of curvature
    :math:`\lambda`: :math:`\gamma_c = (1 - \sqrt{\eta\lambda})^2`.

    Along that direction the error follows
    :math:`\theta_t = (1 + \gamma - \eta\lambda)\theta_{t-1} - \gamma\theta_{t-2}`, whose
    characteristic roots are real and distinct for :math:`\gamma < \gamma_c` (overdamped, the
    larger root sets the rate), double at :math:`\gamma_c` (the rate
    :math:`|1 - \sqrt{\eta\lambda}|`, the fastest for this :math:`\eta`), and complex with
    modulus :math:`\sqrt\gamma` above it (underdamped: the error oscillates). For
    :math:`\eta\lambda > 1`, :math:`\sqrt{\gamma_c} = \sqrt{\eta\lambda} - 1`.

    Example:
        >>> critical_momentum(0.04, [1.0, 25.0]).round(4).tolist()
        [0.64, 0.0]
    """
    return (1 - np.sqrt(np.asarray(learning_rate, float) * np.asarray(curvature, float))) ** 2


def measured_rate(errors: Any, first: int, last: int, window: int = 1, floor: float = 0.0
                  ) -> float:
    r"""The factor per step by which ``errors`` shrink between steps ``first`` and ``last``.

    :math:`(\bar e_{\text{last}} / \bar e_{\text{first}})^{1/(\text{last} - \text{first})}`,
    with :math:`\bar e_t = \max_{t - w < s \le t} |e_s|` the envelope over the last
    ``window`` steps, so that an oscillating error is measured by its amplitude (take a
    window longer than one oscillation). With ``floor``, the measurement stops at the last
    step whose envelope is still above ``floor`` times the largest error, before float32
    runs out of range (it underflows below about 1e-38).

    Example:
        >>> t = np.arange(60)
        >>> round(measured_rate(0.9 ** t * np.cos(0.5 * t), 20, 59, window=13), 2)
        0.9
        >>> round(measured_rate(0.5 ** t, 5, 59, floor=1e-6), 3)  # stops at step 19
        0.5
    """
    e = np.abs(np.asarray(errors, dtype=float))
    w = check_positive_int("window", window)
    if not (0 <= first - w + 1 and first < last < e.shape[0]):
        raise ValueError(f"need window - 1 <= first < last < {e.shape[0]}, got first={first}, "
                         f"last={last}, window={w}")
    envelope = np.array([e[max(t - w + 1, 0):t + 1].max() for t in range(e.shape[0])])
    above = np.flatnonzero(envelope[:last + 1] > floor * e.max())
    last = int(above[-1])
    if last <= first:
        raise ValueError(f"the error falls below floor={floor} of its largest value by step "
                         f"{last}, before first={first}")
    return float((envelope[last] / envelope[first]) ** (1 / (last - first)))
