"""Tests for gdlib.train.convergence: each prediction against a run or a closed form."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gdlib
from gdlib.optim import schedules
from gdlib.train import convergence

pytestmark = pytest.mark.filterwarnings("error")


@pytest.mark.parametrize("lr", [0.02, 0.1, 0.15, 0.19])
def test_quadratic_rate_is_the_factor_gradient_descent_achieves(lr):
    curvatures = np.array([1.0, 10.0])
    loss = lambda theta: 0.5 * jnp.sum(curvatures * theta**2)  # noqa: E731
    run = gdlib.run(gdlib.sgd(lr), loss, jnp.array([1.0, 1.0]), 60)
    distances = np.linalg.norm(np.asarray(run.params, dtype=float), axis=1)
    assert convergence.measured_rate(distances, 30, 60) == pytest.approx(
        convergence.quadratic_rate(curvatures, lr), abs=1e-4)


def test_quadratic_rate_above_one_past_the_ceiling():
    assert convergence.quadratic_rate([1.0, 10.0], 0.21) > 1 > convergence.quadratic_rate(
        [1.0, 10.0], 0.19)


def test_best_constant_step_minimizes_the_rate():
    step, rate = convergence.best_constant_step(2.0, 30.0)
    assert rate == pytest.approx((15 - 1) / (15 + 1))
    assert convergence.quadratic_rate([2.0, 30.0], step) == pytest.approx(rate)
    for other in np.linspace(0.001, 2 / 30, 200):
        assert convergence.quadratic_rate([2.0, 30.0], other) >= rate - 1e-12
    with pytest.raises(ValueError, match="lambda_min"):
        convergence.best_constant_step(0.0, 1.0)
    with pytest.raises(ValueError, match="lambda_max"):
        convergence.best_constant_step(2.0, 1.0)


def test_measured_rate_checks_its_window():
    assert convergence.measured_rate([1.0, 0.5, 0.25], 1, 2) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="start < stop"):
        convergence.measured_rate([1.0, 0.5], 1, 1)


def test_step_lengths_diverge_for_time_based_and_converge_for_the_others():
    time_based = schedules.time_based(0.1, decay_rate=0.1)
    exponential = schedules.exponential(0.1, decay_rate=0.1)
    step = schedules.step_decay(0.1, drop=0.5, every=10)
    short, long = (convergence.step_lengths(time_based, t)[0] for t in (10_000, 100_000))
    assert long > short + 2  # grows like log(T): ln(10) = 2.3 more, no limit
    for schedule, limit in [(exponential, 0.1 / (1 - np.exp(-0.1))), (step, 0.1 * 10 / 0.5)]:
        assert convergence.step_lengths(schedule, 10_000)[0] == pytest.approx(limit, rel=1e-6)
    squares = [convergence.step_lengths(time_based, t)[1] for t in (10_000, 100_000)]
    assert squares[1] - squares[0] < 1e-3  # the squares add up to a finite total


def test_remaining_fraction_is_what_gradient_descent_leaves_on_a_quadratic():
    schedule = schedules.exponential(0.2, decay_rate=0.3)
    loss = lambda theta: 0.5 * 2.0 * theta**2  # noqa: E731
    optimizer = gdlib.sgd(schedule)
    run = gdlib.run(optimizer, loss, jnp.array(1.0), 100)
    assert float(run.params[-1]) == pytest.approx(
        convergence.remaining_fraction(schedule, 2.0, 100), rel=1e-5)
    assert convergence.remaining_fraction(schedule, 2.0, 100) > 0.1
    assert convergence.remaining_fraction(schedules.time_based(0.2, 0.3), 2.0, 100_000) < 1e-3


def test_noise_floor_in_one_dimension_and_its_small_step_limit():
    eta, lam, c = 0.1, 2.0, 3.0
    assert convergence.noise_floor(eta, [[lam]], [[c]]) == pytest.approx(
        eta * c / (lam * (2 - eta * lam)))
    hessian = np.diag([1.0, 4.0])
    covariance = np.array([[1.0, 0.3], [0.3, 2.0]])
    small = convergence.noise_floor(1e-4, hessian, covariance)
    assert small == pytest.approx(1e-4 / 2 * np.trace(np.linalg.inv(hessian) @ covariance),
                                  rel=1e-3)
    # invariant to rotating the problem
    r = np.array([[0.6, -0.8], [0.8, 0.6]])
    assert convergence.noise_floor(0.1, r @ hessian @ r.T, r @ covariance @ r.T) == pytest.approx(
        convergence.noise_floor(0.1, hessian, covariance))
    with pytest.raises(ValueError, match="stability limit"):
        convergence.noise_floor(0.6, hessian, covariance)


def test_noise_floor_predicts_sgd_on_a_least_squares_problem():
    key_x, key_y, key_run = jax.random.split(jax.random.key(0), 3)
    n, d = 200, 3
    x = jax.random.normal(key_x, (n, d))
    y = x @ jnp.array([1.0, -2.0, 0.5]) + jax.random.normal(key_y, (n,))
    theta_star = jnp.asarray(np.linalg.lstsq(np.asarray(x, float), np.asarray(y, float))[0],
                             dtype=jnp.float32)
    loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)  # noqa: E731
    hessian = 2 * np.asarray(x.T @ x, dtype=float) / n
    per_example = 2 * np.asarray(x * (x @ theta_star - y)[:, None], dtype=float)
    sigma = np.cov(per_example.T, bias=True)
    for b in (1, 10):
        covariance = sigma / b  # batches drawn with replacement
        predicted = convergence.noise_floor(0.02, hessian, covariance)
        squared = convergence.sgd_distances(loss, theta_star, x, y, b, 0.02, 1000, key_run, 16)
        measured = float(jnp.mean(squared[:, 500:]))
        assert measured == pytest.approx(predicted, rel=0.15)


def test_sgd_distances_checks_its_arguments():
    loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)  # noqa: E731
    x, y = jnp.eye(3), jnp.ones(3)
    with pytest.raises(ValueError, match="batch_size"):
        convergence.sgd_distances(loss, y, x, y, 4, 0.1, 5, jax.random.key(0))
    with pytest.raises(ValueError, match="learning_rate"):
        convergence.sgd_distances(loss, y, x, y, 1, 0.0, 5, jax.random.key(0))
