import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gdlib
from gdlib.problems import surfaces
from gdlib.train import acceleration
from gdlib.viz import phase


def test_worst_quadratic_is_nesterovs_function_shifted_to_minimum_zero():
    n = 7
    problem = acceleration.worst_quadratic(n, smoothness=2.0)
    a = 2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)
    x = np.random.default_rng(0).normal(size=n)
    original = lambda x: 2.0 / 4 * (0.5 * x @ a @ x - x[0])  # noqa: E731
    value = float(problem.loss(jnp.asarray(x, jnp.float32)))
    assert value == pytest.approx(original(x) - original(problem.minimizer), rel=1e-5)
    hessian = np.asarray(jax.hessian(problem.loss)(jnp.zeros(n)))
    np.testing.assert_allclose(hessian, 2.0 / 4 * a, atol=1e-6)
    eigenvalues = np.linalg.eigvalsh(hessian)
    assert eigenvalues.min() == pytest.approx(problem.smallest_curvature, rel=1e-5)
    assert eigenvalues.max() < problem.smoothness


def test_worst_quadratic_rejects_bad_arguments():
    with pytest.raises(ValueError, match="dimension"):
        acceleration.worst_quadratic(0)
    with pytest.raises(ValueError, match="smoothness"):
        acceleration.worst_quadratic(5, smoothness=-1.0)


def test_accelerated_gradient_follows_its_equations():
    problem = acceleration.worst_quadratic(9)
    run = acceleration.accelerated_gradient(problem.loss, jnp.zeros(9), 6, 0.5)
    grad = jax.grad(problem.loss)
    x_prev = y = jnp.zeros(9)
    for t in range(1, 7):
        x = y - 0.5 * grad(y)
        y = x + (t - 1) / (t + 2) * (x - x_prev)
        x_prev = x
        np.testing.assert_allclose(run.params[t], x, atol=1e-6)
    np.testing.assert_allclose(run.losses, jax.vmap(problem.loss)(run.params), rtol=1e-6)


def test_accelerated_gradient_meets_its_bound_and_beats_gradient_descent():
    problem = acceleration.worst_quadratic(201)
    d2 = float(np.sum(problem.minimizer**2))
    nag = acceleration.accelerated_gradient(problem.loss, jnp.zeros(201), 100, 1.0)
    gd = gdlib.run(gdlib.sgd(1.0), problem.loss, jnp.zeros(201), 100)
    t = np.arange(1, 101)
    gd_bound, nag_bound = acceleration.convex_bounds(t, 1.0, d2)
    assert np.all(np.asarray(nag.losses[1:]) <= nag_bound)
    assert np.all(np.asarray(gd.losses[1:]) <= gd_bound)
    lower = 1 / 8 * (1 / (t + 1) - 1 / 202)  # neither method beats the Krylov lower bound
    assert np.all(np.asarray(nag.losses[1:]) >= lower * (1 - 1e-4))
    assert np.all(np.asarray(gd.losses[1:]) >= lower * (1 - 1e-4))
    assert float(nag.losses[-1]) < float(gd.losses[-1]) / 4


def test_constant_momentum_in_the_accelerated_form_is_gdlib_nesterov():
    # y_t = x_t + γ (x_t − x_{t−1}) with x_t = y_{t−1} − η ∇f(y_{t−1}) is gdlib.nesterov's φ_t.
    bowl = surfaces.quadratic_bowl(10.0)
    grad = jax.grad(bowl)
    x_prev = y = jnp.asarray(bowl.start, jnp.float32)
    ys = [y]
    for _ in range(20):
        x = y - 0.05 * grad(y)
        y = x + 0.8 * (x - x_prev)
        x_prev = x
        ys.append(y)
    phi = gdlib.run(gdlib.nesterov(0.05, 0.8), bowl, jnp.asarray(bowl.start, jnp.float32), 20)
    np.testing.assert_allclose(phi.params, np.stack(ys), atol=1e-5)


def test_convex_bounds_and_first_step_below():
    gd, nag = acceleration.convex_bounds([1, 3], 2.0, 4.0)
    np.testing.assert_allclose(gd, [4.0, 4 / 3])
    np.testing.assert_allclose(nag, [4.0, 1.0])
    assert acceleration.first_step_below([3.0, 2.0, 1.0, 0.5], [2.5, 1.0, 0.1]).tolist() == [
        1, 2, -1]


@pytest.mark.parametrize("momentum", [0.2, 0.64, 0.9])
def test_critical_momentum_separates_real_from_complex_roots(momentum):
    eta, lam = 0.04, 1.0
    critical = float(acceleration.critical_momentum(eta, lam))
    assert critical == pytest.approx(0.64)
    roots = np.roots([1, -(1 + momentum - eta * lam), momentum])
    if momentum < critical - 1e-9:
        assert np.all(np.isreal(roots))
    elif momentum > critical + 1e-9:
        assert np.all(np.abs(roots.imag) > 0)
        assert np.abs(roots).max() == pytest.approx(np.sqrt(momentum))
    # at critical damping the rate is the fastest one for this learning rate
    assert float(phase.heavy_ball_rate(eta, critical, [lam])) == pytest.approx(0.8, abs=1e-3)
    assert float(phase.heavy_ball_rate(eta, momentum, [lam])) >= 0.8 - 1e-3


def test_measured_rate_recovers_the_predicted_rate_of_momentum_per_direction():
    bowl = surfaces.quadratic_bowl(50.0)
    run = gdlib.run(gdlib.momentum(0.02, 0.9), bowl, jnp.asarray(bowl.start, jnp.float32), 300)
    predicted = float(phase.heavy_ball_rate(0.02, 0.9, [1.0]))
    measured = acceleration.measured_rate(run.params[:, 0], 100, 300, window=40)
    assert measured == pytest.approx(predicted, abs=5e-3)


def test_measured_rate_rejects_a_window_before_the_start():
    with pytest.raises(ValueError, match="window"):
        acceleration.measured_rate(np.ones(10), 2, 8, window=5)


def test_measured_rate_stops_at_the_floor_before_float32_underflows():
    errors = (0.4 ** np.arange(200)).astype(np.float32)  # zero from about step 100 on
    assert acceleration.measured_rate(errors, 10, 199, floor=1e-25) == pytest.approx(0.4, 1e-3)
    with pytest.raises(ValueError, match="floor"):
        acceleration.measured_rate(errors, 10, 199, floor=1e-3)
