"""Downpour SGD: the event simulation against a plain Python client/server loop."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gdlib
from gdlib.parallel import downpour
from gdlib.parallel.event_schedule import random_speeds, round_robin, staleness


def least_squares(w, x, y):
    return jnp.mean((x @ w - y) ** 2)


gradient = jax.jit(jax.grad(least_squares))  # for the Python references: compiled once


def stream(num_batches=7, seed=0):
    rng = np.random.default_rng(seed)  # NumPy: no compilation for each new shape
    x = rng.normal(size=(num_batches, 5, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.2 * rng.normal(size=(num_batches, 5))
    return jnp.asarray(x), jnp.asarray(y)


def python_downpour(optimizer, x, y, workers, num_workers, n_fetch, n_push, local_lr, w0):
    """Dean et al.'s client loop, one Python iteration per event; the server is ``optimizer``."""
    grad = gradient
    server, state, version = np.array(w0), optimizer.init(jnp.asarray(w0)), 0
    local = [np.array(w0)] * num_workers
    accrued = [np.zeros_like(w0)] * num_workers
    steps, read_version, history, stale = [0] * num_workers, [0] * num_workers, [server], []
    for k, r in enumerate(np.asarray(workers).tolist()):
        b = k % x.shape[0]
        g = np.asarray(grad(local[r], x[b], y[b]))
        accrued[r] = accrued[r] + g
        local[r] = local[r] - local_lr * g
        steps[r] += 1
        if steps[r] % n_push == 0:
            updates, state = optimizer.update(jnp.asarray(accrued[r]), state,
                                              jnp.asarray(server))
            server = np.asarray(gdlib.apply_updates(jnp.asarray(server), updates))
            stale.append(version - read_version[r])
            version += 1
            accrued[r] = np.zeros_like(w0)
        else:
            stale.append(-1)
        if steps[r] % n_fetch == 0:
            local[r], read_version[r] = server, version
        history.append(server)
    return np.array(history), np.array(stale)


def test_one_replica_fetching_and_pushing_every_step_is_the_server_optimizer(x64):
    x, y = stream()
    run = downpour.simulate(downpour.adagrad_server(0.3), least_squares, jnp.zeros(3), x, y,
                            round_robin(1, 40), 1)
    w, state, expected = jnp.zeros(3), gdlib.adagrad(0.3, eps=0.0), [np.zeros(3)]
    opt_state = state.init(w)
    for k in range(40):
        updates, opt_state = state.update(gradient(w, x[k % 7], y[k % 7]),
                                          opt_state, w)
        w = gdlib.apply_updates(w, updates)
        expected.append(np.asarray(w))
    np.testing.assert_allclose(run.params, expected, rtol=1e-12)
    assert run.staleness.tolist() == [0] * 40


@pytest.mark.parametrize(("n_fetch", "n_push", "local_lr"), [(1, 1, 0.0), (3, 2, 0.05),
                                                              (2, 5, 0.1)])
def test_the_simulation_is_the_client_loop_of_algorithm_7_1(x64, n_fetch, n_push, local_lr):
    x, y = stream()
    schedule = random_speeds(jax.random.key(4), 3, 60, jitter=1.0)
    run = downpour.simulate(downpour.sgd_server(0.05), least_squares, jnp.zeros(3), x, y,
                            schedule, 3, n_fetch, n_push, local_lr)
    history, stale = python_downpour(gdlib.sgd(0.05), x, y, schedule.workers, 3, n_fetch,
                                     n_push, local_lr, np.zeros(3))
    np.testing.assert_allclose(run.params, history, rtol=1e-12, atol=1e-14)
    assert run.staleness.tolist() == stale.tolist()


def test_round_robin_replicas_apply_gradients_exactly_p_minus_1_updates_stale(x64):
    # w_{k+1} = w_k - η ∇J(w_{k-(P-1)}) with w_j = w_0 for j < 0: SGD with a delay of P - 1.
    x, y = stream()
    p, eta = 4, 0.05
    run = downpour.simulate(downpour.sgd_server(eta), least_squares, jnp.zeros(3), x, y,
                            round_robin(p, 30), p)
    w = [np.zeros(3)]
    for k in range(30):
        stale = w[max(k - (p - 1), 0)]
        w.append(w[-1] - eta * np.asarray(gradient(stale, x[k % 7], y[k % 7])))
    np.testing.assert_allclose(run.params, w, rtol=1e-12, atol=1e-14)
    assert run.staleness.tolist() == staleness(round_robin(p, 30).workers, p).tolist()


