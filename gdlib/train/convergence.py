r"""What theory predicts for gradient descent and SGD, in numbers a run can be checked against.

* On a quadratic with Hessian eigenvalues :math:`\lambda_i`, a gradient step multiplies the
  error along eigenvector :math:`i` by :math:`1 - \eta\lambda_i`; the distance to the minimum
  shrinks asymptotically by :math:`\rho(\eta) = \max_i |1 - \eta\lambda_i|` per step
  (:func:`quadratic_rate`), smallest at :math:`\eta^\star = 2/(\lambda_{\min} + \lambda_{\max})`
  where :math:`\rho = (\kappa - 1)/(\kappa + 1)` (:func:`best_constant_step`).
  :func:`measured_rate` is the factor per step a run actually achieved.
* A decaying schedule meets the Robbins-Monro conditions
  :math:`\sum_t \eta_t = \infty`, :math:`\sum_t \eta_t^2 < \infty` or not:
  :func:`step_lengths` adds up :math:`\sum_t \eta_t` and :math:`\sum_t \eta_t^2`.
  With a finite total step length, gradient descent on a quadratic stops short of the minimum:
  the error that is left along curvature :math:`\lambda` is the product
  :math:`\prod_t (1 - \eta_t \lambda)` (:func:`remaining_fraction`), which is positive exactly
  when :math:`\sum_t \eta_t < \infty` (for :math:`\eta_t\lambda < 1`).
* SGD with a constant rate does not converge but fluctuates around the minimizer. For a
  quadratic with Hessian :math:`H` and gradient noise of covariance :math:`C` (at the
  minimizer), the stationary covariance :math:`P` of :math:`\theta - \theta^\star` solves
  :math:`P = (I - \eta H) P (I - \eta H) + \eta^2 C`, so that
  :math:`\mathbb E\lVert\theta - \theta^\star\rVert^2 = \operatorname{tr} P
  \approx \frac{\eta}{2} \operatorname{tr}(H^{-1} C)` (:func:`noise_floor`): it grows like
  :math:`\eta\,\sigma^2 / b` for mini-batches of :math:`b` examples.
  :func:`sgd_distances` measures it by running SGD from the minimizer, with batches drawn
  independently at every step (Bottou, Curtis & Nocedal 2018, section 4).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.flatten_util import ravel_pytree

from gdlib.optim.hyperparams import Schedule, check_positive_int, check_range

PyTree = Any
Loss = Callable[[PyTree, jax.Array, jax.Array], jax.Array]

__all__ = ["best_constant_step", "measured_rate", "noise_floor", "quadratic_rate",
           "remaining_fraction", "sgd_distances", "step_lengths"]


def quadratic_rate(curvatures: Any, learning_rate: float) -> float:
    r""":math:`\rho(\eta) = \max_i |1 - \eta\lambda_i|`, the factor per step by which gradient
    descent shrinks the distance to the minimum of a quadratic (asymptotically).

    Args:
        curvatures: the Hessian eigenvalues :math:`\lambda_i`.
        learning_rate: the constant step :math:`\eta`.

    Example:
        >>> quadratic_rate([1.0, 10.0], 0.1), quadratic_rate([1.0, 10.0], 0.25)
        (0.9, 1.5)
    """
    curvatures = np.asarray(curvatures, dtype=float)
    return float(np.max(np.abs(1.0 - learning_rate * curvatures)))


def best_constant_step(lambda_min: float, lambda_max: float) -> tuple[float, float]:
    r"""The constant step that minimizes :func:`quadratic_rate`, and that rate:
    :math:`\eta^\star = 2/(\lambda_{\min} + \lambda_{\max})` and
    :math:`(\kappa - 1)/(\kappa + 1)` with :math:`\kappa = \lambda_{\max}/\lambda_{\min}`.

    Example:
        >>> step, rate = best_constant_step(1.0, 10.0)
        >>> round(step, 6), round(rate, 6)
        (0.181818, 0.818182)
    """
    lambda_min = check_range("lambda_min", lambda_min, 0.0, low_open=True)
    lambda_max = check_range("lambda_max", lambda_max, lambda_min)
    kappa = lambda_max / lambda_min
    return 2.0 / (lambda_min + lambda_max), (kappa - 1.0) / (kappa + 1.0)


def measured_rate(distances: Any, start: int, stop: int) -> float:
    r"""The mean factor per step between steps ``start`` and ``stop``:
    :math:`(d_{\text{stop}} / d_{\text{start}})^{1/(\text{stop} - \text{start})}`.

    Example:
        >>> round(measured_rate([8.0, 4.0, 2.0, 1.0], 0, 3), 6)
        0.5
    """
    distances = np.asarray(distances, dtype=float)
    if not 0 <= start < stop < len(distances):
        raise ValueError(f"need 0 <= start < stop < {len(distances)}, got {start}, {stop}")
    return float((distances[stop] / distances[start]) ** (1.0 / (stop - start)))


def step_lengths(schedule: Schedule, num_steps: int) -> tuple[float, float]:
    r""":math:`\sum_{t < T} \eta_t` and :math:`\sum_{t < T} \eta_t^2` for a schedule, in float64.

    The Robbins-Monro conditions ask the first to grow without bound and the second to stay
    finite as :math:`T \to \infty`; compare two horizons to see which happens.

    Example:
        >>> from gdlib.optim import schedules
        >>> total, squares = step_lengths(schedules.exponential(1.0, decay_rate=np.log(2)), 50)
        >>> round(total, 6), round(squares, 6)  # 1 + 1/2 + 1/4 + ... and 1 + 1/4 + ...
        (2.0, 1.333333)
    """
    num_steps = check_positive_int("num_steps", num_steps)
    rates = np.asarray(schedule(np.arange(num_steps)), dtype=np.float64)
    return float(np.sum(rates)), float(np.sum(rates**2))


def remaining_fraction(schedule: Schedule, curvature: float, num_steps: int) -> float:
    r""":math:`\prod_{t < T} |1 - \eta_t\lambda|`: the share of the initial error along
    curvature :math:`\lambda` that gradient descent with the schedule leaves after :math:`T`
    steps of a quadratic (in float64).

    For :math:`0 < \eta_t \lambda < 1` the product tends to a positive limit exactly when
    :math:`\sum_t \eta_t < \infty`: a schedule with a finite total step length stops short.

    Example:
        >>> from gdlib.optim import schedules
        >>> round(remaining_fraction(schedules.constant(0.5), 1.0, 3), 6)
        0.125
    """
    num_steps = check_positive_int("num_steps", num_steps)
    rates = np.asarray(schedule(np.arange(num_steps)), dtype=np.float64)
    return float(np.prod(np.abs(1.0 - rates * curvature)))


def noise_floor(learning_rate: float, hessian: Any, covariance: Any) -> float:
    r"""The stationary :math:`\mathbb E \lVert \theta - \theta^\star \rVert^2` of SGD with a
    constant rate on a quadratic: :math:`\operatorname{tr} P` for
    :math:`P = (I - \eta H) P (I - \eta H) + \eta^2 C`.

    In the eigenvectors of :math:`H` (eigenvalues :math:`\lambda_i`, :math:`C` there
    :math:`\tilde C`) the trace is
    :math:`\sum_i \eta\, \tilde C_{ii} / (\lambda_i (2 - \eta\lambda_i))`, about
    :math:`\frac{\eta}{2} \operatorname{tr}(H^{-1} C)` for small :math:`\eta`. It assumes the
    gradient noise has covariance :math:`C` wherever :math:`\theta` is (its value at the
    minimizer), which holds to first order near it. Directions with :math:`\lambda_i = 0` must
    carry no noise (they are left out).

    Args:
        learning_rate: the constant :math:`\eta`, with :math:`\eta\lambda_{\max} < 2`.
        hessian: :math:`H`, symmetric positive semi-definite, ``(d, d)``.
        covariance: :math:`C`, the covariance of one update's gradient noise, ``(d, d)``.

    Example:
        >>> round(noise_floor(0.1, np.eye(2), 0.5 * np.eye(2)), 6)  # 2 * 0.1 * 0.5 / 1.9
        0.052632
    """
    check_range("learning_rate", learning_rate, 0.0, low_open=True)
    curvatures, vectors = np.linalg.eigh(np.asarray(hessian, dtype=np.float64))
    if learning_rate * curvatures.max() >= 2.0:
        raise ValueError(f"learning_rate {learning_rate} is above the stability limit "
                         f"2 / lambda_max = {2.0 / curvatures.max():.4g}")
    noise = np.einsum("ji,jk,ki->i", vectors, np.asarray(covariance, dtype=np.float64), vectors)
    keep = curvatures > 1e-12 * curvatures.max()
    eta, lam = learning_rate, curvatures[keep]
    return float(np.sum(eta * noise[keep] / (lam * (2.0 - eta * lam))))


@partial(jax.jit, static_argnums=(0, 4, 5))
def _sgd_distances(loss_fn, params, x, y, batch_size, num_steps, learning_rate, keys):
    flat_star, unravel = ravel_pytree(params)
    grad = jax.grad(loss_fn)
    n = x.shape[0]

    def one_run(key):
        def step(theta, key):
            rows = jax.random.randint(key, (batch_size,), 0, n)
            g = ravel_pytree(grad(unravel(theta), x[rows], y[rows]))[0]
            theta = theta - learning_rate * g
            return theta, jnp.sum((theta - flat_star) ** 2)

        _, squared = lax.scan(step, flat_star, jax.random.split(key, num_steps))
        return squared

    return jax.vmap(one_run)(keys)


def sgd_distances(loss_fn: Loss, params: PyTree, x: jax.Array, y: jax.Array, batch_size: int,
                  learning_rate: float, num_steps: int, key: jax.Array, num_runs: int = 8
                  ) -> jax.Array:
    r""":math:`\lVert\theta_t - \theta^\star\rVert^2` after each of ``num_steps`` SGD steps that
    start at ``params`` (the minimizer :math:`\theta^\star`), for ``num_runs`` independent runs.

    Each step draws its batch of ``batch_size`` examples uniformly *with replacement*,
    independently of the other steps, so the gradient noise of a step has covariance
    :math:`\Sigma / b` at :math:`\theta^\star`, :math:`\Sigma` the covariance of the per-example
    gradients. (Epochs of a reshuffled order, as :func:`gdlib.train.training.train` runs, are
    not independent draws: their noise cancels over an epoch and their iterates stay closer.)
    Averaging the second half of the steps over the runs estimates the stationary mean squared
    distance that :func:`noise_floor` predicts.

    Returns:
        An array ``(num_runs, num_steps)``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
        >>> x, y = jnp.eye(4), jnp.array([1.0, -1.0, 1.0, -1.0])
        >>> d = sgd_distances(loss, y, x, y, 2, 0.1, 5, jax.random.key(0), num_runs=3)
        >>> d.shape, float(d.max())  # at the exact solution every example's gradient is 0
        ((3, 5), 0.0)
    """
    batch_size = check_positive_int("batch_size", batch_size)
    num_steps = check_positive_int("num_steps", num_steps)
    num_runs = check_positive_int("num_runs", num_runs)
    if batch_size > x.shape[0]:
        raise ValueError(f"batch_size must be in [1, {x.shape[0]}], got {batch_size}")
    learning_rate = check_range("learning_rate", learning_rate, 0.0, low_open=True)
    return _sgd_distances(loss_fn, params, x, y, batch_size, num_steps,
                          jnp.asarray(learning_rate, dtype=jnp.float32),
                          jax.random.split(key, num_runs))
