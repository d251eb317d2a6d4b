"""Training curves: the live explorer and the explorable figure, clear titles, no traceback."""

import re

import matplotlib

matplotlib.use("Agg")
import jax  # noqa: E402
import pytest  # noqa: E402

import gdlib  # noqa: E402
from gdlib.problems import data, models
from gdlib.train import training
from gdlib.viz import curves  # noqa: E402


def loss(params, x, y):
    return models.mean_squared_error(models.linear(params, x), y)


PARAMS = models.init_linear(jax.random.key(0), 10)


RATES = [0.001, 0.01, 10.0]  # too small, about right, diverged (3 epochs of batches of 16)


def sweep():
    return training.train_sweep(gdlib.sgd, loss, PARAMS, data.diabetes(), jax.random.key(1), 3,
                                16, learning_rate=RATES)


def test_describe_single_and_swept_runs():
    runs = sweep()
    one = jax.tree.map(lambda field: field[1], runs)
    assert re.fullmatch(r"training loss \d\.\d+ after 3 epochs", curves.describe(one))
    assert curves.describe(runs, 1) == curves.describe(one)
    assert curves.describe(runs, 2) == "diverged in epoch 1"


def test_regimes_name_the_three_cases():
    assert curves.learning_rate_regimes(RATES, sweep(), optimum=0.4878) == [
        "too small", "about right", "diverged"]


@pytest.mark.parametrize("learning_rate", [1e-3, 0.03, 3.0])
def test_live_explorer_draws_at_every_extreme_without_error(learning_rate, shown_titles):
    titles = shown_titles
    ui = curves.live_explorer(gdlib.sgd, loss, PARAMS, data.diabetes(), jax.random.key(1), 3,
                              16, optimum=0.48, learning_rate=(1e-3, 3.0, 0.01), num_points=3)
    ui.children[0].value = learning_rate
    assert titles and titles[-1].startswith(f"η = {learning_rate:.3g}: ")
    if learning_rate == 3.0:
        assert "diverged in epoch" in titles[-1]


def test_update_losses_and_epoch_gaps_put_points_where_they_belong():
    import matplotlib.pyplot as plt

    runs = sweep()
    one = jax.tree.map(lambda field: field[1], runs)
    fig, ax = plt.subplots()
    line = curves.update_losses(ax, one)
    per_epoch = one.update_losses.shape[1]
    assert line.get_xdata()[per_epoch] == 1.0  # the first update of epoch 2 at x = 1
    assert line.get_ydata()[0] == float(one.update_losses[0, 0])
    gaps = curves.epoch_gaps(ax, one, optimum=0.4)
    assert list(gaps.get_xdata()) == [0, 1, 2, 3]
    assert abs(gaps.get_ydata()[-1] - (float(one.train_losses[-1]) - 0.4)) < 1e-6
    plt.close(fig)


def test_explorable_has_one_slider_and_says_how_each_run_ended():
    import json as json_module
    import re as re_module

    from gdlib.viz import web

    html = curves.explorable(gdlib.sgd, loss, PARAMS, data.diabetes(), jax.random.key(1), 3, 16,
                             learning_rate=RATES).data
    text = json_module.dumps(web.item_of(html))
    assert len(re_module.findall(r'"name": "Slider"', text)) == 1
    assert "diverged in epoch" in text and "training loss" in text  # the caption's two endings
    with pytest.raises(ValueError, match="give one hyperparameter as lists"):
        curves.explorable(gdlib.momentum, loss, PARAMS, data.diabetes(), jax.random.key(1), 2,
                          16, learning_rate=[0.01, 0.1], momentum=[0.0, 0.9])


def test_explorable_wants_exactly_one_list():
    with pytest.raises(ValueError, match="give one hyperparameter as lists of values"):
        curves.explorable(gdlib.momentum, loss, PARAMS, data.diabetes(), jax.random.key(1), 2, 16,
                          learning_rate=[0.1, 0.2], momentum=[0.0, 0.9])
