"""Timing and memory measurements, and the trade-off table derived from them."""

import jax
import numpy as np
import pytest

import gdlib
from gdlib.problems import data, models
from gdlib.teach import measure


def loss(params, x, y):
    return models.softmax_cross_entropy(models.linear(params, x), y)


@pytest.fixture(scope="module")
def digits():
    return data.digits()


def test_time_epoch_counts_updates_and_divides_consistently(digits):
    params = models.init_linear(jax.random.key(0), 64, 10)
    timing = measure.time_epoch(gdlib.sgd(0.1), loss, params, digits, 50, repeats=2)
    assert timing.updates_per_epoch == 1438 // 50 and timing.batch_size == 50
    assert 0 < timing.seconds_per_epoch < 10
    assert timing.seconds_per_update == pytest.approx(timing.seconds_per_epoch / 28)
    assert timing.seconds_per_example == pytest.approx(timing.seconds_per_epoch / (28 * 50))


def test_update_memory_counts_every_array(digits):
    params = models.init_linear(jax.random.key(0), 64, 10)
    sgd = measure.update_memory(gdlib.sgd(0.1), params, digits, 1438)
    assert sgd == measure.UpdateMemory(batch=1438 * (64 * 4 + 4), params=2600, grads=2600,
                                       state=4)
    adam = measure.update_memory(gdlib.adam(0.1), params, digits, 1)
    assert adam.state == 4 + 2 * 2600  # the step count and two moments
    assert adam.total == 260 + 2600 + 2600 + 5204
    with pytest.raises(ValueError, match=r"batch_size must be in \[1, 1438\]"):
        measure.update_memory(gdlib.sgd(0.1), params, digits, 2000)


def test_compiled_memory_grows_with_the_batch_and_holds_the_arrays(digits):
    params = models.init_linear(jax.random.key(0), 64, 10)
    small = measure.compiled_update_memory(gdlib.sgd(0.1), loss, params, digits, 1)
    large = measure.compiled_update_memory(gdlib.sgd(0.1), loss, params, digits, 1438)
    if small is None:  # pragma: no cover - a backend without memory analysis
        pytest.skip("no memory analysis on this backend")
    counted = measure.update_memory(gdlib.sgd(0.1), params, digits, 1438)
    assert large > 10 * small
    assert large >= counted.batch + counted.params


def test_grade_intervals_and_checks():
    rule = ((2.0, 10.0), ("Low", "Medium", "High"))
    assert [measure.grade(r, *rule) for r in (1.0, 1.99, 2.0, 9.9, 10.0, 1e6)] == [
        "Low", "Low", "Medium", "Medium", "High", "High"]
    with pytest.raises(ValueError, match="one more than thresholds"):
        measure.grade(1.0, (1.0,), ("a",))
    with pytest.raises(ValueError, match="thresholds must increase"):
        measure.grade(1.0, (2.0, 1.0), ("a", "b", "c"))


def test_shrink_compares_the_end_with_the_middle():
    assert measure.shrink([4.0, 2.0, 1.0, 0.5, 0.25]) == pytest.approx(0.25)
    assert measure.shrink([4.0, 2.0, 1.0, 1.1]) == pytest.approx(1.1)


def test_tradeoff_rows_rebuild_the_slides_table_from_numbers():
    converging = np.geomspace(1.0, 1e-4, 31)
    stalling = np.concatenate([np.geomspace(1.0, 1e-3, 6), np.full(25, 1e-3)])
    variants = [
        measure.Variant("Batch", 1000, 1000, converging, None, 2e-4, 400_000),
        measure.Variant("SGD", 1, 1000, stalling, converging, 1e-6, 5_000),
        measure.Variant("Mini-batch", 50, 1000, converging, None, 6e-6, 18_000),
    ]
    rows = measure.tradeoff_rows(variants)
    assert rows == [
        ("Batch", "Good", "Slow", "High", "No"),
        ("SGD", "Good (with annealing)", "High", "Low", "Yes"),
        ("Mini-batch", "Good", "Medium", "Medium", "Yes"),
    ]
    assert measure.tradeoff_rows([variants[1]._replace(annealed_gaps=stalling)])[0][1] == "Poor"
    assert measure.tradeoff_rows([variants[1]._replace(annealed_gaps=None)])[0][1] == "Poor"
    with pytest.raises(ValueError, match="max_shrink"):
        measure.tradeoff_rows(variants, max_shrink=-1.0)


def test_format_table_aligns_columns():
    text = measure.format_table(("Method", "Memory"), [("SGD", "Low"), ("Batch GD", "High")])
    lines = text.splitlines()
    assert lines[0] == "Method   | Memory"
    assert lines[1] == "-------- | ------"
    assert lines[3] == "Batch GD | High"
    assert len({line.index("|") for line in lines}) == 1
    assert np.all([line == line.rstrip() for line in lines])
