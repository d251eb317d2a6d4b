"""Elastic Averaging SGD: the synchronous map, Algorithm 1, and the stability region."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gdlib.parallel import easgd
from gdlib.parallel.data_parallel import data_mesh
from gdlib.parallel.event_schedule import random_speeds, round_robin


def quadratic(h):
    return lambda w, x, y: 0.5 * h * jnp.sum(w**2)


def no_data(num_workers, num_steps):
    return jnp.zeros((num_workers, num_steps, 1, 1)), jnp.zeros((num_workers, num_steps, 1))


def least_squares(w, x, y):
    return jnp.mean((x @ w - y) ** 2)


gradient = jax.jit(jax.grad(least_squares))  # for the Python references: compiled once


def worker_data(num_workers, num_batches, seed=0):
    rng = np.random.default_rng(seed)  # NumPy: no compilation for each new shape
    x = rng.normal(size=(num_workers, num_batches, 4, 3))
    y = x @ np.array([1.0, -1.0, 2.0]) + 0.3 * rng.normal(size=x.shape[:3])
    return jnp.asarray(x), jnp.asarray(y)


def test_sync_is_the_simultaneous_linear_map_on_a_quadratic(x64):
    p, steps, h, eta, alpha = 4, 30, 2.0, 0.2, 0.1
    x, y = no_data(p, steps)
    run = easgd.sync(quadratic(h), jnp.array([1.0]), x, y, data_mesh(1), eta, alpha)
    state = np.ones(p + 1)
    matrix = easgd.quadratic_map(eta * h, alpha, p)
    centers = [state[-1]]
    for _ in range(steps):
        state = matrix @ state
        centers.append(state[-1])
    np.testing.assert_allclose(run.centers[:, 0], centers, rtol=1e-12)
    np.testing.assert_allclose(run.workers[:, 0], state[:p], rtol=1e-12)


def python_sync(x_batches, y_batches, w0, eta, alpha):
    p, steps = x_batches.shape[:2]
    workers, center = [np.array(w0)] * p, np.array(w0)
    for t in range(steps):
        grads = [np.asarray(gradient(workers[i], x_batches[i, t],
                                                    y_batches[i, t])) for i in range(p)]
        diffs = [workers[i] - center for i in range(p)]
        workers = [workers[i] - eta * grads[i] - alpha * diffs[i] for i in range(p)]
        center = center + alpha * sum(diffs)
    return np.array(workers), center


def test_sync_with_data_is_the_textbook_update(x64):
    x, y = worker_data(3, 12)
    run = easgd.sync(least_squares, jnp.zeros(3), x, y, data_mesh(1), 0.05, 0.1)
    workers, center = python_sync(x, y, np.zeros(3), 0.05, 0.1)
    np.testing.assert_allclose(run.centers[-1], center, rtol=1e-10)
    np.testing.assert_allclose(run.workers, workers, rtol=1e-10)
    assert run.worker_losses.shape == (12, 3)


def test_the_elastic_force_conserves_the_sum_of_workers_and_centre(x64):
    # With no gradient (η = 0) the pulls are equal and opposite: Σ xᵢ + x̃ stays put.
    x, y = worker_data(4, 20)
    start = {"w": jnp.array([1.0, 2.0, 3.0])}
    loss = lambda p, x, y: least_squares(p["w"], x, y)  # noqa: E731
    run = easgd.sync(loss, start, x, y, data_mesh(1), 0.0, 0.1)
    total = run.workers["w"].sum(axis=0) + run.centers["w"][-1]
    np.testing.assert_allclose(total, 5 * start["w"], rtol=1e-12)


def python_alg1(x_batches, y_batches, workers_of_events, w0, eta, alpha, period):
    p, num_batches = x_batches.shape[:2]
    workers, center, clocks = [np.array(w0)] * p, np.array(w0), [0] * p
    centers = [center]
    for i in np.asarray(workers_of_events).tolist():
        x = workers[i]
        if clocks[i] % period == 0:
            delta = alpha * (x - center)
            x, center = x - delta, center + delta
        b = clocks[i] % num_batches
        x = x - eta * np.asarray(gradient(x, x_batches[i, b], y_batches[i, b]))
        workers[i], clocks[i] = x, clocks[i] + 1
        centers.append(center)
    return np.array(workers), np.array(centers)


@pytest.mark.parametrize("period", [1, 3])
def test_asynchronous_is_algorithm_1_event_by_event(x64, period):
    x, y = worker_data(3, 5, seed=4)
    schedule = random_speeds(jax.random.key(7), 3, 40, jitter=1.0)
    run = easgd.asynchronous(least_squares, jnp.zeros(3), x, y, schedule, 0.05, 0.2, period)
    workers, centers = python_alg1(x, y, schedule.workers, np.zeros(3), 0.05, 0.2, period)
    np.testing.assert_allclose(run.workers, workers, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(run.centers, centers, rtol=1e-10, atol=1e-14)
    assert run.worker_losses.shape == (40,)


def test_without_elasticity_the_centre_never_moves(x64):
    x, y = worker_data(3, 5, seed=4)
    run = easgd.asynchronous(least_squares, jnp.ones(3), x, y, round_robin(3, 40), 0.05, 0.0)
    np.testing.assert_array_equal(run.centers, jnp.ones((41, 3)))
    assert not np.allclose(run.workers, 1.0)  # while the workers did move


def random_points(rng, count):
    return rng.uniform(-0.2, 2.6, count), rng.uniform(-0.1, 1.0, count)


@pytest.mark.parametrize("p", [1, 2, 4, 8])
def test_the_stability_conditions_are_exactly_spectral_radius_below_one(p):
    rng = np.random.default_rng(p)
    eta_h, alpha = random_points(rng, 3000)
    alpha = alpha / max(p / 2, 1)  # keep β = pα in a range where both outcomes occur
    radius = np.array([easgd.spectral_radius(a, m, p) for a, m in zip(eta_h, alpha,
                                                                          strict=True)])
    clear = np.abs(radius - 1) > 1e-9
    predicted = easgd.stable(eta_h, alpha, p)
    np.testing.assert_array_equal(predicted[clear], (radius < 1)[clear])
    assert 0.2 < predicted.mean() < 0.8  # both regions were sampled


def test_for_one_worker_the_region_is_the_simple_condition():
    rng = np.random.default_rng(0)
    eta_h, alpha = random_points(rng, 3000)
    simple = (0 < eta_h) & (eta_h < 2) & (0 < alpha) & (alpha < (4 - 2 * eta_h) / (4 - eta_h))
    np.testing.assert_array_equal(easgd.stable(eta_h, alpha, 1), simple)


def test_inside_the_region_runs_contract_outside_they_diverge():
    p, steps = 4, 300
    rng = np.random.default_rng(1)
    eta_h, alpha = rng.uniform(0.05, 2.4, 400), rng.uniform(0.005, 0.45, 400)
    radius = np.array([easgd.spectral_radius(a, m, p) for a, m in zip(eta_h, alpha,
                                                                          strict=True)])
    keep = np.abs(radius - 1) > 0.03  # away from the boundary, 300 steps decide
    eta_h, alpha = eta_h[keep], alpha[keep]
    # A kick to the first gradients sets the workers apart: from identical workers the mode in
    # which they disagree (eigenvalue 1 - ηh - α) could never grow.
    kick = jnp.zeros((p, steps, 1, 1)).at[:, 0].set(jax.random.normal(jax.random.key(0),
                                                                      (p, 1, 1)))

    def kicked(w, x, y):
        return 0.5 * jnp.sum(w**2) + jnp.sum(w * x)

    runs = easgd.sync_sweep(kicked, jnp.ones(1), kick, kick[..., 0], data_mesh(1), eta_h, alpha)
    size = np.maximum(np.abs(np.asarray(runs.centers[:, -1, 0])),
                      np.abs(np.asarray(runs.workers[..., 0])).max(axis=1))
    inside = easgd.stable(eta_h, alpha, p)
    assert inside.sum() > 50 and (~inside).sum() > 50
    assert np.all(size[inside] < 1e-3)
    assert np.all(~(size[~inside] < 1e3))  # huge, inf or nan


def test_sync_sweep_is_every_pair_run_by_the_textbook_update(x64):
    x, y = worker_data(3, 12)
    runs = easgd.sync_sweep(least_squares, jnp.zeros(3), x, y, data_mesh(1), [0.01, 0.05],
                            [0.2, 0.1])
    for i, (eta, alpha) in enumerate([(0.01, 0.2), (0.05, 0.1)]):
        workers, center = python_sync(x, y, np.zeros(3), eta, alpha)
        np.testing.assert_allclose(runs.centers[i, -1], center, rtol=1e-10)
        np.testing.assert_allclose(runs.workers[i], workers, rtol=1e-10)


@pytest.mark.parametrize(("call", "message"), [
    (lambda x, y: easgd.sync(least_squares, jnp.zeros(3), x, y, data_mesh(1), -0.1, 0.1),
     "learning_rate must be a finite number >= 0, got -0.1"),
    (lambda x, y: easgd.sync(least_squares, jnp.zeros(3), x, y, data_mesh(1), 0.1, 1.5),
     r"moving_rate must be in \[0.0, 1.0\], got 1.5"),
    (lambda x, y: easgd.asynchronous(least_squares, jnp.zeros(3), x, y, round_robin(2, 4),
                                     0.1, 0.1, period=0),
     "period must be a whole number >= 1, got 0"),
    (lambda x, y: easgd.sync_sweep(least_squares, jnp.zeros(3), x, y, data_mesh(1),
                                   [[0.1]], 0.1), "learning_rates must be a number or a 1-D"),
])
def test_bad_arguments_are_named(call, message):
    x, y = worker_data(2, 3)
    with pytest.raises(ValueError, match=message):
        call(x, y)


EIGHT_DEVICES = textwrap.dedent("""
    import json
    import jax, jax.numpy as jnp, numpy as np
    from gdlib.parallel import easgd
    from gdlib.parallel.data_parallel import data_mesh
    x = jax.random.normal(jax.random.key(0), (16, 20, 4, 3))
    y = x @ jnp.array([1.0, -1.0, 2.0])
    loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
    runs = {n: easgd.sync(loss, jnp.zeros(3), x, y, data_mesh(n), 0.05, 0.05) for n in (1, 8)}
    out = {n: [np.asarray(r.centers).tolist(), np.asarray(r.workers).tolist(),
               np.asarray(r.worker_losses).tolist()] for n, r in runs.items()}
    out["devices"] = len(jax.devices())
    try:
        easgd.sync(loss, jnp.zeros(3), x[:4], y[:4], data_mesh(8), 0.05, 0.05)
    except ValueError as error:
        out["error"] = str(error)
    print(json.dumps(out))
""")


def test_sync_on_eight_devices_is_the_same_run_as_on_one():
    env = {**os.environ, "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=8"}
    result = subprocess.run([sys.executable, "-c", EIGHT_DEVICES], env=env, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["devices"] == 8
    for one, eight in zip(out["1"], out["8"], strict=True):
        np.testing.assert_allclose(eight, one, rtol=1e-5, atol=1e-6)
    assert out["error"] == ("the number of workers (x_batches.shape[0]) must be a multiple of "
                            "the number of devices (8), got 4")
