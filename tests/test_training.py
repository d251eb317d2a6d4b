"""The compiled training loop equals the textbook Python loop, and sweeps equal single runs."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gdlib
from gdlib.problems import batches, data, models
from gdlib.train import training


def loss(params, x, y):
    return models.mean_squared_error(models.linear(params, x), y)


def test_train_equals_the_slides_python_loop(x64):
    d = data.diabetes()
    params0 = models.init_linear(jax.random.key(0), 10)
    key = jax.random.key(5)
    history = training.train(gdlib.momentum(0.01, 0.9), loss, params0, d, key, 3, 32)
    orders = training.shuffled_orders(key, 3, d.x_train.shape[0])
    opt, params = gdlib.momentum(0.01, 0.9), params0
    state, update_losses = opt.init(params), []
    for order in orders:
        for rows in batches.batches(order, 32):
            value, grads = jax.value_and_grad(loss)(params, d.x_train[rows], d.y_train[rows])
            updates, state = opt.update(grads, state, params)
            params = gdlib.apply_updates(params, updates)
            update_losses.append(float(value))
    np.testing.assert_allclose(history.update_losses.ravel(), update_losses, rtol=1e-5)
    np.testing.assert_allclose(history.params["w"], params["w"], rtol=1e-5, atol=1e-6)
    assert float(history.train_losses[-1]) == np.float32(loss(params, d.x_train, d.y_train)) \
        or abs(float(history.train_losses[-1]) - float(loss(params, d.x_train, d.y_train))) < 1e-5


def test_batch_size_n_is_batch_gradient_descent():
    d = data.diabetes()
    n = d.x_train.shape[0]
    history = training.train(gdlib.sgd(0.1), loss, models.init_linear(jax.random.key(0), 10),
                             d, jax.random.key(0), 4, n)
    run = gdlib.run(gdlib.sgd(0.1), lambda p: loss(p, d.x_train, d.y_train),
                    models.init_linear(jax.random.key(0), 10), 4)
    np.testing.assert_allclose(history.train_losses, run.losses, rtol=1e-5)


def test_train_sweep_equals_single_runs_and_reports_divergence():
    d = data.diabetes()
    params0 = models.init_linear(jax.random.key(0), 10)
    runs = training.train_sweep(gdlib.sgd, loss, params0, d, jax.random.key(2), 3, 16,
                                learning_rate=[0.01, 10.0])
    single = training.train(gdlib.sgd(0.01), loss, params0, d, jax.random.key(2), 3, 16)
    np.testing.assert_allclose(runs.val_losses[0], single.val_losses, rtol=1e-5)
    assert runs.diverged_at.tolist() == [-1, 1]


def test_given_orders_replace_shuffling():
    d = data.diabetes()
    n = d.x_train.shape[0]
    fixed = jnp.tile(jnp.arange(n), (2, 1))
    a = training.train(gdlib.sgd(0.01), loss, models.init_linear(jax.random.key(0), 10), d,
                       jax.random.key(0), orders=fixed, batch_size=10)
    b = training.train(gdlib.sgd(0.01), loss, models.init_linear(jax.random.key(0), 10), d,
                       jax.random.key(99), orders=fixed, batch_size=10)
    np.testing.assert_array_equal(a.update_losses, b.update_losses)
    assert a.update_losses.shape == (2, n // 10)


def test_per_epoch_schedule_steps_with_the_epoch_not_the_update():
    schedule = gdlib.optim.schedules.step_decay(0.01, drop=0.5, every=10)
    rate = training.per_epoch(schedule, updates_per_epoch=7)
    counts = np.arange(0, 300)
    np.testing.assert_allclose(rate(counts), schedule(counts // 7), rtol=1e-7)
    with pytest.raises(ValueError, match="updates_per_epoch must be a whole number >= 1"):
        training.per_epoch(schedule, 0)


def test_a_per_epoch_schedule_in_training_equals_a_python_loop_of_constant_epochs():
    d = data.diabetes()
    params0 = models.init_linear(jax.random.key(0), 10)
    count = d.x_train.shape[0] // 32
    schedule = gdlib.optim.schedules.step_decay(0.05, drop=0.5, every=1)
    annealed = training.train(gdlib.sgd(training.per_epoch(schedule, count)), loss, params0, d,
                              jax.random.key(4), 3, 32)
    orders = training.shuffled_orders(jax.random.key(4), 3, d.x_train.shape[0])
    params = params0
    for epoch, order in enumerate(orders):
        opt = gdlib.sgd(float(schedule(epoch)))
        params, _, _ = training.run_epoch(opt, loss, params, opt.init(params), d.x_train,
                                          d.y_train, order, 32)
    np.testing.assert_allclose(annealed.params["w"], params["w"], rtol=1e-5, atol=1e-7)


def test_run_epoch_is_one_epoch_of_train():
    d = data.diabetes()
    params0 = models.init_linear(jax.random.key(0), 10)
    history = training.train(gdlib.adam(0.01), loss, params0, d, jax.random.key(6), 1, 16)
    order = training.shuffled_orders(jax.random.key(6), 1, d.x_train.shape[0])[0]
    opt = gdlib.adam(0.01)
    params, state, losses = jax.jit(training.run_epoch, static_argnums=(0, 1, 7))(
        opt, loss, params0, opt.init(params0), d.x_train, d.y_train, order, 16)
    np.testing.assert_allclose(losses, history.update_losses[0], rtol=1e-6)
    np.testing.assert_allclose(params["w"], history.params["w"], rtol=1e-6)
    assert int(state.count) == d.x_train.shape[0] // 16
