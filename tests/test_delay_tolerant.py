"""AdaRevision: Adagrad with no delay (torch oracle), the revision rule with delays."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

from gdlib.parallel import delay_tolerant, downpour
from gdlib.parallel.event_schedule import random_speeds, round_robin


def least_squares(w, x, y):
    return jnp.mean((x @ w - y) ** 2)


gradient = jax.jit(jax.grad(least_squares))  # for the Python references: compiled once


def stream(num_batches=9, seed=0):
    rng = np.random.default_rng(seed)  # NumPy: no compilation for each new shape
    x = rng.normal(size=(num_batches, 4, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=(num_batches, 4))
    return jnp.asarray(x), jnp.asarray(y)


@pytest.mark.parametrize(("alpha", "beta"), [(0.3, 1e-10), (0.5, 0.1), (1.0, 1.0)])
def test_without_delay_it_is_torch_adagrad_with_eps_outside_the_root(x64, alpha, beta):
    x, y = stream()
    run = downpour.simulate(delay_tolerant.adarevision(alpha, beta), least_squares,
                            jnp.zeros(3), x, y, round_robin(1, 30), 1)
    w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adagrad([w], lr=alpha, eps=beta, initial_accumulator_value=0.0,
                                    foreach=False)
    expected = [w.detach().numpy().copy()]
    for k in range(30):
        optimizer.zero_grad()
        xk, yk = (torch.tensor(np.asarray(a[k % 9]), dtype=torch.float64) for a in (x, y))
        torch.mean((xk @ w - yk) ** 2).backward()
        optimizer.step()
        expected.append(w.detach().numpy().copy())
    np.testing.assert_allclose(run.params, expected, rtol=1e-10, atol=1e-13)


def python_adarevision(x, y, workers, num_workers, alpha, beta):
    """The update rule of the module docstring, per coordinate, one event at a time."""
    grad = gradient
    w, z, z1, z2 = (np.zeros(3) for _ in range(4))
    read_w = [w.copy() for _ in range(num_workers)]
    read_z = [z.copy() for _ in range(num_workers)]

    def rate(z2):
        return np.where(beta + np.sqrt(z2) > 0, alpha / np.maximum(beta + np.sqrt(z2), 1e-300),
                        0.0)

    history = [w.copy()]
    for k, r in enumerate(np.asarray(workers).tolist()):
        g = np.asarray(grad(read_w[r], x[k % x.shape[0]], y[k % x.shape[0]]))
        backlog = z - read_z[r]
        eta_old = rate(z2)
        z = z + g
        z1 = z1 + g**2 + 2 * g * backlog
        z2 = np.maximum(z2, z1)
        eta = rate(z2)
        w = w - eta * g + (eta_old - eta) * backlog
        read_w[r], read_z[r] = w.copy(), z.copy()
        history.append(w.copy())
    return np.array(history)


@pytest.mark.parametrize("beta", [0.0, 0.5])
def test_with_delays_it_follows_the_revision_rule(x64, beta):
    x, y = stream()
    schedule = random_speeds(jax.random.key(3), 4, 50, jitter=1.0)
    run = downpour.simulate(delay_tolerant.adarevision(0.4, beta), least_squares, jnp.zeros(3),
                            x, y, schedule, 4)
    expected = python_adarevision(x, y, schedule.workers, 4, 0.4, beta)
    np.testing.assert_allclose(run.params, expected, rtol=1e-10, atol=1e-13)


def test_a_delayed_gradient_counts_as_if_applied_with_its_backlog(x64):
    # z' grows by (backlog + g)² - backlog², and the state says so.
    server = delay_tolerant.adarevision(1.0)
    state = server.init(jnp.zeros(2))
    _, token_0 = server.read(state)
    _, token_1 = server.read(state)
    state = server.push(state, jnp.array([3.0, -1.0]), token_0)
    state = server.push(state, jnp.array([1.0, 1.0]), token_1)  # backlog (3, -1)
    np.testing.assert_allclose(state.z_prime, [9.0 + 16.0 - 9.0, 1.0 + 0.0 - 1.0])
    np.testing.assert_allclose(state.z_max, [16.0, 1.0])  # z'' never decreases
    np.testing.assert_allclose(state.grad_sum, [4.0, 0.0])


def test_coordinates_without_gradients_stay_put_even_with_beta_zero():
    # η_old = α / (0 + √0) would be infinite: such a coordinate's rate counts as 0 instead.
    server = delay_tolerant.adarevision(1.0, 0.0)
    state = server.init(jnp.zeros(3))
    state = server.push(state, jnp.array([0.0, 2.0, 0.0]), server.read(state)[1])
    assert state.params.tolist() == [0.0, -1.0, 0.0]


def test_it_is_robust_to_delays_where_sgd_is_not():
    # 16 round-robin workers: every gradient 15 updates stale. SGD at a rate that is fine
    # without delay blows up; AdaRevision at its own good rate does not.
    x, y = stream(num_batches=40)
    schedules = jnp.stack([round_robin(1, 400).workers, round_robin(16, 400).workers])
    sgd = downpour.sweep(downpour.sgd_server, least_squares, jnp.zeros(3), x, y, schedules, 16,
                         learning_rate=0.3)
    revision = downpour.sweep(delay_tolerant.adarevision, least_squares, jnp.zeros(3), x, y,
                              schedules, 16, learning_rate=1.0)
    final = jax.vmap(jax.vmap(lambda w: jnp.mean(jax.vmap(least_squares, (None, 0, 0))(w, x, y))))
    sgd_loss, revision_loss = final(sgd.params[:, :, -1]), final(revision.params[:, :, -1])
    assert float(sgd_loss[0, 0]) < 0.2 and not float(sgd_loss[1, 0]) < 10.0
    assert float(revision_loss[0, 0]) < 0.2 and float(revision_loss[1, 0]) < 0.2


def test_any_pytree_gives_the_same_updates_as_one_vector():
    x, y = stream()

    def split_loss(p, x, y):
        return least_squares(jnp.concatenate([p["a"], p["b"]]), x, y)

    schedule = random_speeds(jax.random.key(1), 3, 40)
    tree = downpour.simulate(delay_tolerant.adarevision(0.5, 0.1), split_loss,
                             {"a": jnp.zeros(1), "b": jnp.zeros(2)}, x, y, schedule, 3)
    flat = downpour.simulate(delay_tolerant.adarevision(0.5, 0.1), least_squares, jnp.zeros(3),
                             x, y, schedule, 3)
    np.testing.assert_allclose(jnp.concatenate([tree.params["a"], tree.params["b"]], axis=1),
                               flat.params, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"learning_rate": -0.1}, "learning_rate must be a finite number >= 0, got -0.1"),
    ({"beta": float("nan")}, "beta must be a finite number >= 0, got nan"),
])
def test_bad_hyperparameters_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        delay_tolerant.adarevision(**kwargs)
