"""Tuning picks the best rate of a grid on one seed; the report uses other seeds."""

import jax
import numpy as np
import pytest

import gdlib
from gdlib.problems import data, models
from gdlib.train import training, tuning


def loss(params, x, y):
    return models.mean_squared_error(models.linear(params, x), y)


def init(key):
    return models.init_linear(key, 10)


def test_tune_picks_the_lowest_final_validation_loss_and_marks_divergence():
    d = data.diabetes()
    rates = np.array([1e-4, 1e-3, 1e-2, 10.0])
    best, losses = tuning.tune(gdlib.sgd, loss, init, d, jax.random.key(0), rates, 4, 16)
    assert np.isnan(losses[-1])
    assert best == rates[np.nanargmin(losses)] == 1e-2


def test_compare_reports_seeds_other_than_the_tuning_one():
    d = data.diabetes()
    results = tuning.compare({"sgd": gdlib.sgd, "adam": gdlib.adam}, loss, init, d,
                             learning_rates=np.array([1e-3, 1e-2, 1e-1]), num_epochs=3,
                             batch_size=16, num_seeds=2, key=jax.random.key(7))
    assert [r.name for r in results] == ["sgd", "adam"]
    sgd = results[0]
    assert sgd.val_curves.shape == (2, 4) and sgd.train_curves.shape == (2, 4)
    # the reported curves are seeds 1 and 2 of the root key, trained at the tuned rate
    keys = jax.random.split(jax.random.key(7), 3)
    key_init, key_order = jax.random.split(keys[1])
    again = training.train(gdlib.sgd(sgd.learning_rate), loss, init(key_init), d,
                           orders=training.shuffled_orders(key_order, 3, d.x_train.shape[0]),
                           batch_size=16)
    np.testing.assert_allclose(sgd.val_curves[0], again.val_losses, rtol=1e-5)
    assert not np.allclose(sgd.val_curves[0], sgd.val_curves[1])


def test_table_is_sorted_best_first():
    def result(name, final):
        curves = np.array([[1.0, final], [1.0, final]])
        return tuning.Result(name, np.array([0.1]), np.array([final]), 0.1, curves, curves)

    text = tuning.table([result("worse", 0.5), result("better", 0.2)])
    assert text.index("better") < text.index("worse")


def test_a_grid_that_always_diverges_is_an_error():
    with pytest.raises(ValueError, match="every learning rate of the grid diverged"):
        tuning.tune(gdlib.sgd, loss, init, data.diabetes(), jax.random.key(0),
                    np.array([50.0, 100.0]), 3, 16)


def test_best_rate_skips_diverged_runs_and_says_when_all_diverged():
    from gdlib.train.tuning import best_rate

    assert best_rate([0.01, 0.1, 1.0], [0.5, 0.2, 0.1], [-1, -1, 4]) == 0.1  # 1.0 diverged
    assert best_rate(np.array([0.01, 0.1]), np.array([np.nan, 0.3]), np.array([2, -1])) == 0.1
    with pytest.raises(ValueError, match="every learning rate of the grid diverged"):
        best_rate([0.1, 1.0], [np.nan, np.inf], [1, 0])


def test_held_out_splits_the_validation_part_in_two():
    d = data.diabetes()
    tuning_data, (x_test, y_test) = tuning.held_out(d)
    assert len(tuning_data.x_val) + len(x_test) == len(d.x_val)
    np.testing.assert_array_equal(np.concatenate([tuning_data.x_val, x_test]), d.x_val)
    assert tuning_data.x_train is d.x_train


