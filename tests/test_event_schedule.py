"""Seeded event schedules: who finishes when, and how stale each gradient is."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gdlib.parallel.event_schedule import Schedule, random_speeds, round_robin, staleness


def staleness_by_hand(workers, num_workers):
    last = [-1] * num_workers
    out = []
    for k, w in enumerate(np.asarray(workers).tolist()):
        out.append(k - last[w] - 1)
        last[w] = k
    return out


def test_round_robin_takes_turns_one_time_unit_per_step():
    schedule = round_robin(4, 10)
    assert isinstance(schedule, Schedule)
    assert schedule.workers.tolist() == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]
    assert schedule.times.tolist() == [1, 1, 1, 1, 2, 2, 2, 2, 3, 3]


@pytest.mark.parametrize("num_workers", [1, 2, 5])
def test_round_robin_gradients_are_exactly_p_minus_1_stale(num_workers):
    stale = staleness(round_robin(num_workers, 50).workers, num_workers)
    assert stale[num_workers:].tolist() == [num_workers - 1] * (50 - num_workers)
    assert stale[:num_workers].tolist() == list(range(num_workers))


def test_staleness_matches_a_python_count_on_a_random_race():
    schedule = random_speeds(jax.random.key(3), 5, 300, jitter=1.0, num_stragglers=2)
    assert staleness(schedule.workers, 5).tolist() == staleness_by_hand(schedule.workers, 5)


def test_random_speeds_is_reproducible_sorted_and_key_dependent():
    a = random_speeds(jax.random.key(0), 6, 500)
    b = random_speeds(jax.random.key(0), 6, 500)
    c = random_speeds(jax.random.key(1), 6, 500)
    assert a.workers.tolist() == b.workers.tolist() and a.times.tolist() == b.times.tolist()
    assert a.workers.tolist() != c.workers.tolist()
    assert bool(jnp.all(jnp.diff(a.times) >= 0))
    assert a.workers.dtype == jnp.int32 and a.workers.shape == (500,)


def test_every_worker_steps_at_the_rate_its_durations_say():
    # Durations exp(σz) with σ = 0.5 have mean exp(σ²/2); by time T a worker has done ≈ T / mean.
    schedule = random_speeds(jax.random.key(0), 4, 4000, jitter=0.5)
    counts = np.bincount(np.asarray(schedule.workers), minlength=4)
    expected = float(schedule.times[-1]) / np.exp(0.5**2 / 2)
    np.testing.assert_allclose(counts, expected, rtol=0.05)


def test_stragglers_finish_proportionally_fewer_steps():
    schedule = random_speeds(jax.random.key(0), 4, 4000, jitter=0.3, num_stragglers=1,
                             straggler_slowdown=4.0)
    counts = np.bincount(np.asarray(schedule.workers), minlength=4)
    assert counts[0] / counts[1:].mean() == pytest.approx(0.25, rel=0.1)


def test_no_jitter_is_the_round_robin():
    assert (random_speeds(jax.random.key(5), 3, 30, jitter=0.0).workers.tolist()
            == round_robin(3, 30).workers.tolist())


def test_a_worker_never_finishes_two_steps_out_of_order():
    schedule = random_speeds(jax.random.key(2), 3, 600, jitter=2.0)
    for worker in range(3):
        times = np.asarray(schedule.times)[np.asarray(schedule.workers) == worker]
        assert np.all(np.diff(times) > 0)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: round_robin(0, 5), "num_workers must be a whole number >= 1, got 0"),
    (lambda: round_robin(2, 2.5), "num_events must be a whole number >= 1, got 2.5"),
    (lambda: random_speeds(jax.random.key(0), 2, 5, jitter=-1.0), "jitter must be"),
    (lambda: random_speeds(jax.random.key(0), 2, 5, num_stragglers=3), "num_stragglers"),
    (lambda: random_speeds(jax.random.key(0), 2, 5, straggler_slowdown=0.0),
     "straggler_slowdown"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message.replace("(", r"\(")):
        call()


def test_with_server_and_no_cost_is_the_random_race():
    from gdlib.parallel.event_schedule import with_server
    free = with_server(jax.random.key(5), 6, 400)
    race = random_speeds(jax.random.key(5), 6, 400)
    assert free.workers.tolist() == race.workers.tolist()
    np.testing.assert_allclose(free.times, race.times, rtol=1e-6)


def test_with_server_serves_one_push_at_a_time_and_caps_the_update_rate():
    from gdlib.parallel.event_schedule import with_server
    busy = with_server(jax.random.key(1), 50, 1000, server_time=0.2, latency=0.1)
    gaps = np.diff(np.asarray(busy.times, dtype=float))
    assert gaps.min() >= 0.2 - 1e-5  # the server is busy 0.2 per update
    assert 1000 / float(busy.times[-1]) <= 5.0 + 1e-3
    lone = with_server(jax.random.key(1), 1, 100, server_time=0.2, latency=0.1)
    plain = random_speeds(jax.random.key(1), 1, 100)
    # one replica: every step costs its compute time plus 2 latencies plus the server's time
    np.testing.assert_allclose(np.diff(lone.times), np.diff(plain.times) + 0.4, atol=1e-4)
    assert staleness(busy.workers, 50).tolist() == staleness_by_hand(busy.workers, 50)


def test_with_server_names_bad_arguments():
    from gdlib.parallel.event_schedule import with_server
    with pytest.raises(ValueError, match="server_time"):
        with_server(jax.random.key(0), 2, 10, server_time=-1.0)
