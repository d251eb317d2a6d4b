"""Arrival steps as the standings define them, and a race tuned per optimizer."""

import numpy as np
import pytest

import gdlib
from gdlib.problems import surfaces
from gdlib.train import racing
from gdlib.viz import race


def test_arrival_is_the_step_from_which_the_gap_stays_below():
    assert racing.arrival([3.0, 1e-4, 1.0, 1e-4, 1e-5], 0.0) == 3
    assert racing.arrival([1e-4, 1e-5], 0.0) == 0
    assert racing.arrival([1.0, 1e-4, 1.0], 0.0) is None
    assert racing.arrival([1.0, np.nan], 0.0) is None
    assert racing.arrival([-0.2, -0.2499], -0.25, tolerance=1e-3) == 1


def test_arrivals_agree_with_the_standings_table():
    bowl = surfaces.quadratic_bowl(condition_number=10.0)
    runs = race.race(bowl, {"SGD": gdlib.sgd(0.1), "Adam": gdlib.adam(0.1),
                            "slow": gdlib.sgd(1e-4), "too fast": gdlib.sgd(0.3)}, 120)
    steps = racing.arrivals(bowl, runs)
    table = race.standings(bowl, runs).splitlines()[1:]
    for line, (_name, step) in zip(table, steps.items(), strict=True):
        assert line.split()[-1] == (str(step) if step is not None else line.split()[-1])
        if step is None:
            assert "never" in line or "diverged" in line
    assert racing.order(steps)[0] == min((s, n) for n, s in steps.items() if s is not None)[1]


def test_tuned_race_picks_the_first_arrival_and_says_where_it_lies():
    bowl = surfaces.quadratic_bowl(condition_number=10.0)
    rates = [0.01, 0.05, 0.1, 0.18, 0.3]
    tuned = racing.tuned_race(bowl, {"SGD": gdlib.sgd, "Momentum": gdlib.momentum}, rates, 100)
    sgd = tuned["SGD"]
    assert sgd.arrival == min(s for s in sgd.arrivals if s is not None)
    assert sgd.learning_rate == 0.18 and sgd.inside
    assert sgd.arrivals[-1] is None  # 0.3 > 2/10 diverges
    one = race.race(bowl, {"SGD": gdlib.sgd(0.18)}, 100)
    assert racing.arrivals(bowl, one)["SGD"] == sgd.arrival


def test_rotation_changes_nothing_for_sgd_and_something_for_adagrad():
    ravine = surfaces.quadratic_bowl(condition_number=50.0)
    turned = surfaces.rotated(ravine, np.pi / 4)
    racers = {"SGD": gdlib.sgd(0.02), "Adagrad": gdlib.adagrad(0.5)}
    plain = racing.arrivals(ravine, race.race(ravine, racers, 150))
    rotated = racing.arrivals(turned, race.race(turned, racers, 150))
    assert plain["SGD"] == rotated["SGD"]
    assert rotated["Adagrad"] is None or rotated["Adagrad"] > 2 * plain["Adagrad"]


def test_bad_tolerance():
    with pytest.raises(ValueError, match="tolerance"):
        racing.arrivals(surfaces.saddle(), {}, tolerance=0.0)
