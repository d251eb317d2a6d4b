"""Early stopping is Algorithm 7.1 exactly: strict improvement, reset, p in a row, best θ back."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gdlib
from gdlib.problems import data, models
from gdlib.train import early_stopping, training


def algorithm_7_1(values, patience, min_delta=0.0):
    """Goodfellow et al.'s loop, literally, over a recorded curve: (i*, stop or -1, v)."""
    i, j, v, i_best = 0, 0, math.inf, 0
    for value in values:
        i += 1
        if value < v - min_delta:
            j, i_best, v = 0, i, value
        else:
            j += 1
        if j >= patience:
            return i_best, i, v
    return i_best, -1, v


def test_observe_counts_as_the_algorithm():
    monitor = early_stopping.start()
    seen = []
    for value in [2.0, 1.0, 1.0, 1.5, 0.5, float("nan"), 0.5]:
        monitor, improved = early_stopping.observe(monitor, value)
        seen.append((bool(improved), int(monitor.wait), int(monitor.best_step)))
    # a tie (1.0 after 1.0, 0.5 after 0.5) is no improvement; NaN never improves
    assert seen == [(True, 0, 1), (True, 0, 2), (False, 1, 2), (False, 2, 2), (True, 0, 5),
                    (False, 1, 5), (False, 2, 5)]
    assert float(monitor.best_value) == 0.5 and int(monitor.step) == 7


def test_stops_after_exactly_p_non_improvements():
    curve = jnp.array([3.0, 2.0, 2.5, 2.0, 2.2, 1.0, 1.1])
    for patience, expected in [(1, (2, 3)), (2, (2, 4)), (3, (2, 5)), (4, (6, -1))]:
        stop = early_stopping.stopping_point(curve, patience)
        assert (int(stop.best_epoch), int(stop.stopped_at)) == expected, patience
    # min_delta: 2.0 -> 1.95 is not enough of a gain with delta 0.1
    stop = early_stopping.stopping_point(jnp.array([2.0, 1.95, 1.92, 1.5]), 2, min_delta=0.1)
    assert (int(stop.best_epoch), int(stop.stopped_at)) == (1, 3)


def test_equals_the_literal_algorithm_on_random_curves():
    rng = np.random.default_rng(0)
    for _ in range(40):
        # coarse values make ties frequent; a downward trend plus noise makes restarts frequent
        curve = np.round(np.linspace(3, 1, 30) + rng.normal(0, 0.4, 30) + 0.05 * np.arange(30),
                         1).astype(np.float32)
        patience = np.arange(1, 8)
        stops = early_stopping.stopping_point(jnp.asarray(curve), jnp.asarray(patience))
        for k, p in enumerate(patience):
            best, stopped, value = algorithm_7_1(curve.tolist(), int(p))
            assert (int(stops.best_epoch[k]), int(stops.stopped_at[k])) == (best, stopped)
            assert float(stops.best_value[k]) == value


def loss(params, x, y):
    return models.mean_squared_error(models.mlp(params, x, jax.nn.relu)[:, 0], y)


SGD = gdlib.sgd(0.02)  # one optimizer object: runs with the same shapes share a compilation


@pytest.fixture(scope="module")
def overfitting():
    """An MLP that overfits the diabetes data: the validation loss has a minimum, then rises."""
    d = data.diabetes()
    params = models.init_mlp(jax.random.key(0), [10, 64, 64, 1])
    orders = training.shuffled_orders(jax.random.key(1), 60, d.x_train.shape[0])
    full = training.train(SGD, loss, params, d, orders=orders, batch_size=16)
    return d, params, orders, full


def test_train_stops_where_the_replay_does_and_returns_the_best_parameters(overfitting):
    d, params, orders, full = overfitting
    patience = 4
    result = early_stopping.train(SGD, loss, params, d, patience=patience, batch_size=16,
                                  orders=orders)
    replay = early_stopping.stopping_point(full.val_losses[1:], patience)
    best, stopped = int(result.best_epoch), int(result.stopped_at)
    assert (best, stopped) == (int(replay.best_epoch), int(replay.stopped_at))
    assert 1 <= best < stopped == best + patience < 60, "the test needs a stop before the end"
    # the curves agree with the full run up to the stop, and were not computed after it
    np.testing.assert_allclose(result.val_errors[:stopped + 1], full.val_losses[:stopped + 1],
                               rtol=1e-5)
    assert np.all(np.isnan(result.val_errors[stopped + 1:]))
    assert np.all(np.isnan(result.train_losses[stopped + 1:]))
    # θ*: the parameters after `best` epochs, not the last ones
    at_best = training.train(SGD, loss, params, d, orders=orders[:best], batch_size=16).params
    at_stop = training.train(SGD, loss, params, d, orders=orders[:stopped], batch_size=16).params
    close = lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)  # noqa: E731
    jax.tree.map(close, result.params, at_best)
    jax.tree.map(close, result.last_params, at_stop)
    assert float(loss(result.params, d.x_val, d.y_val)) == pytest.approx(
        float(replay.best_value), rel=1e-5)