def test_record_every_keeps_every_kth_server_state():
    x, y = stream()
    every = downpour.simulate(downpour.sgd_server(0.05), least_squares, jnp.zeros(3), x, y,
                              round_robin(2, 40), 2)
    sparse = downpour.simulate(downpour.sgd_server(0.05), least_squares, jnp.zeros(3), x, y,
                               round_robin(2, 40), 2, record_every=10)
    assert sparse.params.shape == (5, 3)
    np.testing.assert_allclose(sparse.params, every.params[::10], rtol=1e-6)
    np.testing.assert_array_equal(sparse.losses, every.losses)


def test_sweep_is_every_schedule_crossed_with_every_learning_rate():
    x, y = stream()
    schedules = jnp.stack([round_robin(1, 30).workers, round_robin(5, 30).workers])
    runs = downpour.sweep(downpour.adagrad_server, least_squares, jnp.zeros(3), x, y, schedules,
                          5, learning_rate=[0.1, 0.5, 1.0])
    assert runs.params.shape == (2, 3, 31, 3)
    # One of the six runs, separately (each new server compiles anew).
    one = downpour.simulate(downpour.adagrad_server(1.0), least_squares, jnp.zeros(3), x, y,
                            schedules[1], 5)
    np.testing.assert_allclose(runs.params[1, 2], one.params, rtol=1e-5, atol=1e-7)
    assert not np.allclose(runs.params[1, 0], runs.params[1, 2])  # the rates did differ


def test_parameters_may_be_any_pytree():
    x, y = stream()

    def loss(p, x, y):
        return jnp.mean((x @ p["w"] + p["b"] - y) ** 2)

    params = {"w": jnp.zeros(3), "b": jnp.zeros(())}
    run = downpour.simulate(downpour.adagrad_server(0.5), loss, params, x, y,
                            random_speeds(jax.random.key(0), 4, 400), 4)
    assert run.params["w"].shape == (401, 3) and run.params["b"].shape == (401,)
    assert float(loss(jax.tree.map(lambda p: p[-1], run.params), x[0], y[0])) < 0.3


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n_fetch": 0}, "n_fetch must be a whole number >= 1, got 0"),
    ({"n_push": 1.5}, "n_push must be a whole number >= 1, got 1.5"),
    ({"local_learning_rate": -1.0}, "local_learning_rate must be a finite number >= 0"),
    ({"record_every": 7}, r"record_every must divide the number of events \(20\), got 7"),
])
def test_bad_arguments_are_named(kwargs, message):
    x, y = stream()
    with pytest.raises((ValueError, TypeError), match=message):
        downpour.simulate(downpour.sgd_server(0.1), least_squares, jnp.zeros(3), x, y,
                          round_robin(2, 20), 2, **kwargs)


def test_a_bad_server_learning_rate_is_named_before_anything_runs():
    x, y = stream()
    with pytest.raises(ValueError, match="learning_rate must be a finite number >= 0, got -1"):
        downpour.sweep(downpour.sgd_server, least_squares, jnp.zeros(3), x, y,
                       round_robin(2, 20).workers[None], 2, learning_rate=[0.1, -1.0])


def test_time_to_target_interpolates_log_loss_and_marks_misses():
    from gdlib.parallel.downpour import time_to_target
    times = np.array([0.0, 1.0, 2.0, 3.0])
    curves = np.array([[1.0, 0.1, 0.01, 0.001], [1.0, 2.0, np.nan, np.nan], [0.01, 0.001, 0, 0]])
    got = time_to_target(curves, times, 10 ** -1.5)
    np.testing.assert_allclose(got[0], 1.5)  # halfway between 0.1 and 0.01 in log
    assert got[1] == np.inf and got[2] == 0.0


def test_tune_chooses_on_some_seeds_and_reports_on_the_others():
    from gdlib.parallel.async_tuning import tune
    from gdlib.parallel.event_schedule import round_robin
    # one configuration, four seeds, three rates; the loss curve is the "parameter" itself
    decay = np.array([0.9, 0.5, 0.7])  # rate 1 is fastest
    curves = np.stack([np.stack([d ** np.arange(11) for d in decay])] * 4)
    races = [[round_robin(1, 10)] * 4]
    tuned = tune(jnp.asarray(curves), races, 1, 0.1, lambda p: p,
                 np.array([True, True, False, False]))
    assert tuned.choice.tolist() == [1]
    assert tuned.times.shape == (1, 2) and np.all(np.isfinite(tuned.times))
    np.testing.assert_allclose(tuned.times, np.log(0.1) / np.log(0.5), rtol=1e-5)
    with pytest.raises(ValueError, match="history"):
        tune(jnp.asarray(curves), races, 1, 0.1, lambda p: p, np.array([True]))