def test_curves_choose_on_validation_and_report_on_test():
    tuning_data, test = tuning.held_out(data.diabetes())
    rates = np.array([1e-3, 1e-2, 3e-2, 10.0])
    [sgd] = tuning.curves({"sgd": gdlib.sgd}, loss, init, tuning_data, test,
                          learning_rates={"sgd": rates}, num_epochs=3, batch_size=16,
                          num_seeds=3, key=jax.random.key(3))
    assert sgd.val.shape == sgd.test.shape == (3, 4)
    assert np.all(np.isnan(sgd.val[:, -1])) and np.all(np.isnan(sgd.test[:, -1]))
    assert sgd.index == int(np.nanargmin(sgd.val.mean(axis=0)))
    assert sgd.inside == (0 < sgd.index < 3)
    # seed 1 at the chosen rate, trained alone, gives the same test loss
    key_init, key_order = jax.random.split(jax.random.split(jax.random.key(3), 3)[1])
    alone = training.train(gdlib.sgd(sgd.learning_rate), loss, init(key_init), tuning_data,
                           orders=training.shuffled_orders(key_order, 3, len(d_x(tuning_data))),
                           batch_size=16)
    assert float(loss(alone.params, *test)) == pytest.approx(sgd.test[1, sgd.index], rel=1e-4)
    mean, std = sgd.report()
    assert mean == pytest.approx(np.mean(sgd.test[:, sgd.index])) and std >= 0
    assert "± " in tuning.curve_table([sgd])


def d_x(d):
    return d.x_train


def test_variant_curves_are_the_curves_of_each_variant_in_one_call():
    from functools import partial

    tuning_data, test = tuning.held_out(data.diabetes())
    rates = np.array([1e-3, 1e-2, 3e-2])
    variants = {"γ = 0.9": {"momentum": 0.9}, "γ = 0.5": {"momentum": 0.5}}
    together = tuning.variant_curves(gdlib.momentum, variants, loss, init, tuning_data, test,
                                     learning_rates=rates, num_epochs=3, batch_size=16,
                                     num_seeds=2, key=jax.random.key(4))
    apart = tuning.curves({name: partial(gdlib.momentum, **kw) for name, kw in variants.items()},
                          loss, init, tuning_data, test, learning_rates=rates, num_epochs=3,
                          batch_size=16, num_seeds=2, key=jax.random.key(4))
    assert [c.name for c in together] == list(variants)
    for a, b in zip(together, apart, strict=True):
        np.testing.assert_allclose(a.val, b.val, rtol=1e-4)
        np.testing.assert_allclose(a.test, b.test, rtol=1e-4)
        assert a.learning_rate == b.learning_rate
    assert not np.allclose(together[0].val, together[1].val)


def test_variant_curves_need_variants_that_set_the_same_hyperparameters():
    tuning_data, test = tuning.held_out(data.diabetes())
    kwargs = dict(learning_rates=np.array([1e-3, 1e-2]), num_epochs=1, batch_size=16)
    with pytest.raises(ValueError, match="the same hyperparameters"):
        tuning.variant_curves(gdlib.momentum, {"a": {"momentum": 0.9}, "b": {}}, loss, init,
                              tuning_data, test, **kwargs)
    with pytest.raises(ValueError, match="learning rate"):
        tuning.variant_curves(gdlib.momentum, {"a": {"learning_rate": 0.1}}, loss, init,
                              tuning_data, test, **kwargs)
    with pytest.raises(ValueError, match="momentum must be"):
        tuning.variant_curves(gdlib.momentum, {"a": {"momentum": 1.5}}, loss, init,
                              tuning_data, test, **kwargs)


def test_the_switch_effects_plot_draws_each_seed_and_the_mean_change_from_both_ends():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rates = np.array([0.1, 1.0, 10.0])

    def curve(name, test_loss):  # chosen at the middle rate, on validation
        val = np.array([[2.0, 1.0, 2.0]] * 2)
        return tuning.Curve(name, rates, val, np.column_stack([[9.0, 9.0], test_loss, [9.0, 9.0]]))

    results = [curve("A", [1.0, 2.0]), curve("A, no x", [1.5, 2.0]),
               curve("B", [1.0, 1.0]), curve("B, with x", [0.8, 1.0])]
    fig, ax = plt.subplots()
    tuning.plot_switch_effects(ax, results, {"x": ("A, no x", "B, with x")}, ends=("A", "B"))
    means = {line.get_label(): (line.get_xdata()[0], line.get_ydata()[0])
             for line in ax.get_lines() if line.get_label().startswith("mean")}
    assert means["mean, from A's end"] == pytest.approx((25.0, -0.15))  # +50 % and 0 %
    assert means["mean, from B's end"] == pytest.approx((12.5, 0.15))  # +25 % and 0 %
    seeds = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert [list(line.get_xdata()) for line in seeds] == [pytest.approx([50.0, 0.0]),
                                                          pytest.approx([25.0, 0.0])]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x"]
    plt.close(fig)