def test_without_improvement_the_initial_parameters_come_back():
    d = data.diabetes()
    params = models.init_mlp(jax.random.key(0), [10, 8, 1])
    result = early_stopping.train(gdlib.sgd(1e38), loss, params, d, jax.random.key(0),
                                  patience=3, max_epochs=50)
    assert int(result.best_epoch) == 0 and int(result.stopped_at) == 3
    jax.tree.map(np.testing.assert_array_equal, result.params, params)


def test_patience_larger_than_the_budget_trains_every_epoch_and_metric_is_used():
    d = data.digits()

    def xent(p, x, y):
        return models.softmax_cross_entropy(models.linear(p, x), y)

    def error_rate(p, x, y):
        return 1.0 - models.accuracy(models.linear(p, x), y)

    params = models.init_linear(jax.random.key(0), 64, 10)
    result = early_stopping.train(gdlib.sgd(0.1), xent, params, d, jax.random.key(1),
                                  patience=100, max_epochs=3, batch_size=64, metric=error_rate)
    assert int(result.stopped_at) == 3
    assert float(result.val_errors[0]) == pytest.approx(float(error_rate(params, d.x_val,
                                                                         d.y_val)))
    assert 0.0 <= float(jnp.nanmin(result.val_errors)) < 0.2


def test_bad_arguments_are_named():
    d = data.diabetes()
    params = models.init_linear(jax.random.key(0), 10)
    lin = lambda p, x, y: models.mean_squared_error(models.linear(p, x), y)  # noqa: E731
    with pytest.raises(ValueError, match="patience must be a whole number >= 1, got 0"):
        early_stopping.train(gdlib.sgd(0.1), lin, params, d, jax.random.key(0), patience=0)
    with pytest.raises(ValueError, match="min_delta"):
        early_stopping.stopping_point(jnp.ones(3), 2, min_delta=-1.0)
    with pytest.raises(ValueError, match="patience must be in"):
        early_stopping.stopping_point(jnp.ones(3), jnp.array([2, 0]))


def test_a_tie_is_a_tie_in_float64(x64):
    """0.1 is not a float32: comparing a float64 error with a float32 best would see a gain."""
    d = data.diabetes()
    params = jax.tree.map(lambda a: a.astype(jnp.float64), models.init_linear(jax.random.key(0),
                                                                              10))

    def constant(p, x, y):
        return jnp.asarray(0.1, jnp.float64) + 0.0 * jnp.sum(p["w"])

    lin = lambda p, x, y: models.mean_squared_error(models.linear(p, x), y)  # noqa: E731
    result = early_stopping.train(gdlib.sgd(0.01), lin, params, d, jax.random.key(0),
                                  patience=2, max_epochs=10, metric=constant)
    assert (int(result.best_epoch), int(result.stopped_at)) == (1, 3)
    assert result.val_errors.dtype == jnp.float64


# Found by mutation testing (tests/mutation): the recorded curves have one entry before
# training and one per epoch, NaN after the stop.
def test_the_curves_have_an_entry_per_epoch_and_nan_after_the_stop():
    d = data.subsample(data.diabetes(), 64)
    params = models.init_mlp(jax.random.key(0), [10, 8, 1])
    result = early_stopping.train(gdlib.sgd(1e38), loss, params, d, jax.random.key(0),
                                  patience=2, max_epochs=6, batch_size=32)
    assert result.train_losses.shape == result.val_errors.shape == (7,)
    stopped = int(result.stopped_at)
    assert stopped == 2
    assert np.isnan(np.asarray(result.val_errors[stopped + 1:])).all()
    assert float(result.train_losses[0]) == pytest.approx(float(loss(params, d.x_train,
                                                                     d.y_train)), rel=1e-6)
    assert float(result.val_errors[0]) == pytest.approx(float(loss(params, d.x_val, d.y_val)),
                                                        rel=1e-6)


def test_the_defaults_are_the_documented_ones():
    import inspect

    # patience 5, 100 epochs at most, batches of 32, strict improvement (min_delta 0)
    defaults = {k: p.default for k, p in inspect.signature(early_stopping.train).parameters.items()
                if p.default is not p.empty}
    assert defaults == {"key": None, "patience": 5, "max_epochs": 100, "batch_size": 32,
                        "metric": None, "min_delta": 0.0, "orders": None}
    assert inspect.signature(early_stopping.stopping_point).parameters["min_delta"].default == 0.0


def test_replaying_the_rule_compiles_once_per_curve_length():
    from gdlib.train.early_stopping import _stopping_point, stopping_point

    curve = jnp.array([1.0, 0.8, 0.9, 0.95, 0.7, 0.75, 0.8, 0.85])
    stopping_point(curve, 2)
    compiled = _stopping_point._cache_size()
    stopping_point(curve + 1.0, 3)
    assert _stopping_point._cache_size() == compiled
