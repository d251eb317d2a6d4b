"""Learning rates tuned per configuration of an asynchronous run: chosen and reported apart."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gdlib.parallel import async_tuning, downpour
from gdlib.parallel.event_schedule import round_robin


def least_squares(w, x, y):
    return jnp.mean((x @ w - y) ** 2)


def data(num_examples=12, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(num_examples, 3)).astype(np.float32)
    return x, x @ np.array([1.0, -2.0, 0.5], dtype=np.float32)


def downpour_sgd(x, y, rows, num_workers, rate):
    """Round-robin Downpour SGD in NumPy: each worker's gradient is at the parameters it read."""
    w = np.zeros(3)
    read = [w.copy() for _ in range(num_workers)]  # all read the start
    for t, batch in enumerate(rows):
        k = t % num_workers
        xb, yb = x[batch].astype(float), y[batch].astype(float)
        w = w - rate * 2 / len(batch) * xb.T @ (xb @ read[k] - yb)
        read[k] = w.copy()
    final = float(np.mean((x @ w - y) ** 2))
    return final if final < np.finfo(np.float32).max else np.inf  # float32 overflows there


def test_final_losses_are_the_losses_of_each_replay_one_by_one():
    x, y = data()
    rng = np.random.default_rng(1)
    orders = np.stack([rng.integers(0, 12, size=(30, 2)) for _ in range(2)])
    workers = (1, 3)
    schedules = np.stack([round_robin(p, 30).workers for p in workers])
    rates = [0.02, 0.1, 300.0]  # the last overflows
    with np.errstate(over="ignore", invalid="ignore"):
        expected = [[[downpour_sgd(x, y, rows, p, rate) for rate in rates] for p in workers]
                    for rows in orders]
    got = async_tuning.final_losses(downpour.sgd_server, least_squares, jnp.zeros(3), x, y,
                                    orders, schedules, rates)
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    assert np.all(np.isinf(got[:, :, -1])) and np.all(np.isfinite(got[:, :, :-1]))


def test_choose_then_report_chooses_on_the_mean_of_the_choosing_seeds_only():
    calls = []

    def losses_of(seeds, rates):  # config 0 is best at rate 1, config 1 at rate 3
        calls.append((list(seeds), np.asarray(rates).tolist()))
        best = np.array([1.0, 3.0])
        return np.stack([(rates - best[:, None]) ** 2 + 10 * s for s in seeds])

    chosen = async_tuning.choose_then_report(losses_of, np.array([0.0, 1.0, 3.0, 5.0]),
                                             [0, 1], [2, 3, 4])
    assert chosen.choice.tolist() == [1, 2] and chosen.learning_rate.tolist() == [1.0, 3.0]
    np.testing.assert_allclose(chosen.choosing, [[6, 5, 9, 21], [14, 9, 5, 9]])
    np.testing.assert_allclose(chosen.reported, [[20, 20], [30, 30], [40, 40]])
    assert calls == [([0, 1], [0.0, 1.0, 3.0, 5.0]), ([2, 3, 4], [1.0, 3.0])]  # chosen only
    assert chosen.inside


def test_a_diverged_run_is_never_chosen_and_a_rate_at_the_edge_is_reported():
    def losses_of(seeds, rates):  # the smallest rate is best but one seed diverges there
        grid = np.stack([np.array([rates * 0 + r for r in rates]).diagonal()] * len(seeds))
        losses = grid[:, None, :] + 0.0
        if 0.1 in rates:
            losses[0, 0, list(rates).index(0.1)] = np.nan
        return losses

    chosen = async_tuning.choose_then_report(losses_of, np.array([0.1, 0.2, 0.4]), [0, 1], [2])
    assert chosen.choice.tolist() == [1] and chosen.choosing[0, 0] == np.inf
    edge = async_tuning.choose_then_report(lambda s, r: np.stack([r[None, :]] * len(s)),
                                           np.array([0.1, 0.2, 0.4]), [0], [1])
    assert edge.choice.tolist() == [0] and not edge.inside


def test_choose_then_report_names_a_wrong_shape():
    with pytest.raises(ValueError, match="losses_of must return"):
        async_tuning.choose_then_report(lambda s, r: np.zeros((len(s), 2)), [0.1, 1.0], [0], [1])


def test_tuned_sweep_is_the_sweep_then_tune():
    x, y = data()
    rows = np.arange(48).reshape(48, 1) % 12
    races = [[round_robin(p, 48)] * 2 for p in (1, 4)]
    rates = jnp.array([0.02, 0.1, 0.3])
    one = jax.jit(jax.vmap(lambda w: least_squares(w, x, y)))

    def evaluate(params):  # any leading axes
        return one(params.reshape(-1, 3)).reshape(params.shape[:-1])

    choose = np.array([True, False])
    tuned = async_tuning.tuned_sweep(downpour.sgd_server, least_squares, jnp.zeros(3),
                                     (x[rows], y[rows]), races, 4, 8, 1.0,
                                     evaluate, choose, learning_rate=rates)
    workers = jnp.stack([s.workers for row in races for s in row])
    run = downpour.sweep(downpour.sgd_server, least_squares, jnp.zeros(3), x[rows], y[rows],
                         workers, 4, record_every=8, learning_rate=rates)
    expected = async_tuning.tune(run.params, races, 8, 1.0, evaluate, choose)
    for field in ("choice", "choosing_times", "times", "curves", "clock"):
        np.testing.assert_allclose(getattr(tuned, field), getattr(expected, field))
