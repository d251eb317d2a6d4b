"""Runs, sweeps and divergence reports."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gdlib
from gdlib.train.runner import _sweep


def quadratic(theta):
    return jnp.sum(jnp.array([1.0, 10.0]) * theta**2)


def python_loop(optimizer, loss_fn, theta, num_steps):
    """The reference: the textbook loop, one Python iteration per step."""
    state, thetas = optimizer.init(theta), [theta]
    for _ in range(num_steps):
        updates, state = optimizer.update(jax.grad(loss_fn)(theta), state, theta)
        theta = gdlib.apply_updates(theta, updates)
        thetas.append(theta)
    return jnp.stack(thetas)


def test_run_records_every_step_like_a_python_loop(x64):
    theta0 = jnp.array([1.0, 1.0])
    trajectory = gdlib.run(gdlib.adam(0.1), quadratic, theta0, 25)
    expected = python_loop(gdlib.adam(0.1), quadratic, theta0, 25)
    assert trajectory.params.shape == (26, 2)
    np.testing.assert_allclose(trajectory.params, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(trajectory.losses, jax.vmap(quadratic)(expected), rtol=1e-12)
    assert int(trajectory.diverged_at) == -1


def test_run_takes_any_pytree():
    params = {"w": jnp.ones((2, 3)), "b": jnp.zeros(3)}
    loss = lambda p: jnp.sum((p["w"] - 2.0) ** 2) + jnp.sum((p["b"] + 1.0) ** 2)  # noqa: E731
    trajectory = gdlib.run(gdlib.momentum(0.05, 0.9), loss, params, 200)
    assert trajectory.params["w"].shape == (201, 2, 3)
    assert float(trajectory.losses[-1]) < 1e-4


def test_divergence_step_is_the_first_non_finite_loss():
    # θ ← θ - 1.5·2θ = -2θ, so θ_t = (-2)^t and J = 4^t overflows float32 (max ≈ 2^128) at t = 64.
    trajectory = gdlib.run(gdlib.sgd(1.5), lambda t: jnp.sum(t**2), jnp.array([1.0]), 100)
    assert bool(trajectory.diverged)
    assert int(trajectory.diverged_at) == 64
    assert np.isfinite(trajectory.losses[:64]).all()
    assert np.isnan(trajectory.losses[64:]).all() and np.isnan(trajectory.params[64:]).all()
    assert float(trajectory.losses[63]) == pytest.approx(4.0**63, rel=1e-6)
    assert trajectory.describe() == "diverged at step 64"


def test_max_loss_reports_divergence_before_overflow():
    trajectory = gdlib.run(gdlib.sgd(1.5), lambda t: jnp.sum(t**2), jnp.array([1.0]), 100,
                           max_loss=1e6)
    assert int(trajectory.diverged_at) == 10  # 4^10 > 1e6 > 4^9


def test_nan_gradient_is_caught_at_the_next_step():
    loss = lambda t: jnp.sum(jnp.sqrt(t))  # noqa: E731  gradient 1/(2√t) blows up at t ≤ 0
    trajectory = gdlib.run(gdlib.sgd(1.0), loss, jnp.array([0.3]), 10)
    assert bool(trajectory.diverged)
    first = int(trajectory.diverged_at)
    assert np.isfinite(trajectory.losses[:first]).all() and np.isnan(trajectory.losses[first])


def test_sweep_equals_a_loop_of_single_runs(x64):
    grid = gdlib.grid(learning_rate=[0.01, 0.05, 0.12], momentum=[0.0, 0.5, 0.9])
    theta0 = jnp.array([1.0, -0.5])
    runs = gdlib.sweep(gdlib.momentum, quadratic, theta0, 40, **grid)
    assert runs.losses.shape == (9, 41)
    for i, (lr, m) in enumerate(zip(grid["learning_rate"], grid["momentum"], strict=True)):
        single = gdlib.run(gdlib.momentum(float(lr), float(m)), quadratic, theta0, 40)
        np.testing.assert_allclose(runs.params[i], single.params, rtol=1e-12, atol=1e-14)
        assert int(runs.diverged_at[i]) == int(single.diverged_at)


def test_sweep_reports_divergence_per_run():
    runs = gdlib.sweep(gdlib.sgd, lambda t: jnp.sum(t**2), jnp.array([1.0]), 100,
                       learning_rate=[0.1, 0.9, 1.5, 3.0])
    assert runs.diverged_at.tolist()[:2] == [-1, -1]
    assert runs.diverged_at.tolist()[2] == 64
    assert 0 < runs.diverged_at.tolist()[3] < 64


def test_sweep_shares_scalars_and_compiles_once_per_shape():
    theta0 = jnp.array([1.0, 1.0])
    before = _sweep._cache_size()
    for lr in [0.01, 0.02, 0.03]:
        gdlib.sweep(gdlib.adam, quadratic, theta0, 30, learning_rate=[lr], b1=0.8)
    assert _sweep._cache_size() == before + 1


def test_sweep_checks_the_whole_grid_first():
    with pytest.raises(ValueError, match=r"b2 must be in \[0.0, 1.0\), got 1.0"):
        gdlib.sweep(gdlib.adam, quadratic, jnp.zeros(2), 10, learning_rate=[0.1, 0.2],
                    b2=[0.9, 1.0])
    with pytest.raises(ValueError, match="sweep needs at least one hyperparameter"):
        gdlib.sweep(gdlib.adam, quadratic, jnp.zeros(2), 10)
    with pytest.raises(ValueError, match="num_steps must be a whole number >= 1, got 0"):
        gdlib.sweep(gdlib.adam, quadratic, jnp.zeros(2), 0, learning_rate=0.1)


def test_sweep_keeps_float32_parameters_float32(x64):
    runs = gdlib.sweep(gdlib.rmsprop, quadratic, jnp.ones(2, jnp.float32), 5,
                       learning_rate=[0.1, 0.01])
    assert runs.params.dtype == jnp.float32


def test_grid_is_every_combination():
    g = gdlib.grid(a=[1, 2, 3], b=[10, 20])
    pairs = list(zip(g["a"], g["b"], strict=True))
    assert pairs == [(1, 10), (1, 20), (2, 10), (2, 20), (3, 10), (3, 20)]


def test_lookahead_nesterov_checks_its_arguments():
    with pytest.raises(ValueError, match="momentum must be in"):
        gdlib.run_nesterov_lookahead(quadratic, jnp.zeros(2), 10, 0.1, 1.0)


# Found by mutation testing (tests/mutation) or written for what it would find: the parts of
# a Trajectory a page prints, and the edges of the divergence rule.
def test_describe_a_converged_run_and_refuse_a_sweep():
    trajectory = gdlib.run(gdlib.sgd(0.1), lambda t: jnp.sum(t**2), jnp.array([1.0, 2.0]), 3)
    assert trajectory.describe() == "loss 1.31 after 3 steps"
    assert float(trajectory.final_loss()) == pytest.approx(1.31072, rel=1e-6)
    assert not bool(trajectory.diverged) and int(trajectory.diverged_at) == -1
    runs = gdlib.sweep(gdlib.sgd, lambda t: jnp.sum(t**2), jnp.array([1.0]), 3,
                       learning_rate=[0.1, 0.2])
    with pytest.raises(ValueError, match="describe\\(\\) is for a single run"):
        runs.describe()
    np.testing.assert_allclose(runs.final_loss(), [0.8**6, 0.6**6], rtol=1e-6)


def test_a_loss_equal_to_max_loss_has_not_diverged():
    # θ_t = (-2)^t, J = 4^t: exactly 4^9 at step 9, which max_loss = 4^9 still allows.
    trajectory = gdlib.run(gdlib.sgd(1.5), lambda t: jnp.sum(t**2), jnp.array([1.0]), 20,
                           max_loss=4.0**9)
    assert int(trajectory.diverged_at) == 10
    assert float(trajectory.losses[9]) == 4.0**9 and np.isnan(trajectory.losses[10])


def test_the_trajectory_ends_with_the_last_parameters():
    trajectory = gdlib.run(gdlib.sgd(0.25), lambda t: jnp.sum(t**2), jnp.array([1.0]), 4)
    np.testing.assert_allclose(trajectory.params[:, 0], 0.5 ** np.arange(5))
    np.testing.assert_allclose(trajectory.losses, 0.25 ** np.arange(5))


@pytest.mark.parametrize("max_loss", [math.nan, -math.inf, "big"])
def test_max_loss_is_checked(max_loss):
    with pytest.raises((ValueError, TypeError), match="max_loss must be"):
        gdlib.run(gdlib.sgd(0.1), quadratic, jnp.zeros(2), 3, max_loss=max_loss)


def test_sweep_takes_numbers_or_one_dimensional_arrays():
    with pytest.raises(ValueError, match="sweep takes numbers or 1-D arrays"):
        gdlib.sweep(gdlib.sgd, quadratic, jnp.zeros(2), 3, learning_rate=[[0.1, 0.2]])


def test_run_and_lookahead_check_their_counts_and_rates():
    with pytest.raises(ValueError, match="num_steps must be a whole number >= 1, got 0"):
        gdlib.run(gdlib.sgd(0.1), quadratic, jnp.zeros(2), 0)
    with pytest.raises(ValueError, match="learning_rate must be a finite number >= 0"):
        gdlib.run_nesterov_lookahead(quadratic, jnp.zeros(2), 10, -0.1, 0.5)
    with pytest.raises(ValueError, match="num_steps must be a whole number >= 1"):
        gdlib.run_nesterov_lookahead(quadratic, jnp.zeros(2), 0, 0.1, 0.5)


# Found by mutation testing (tests/mutation): each test names the bug it catches.

def test_lookahead_is_the_slides_equations_step_by_step(x64):
    """v_t = g v_{t-1} + eta grad J(theta_{t-1} - g v_{t-1}), theta_t = theta_{t-1} - v_t,
    written out in Python: catches a sign or an operator changed in any of the three lines."""
    lr, gamma, theta0 = 0.03, 0.7, jnp.array([1.0, -2.0])
    thetas, vs = gdlib.run_nesterov_lookahead(quadratic, theta0, 6, lr, gamma)
    theta, v = theta0, jnp.zeros(2)
    expected_theta, expected_v = [theta], [v]
    for _ in range(6):
        v = gamma * v + lr * jax.grad(quadratic)(theta - gamma * v)
        theta = theta - v
        expected_theta.append(theta)
        expected_v.append(v)
    np.testing.assert_allclose(thetas, jnp.stack(expected_theta), rtol=1e-12)
    np.testing.assert_allclose(vs, jnp.stack(expected_v), rtol=1e-12)


def test_lookahead_defaults_are_the_documented_rate_and_momentum(x64):
    theta0 = jnp.array([1.0, -2.0])
    default = gdlib.run_nesterov_lookahead(quadratic, theta0, 5)
    explicit = gdlib.run_nesterov_lookahead(quadratic, theta0, 5, 0.01, 0.9)
    np.testing.assert_array_equal(default[0], explicit[0])
    np.testing.assert_array_equal(default[1], explicit[1])


def test_a_run_diverged_at_its_start_is_reported_at_step_0():
    """max_loss below the starting loss: divergence at t = 0 (not 'finished')."""
    trajectory = gdlib.run(gdlib.sgd(0.01), quadratic, jnp.array([1.0, 1.0]), 5, max_loss=1.0)
    assert int(trajectory.diverged_at) == 0
    assert bool(trajectory.diverged)
    assert trajectory.describe() == "diverged at step 0"
    runs = gdlib.sweep(gdlib.sgd, quadratic, jnp.array([1.0, 1.0]), 5, max_loss=1.0,
                       learning_rate=[0.01, 0.02])
    assert runs.diverged.tolist() == [True, True]


def test_parameters_that_overflow_under_a_finite_loss_count_as_diverged():
    """The loss tanh(theta) stays finite when theta becomes inf: the parameters are checked too."""
    def to_infinity(grads, state, params=None):
        return jax.tree.map(lambda g: g + jnp.inf, grads), state

    blow_up = gdlib.GradientTransformation(lambda params: (), to_infinity)
    trajectory = gdlib.run(blow_up, lambda theta: jnp.sum(jnp.tanh(theta)), jnp.zeros(2), 3)
    assert np.isfinite(jnp.sum(jnp.tanh(jnp.full(2, jnp.inf))))  # the loss alone would not tell
    assert int(trajectory.diverged_at) == 1


def test_max_loss_is_keyword_only():
    with pytest.raises(TypeError):
        gdlib.run(gdlib.sgd(0.1), quadratic, jnp.zeros(2), 3, 10.0)
    with pytest.raises(TypeError):
        gdlib.sweep(gdlib.sgd, quadratic, jnp.zeros(2), 3, 10.0, learning_rate=[0.1])


def test_a_run_compiles_once_for_the_same_optimizer_loss_and_steps():
    """The docstring's promise: the compiled loop is reused (it is jitted, and keyed so)."""
    from gdlib.train import runner

    optimizer, theta0 = gdlib.sgd(0.1), jnp.array([1.0, 2.0])
    runner.run(optimizer, quadratic, theta0, 7)
    before = runner._run._cache_size()
    runner.run(optimizer, quadratic, theta0 + 1.0, 7)
    assert runner._run._cache_size() == before
    runner._lookahead(quadratic, theta0, 4, 0.1, 0.5)
    before = runner._lookahead._cache_size()
    runner._lookahead(quadratic, theta0 + 1.0, 4, 0.2, 0.6)
    assert runner._lookahead._cache_size() == before
