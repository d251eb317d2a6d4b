"""Batch normalization against torch (forward, running statistics, gradients, a whole MLP), and
its training loop against the textbook Python loop."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import gdlib
from gdlib.problems import data, models
from gdlib.train import batchnorm


def torch_batch_norm(x, gamma, beta, mean, var, training, momentum, eps, count=0):
    """Run F.batch_norm on copies; return output and the (updated) running mean and var."""
    mean, var = torch.tensor(np.array(mean)), torch.tensor(np.array(var))
    if momentum is None:  # what torch.nn.BatchNorm1d(momentum=None) passes: 1 / batches seen
        momentum = 1.0 / (count + 1)
    y = F.batch_norm(torch.tensor(np.array(x)), mean, var, torch.tensor(np.array(gamma)),
                     torch.tensor(np.array(beta)), training=training, momentum=momentum, eps=eps)
    return y.numpy(), mean.numpy(), var.numpy()


@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
def test_training_mode_and_running_statistics_equal_torch(momentum, x64):
    rng = np.random.default_rng(0)
    gamma, beta = rng.normal(size=5), rng.normal(size=5)
    stats = batchnorm.init_stats(5)
    torch_mean, torch_var = np.zeros(5), np.ones(5)
    for step in range(4):  # several batches: the running averages accumulate
        x = rng.normal(loc=3.0, scale=2.0, size=(16, 5))
        y, stats = batchnorm.batch_norm(jnp.asarray(x), gamma, beta, stats, True, momentum, 1e-3)
        y_ref, torch_mean, torch_var = torch_batch_norm(x, gamma, beta, torch_mean, torch_var,
                                                        True, momentum, 1e-3, step)
        np.testing.assert_allclose(y, y_ref, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(stats.mean, torch_mean, rtol=1e-10)
        np.testing.assert_allclose(stats.var, torch_var, rtol=1e-10)
        assert int(stats.count) == step + 1
    # in training mode the output is normalized with the *biased* batch variance
    x_hat = (y - beta) / gamma
    np.testing.assert_allclose(x_hat.mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(x_hat.var(axis=0), np.var(x, axis=0) / (np.var(x, axis=0) + 1e-3),
                               rtol=1e-10)


def test_inference_mode_equals_torch_and_leaves_the_statistics_alone(x64):
    rng = np.random.default_rng(1)
    stats = batchnorm.BatchNormStats(jnp.asarray(rng.normal(size=4)),
                                     jnp.asarray(rng.uniform(0.5, 2.0, size=4)), jnp.array(7))
    gamma, beta, x = rng.normal(size=4), rng.normal(size=4), rng.normal(size=(3, 4))
    y, same = batchnorm.batch_norm(jnp.asarray(x), gamma, beta, stats, False)
    y_ref, _, _ = torch_batch_norm(x, gamma, beta, stats.mean, stats.var, False, 0.1, 1e-5)
    np.testing.assert_allclose(y, y_ref, rtol=1e-10, atol=1e-12)
    assert same is stats
    # one example alone gets the same output as inside a batch: no dependence on the others
    alone, _ = batchnorm.batch_norm(jnp.asarray(x[:1]), gamma, beta, stats, False)
    np.testing.assert_allclose(alone[0], y[0], rtol=1e-12)


def test_gradients_equal_torch_autograd(x64):
    rng = np.random.default_rng(2)
    x, gamma, beta = rng.normal(size=(8, 3)), rng.normal(size=3), rng.normal(size=3)
    upstream = rng.normal(size=(8, 3))

    def ours(x, gamma, beta):
        y, _ = batchnorm.batch_norm(x, gamma, beta, batchnorm.init_stats(3), True)
        return jnp.sum(y * upstream)

    grads = jax.grad(ours, argnums=(0, 1, 2))(jnp.asarray(x), jnp.asarray(gamma),
                                              jnp.asarray(beta))
    tx, tg, tb = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    y = F.batch_norm(tx, torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64),
                     tg, tb, training=True)
    (y * torch.tensor(upstream)).sum().backward()
    for g, t in zip(grads, (tx, tg, tb), strict=True):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-9, atol=1e-12)
    # the backward pass of the paper: dx sums to zero over the batch (the mean is removed)
    np.testing.assert_allclose(grads[0].sum(axis=0), 0.0, atol=1e-12)


def test_bn_mlp_equals_a_torch_network_in_both_modes(x64):
    sizes = [6, 5, 4, 3]
    params, stats = batchnorm.init_mlp(jax.random.key(0), sizes)
    params = jax.tree.map(lambda p: jnp.asarray(p, jnp.float64), params)
    params[0]["gamma"] = jnp.linspace(0.5, 1.5, 5)
    params[1]["beta"] = jnp.linspace(-0.2, 0.3, 4)
    params[2]["b"] = jnp.array([0.1, -0.1, 0.2])
    stats = jax.tree.map(lambda s: s.astype(jnp.float64) if s.dtype != jnp.int32 else s, stats)
    layers = []
    for layer in params[:-1]:
        linear = torch.nn.Linear(*layer["w"].shape, bias=False, dtype=torch.float64)
        linear.weight.data = torch.tensor(np.asarray(layer["w"]).T)
        norm = torch.nn.BatchNorm1d(layer["w"].shape[1], momentum=0.2, dtype=torch.float64)
        norm.weight.data = torch.tensor(np.asarray(layer["gamma"]))
        norm.bias.data = torch.tensor(np.asarray(layer["beta"]))
        layers += [linear, norm, torch.nn.Tanh()]
    last = torch.nn.Linear(5 - 1, 3, dtype=torch.float64)
    last.weight.data = torch.tensor(np.asarray(params[-1]["w"]).T)
    last.bias.data = torch.tensor(np.asarray(params[-1]["b"]))
    network = torch.nn.Sequential(*layers, last)
    rng = np.random.default_rng(3)
    for _ in range(2):
        x = rng.normal(size=(10, 6))
        logits, stats = batchnorm.mlp(params, stats, jnp.asarray(x), True, momentum=0.2)
        np.testing.assert_allclose(logits, network.train()(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(stats[1].var, network[4].running_var.numpy(), rtol=1e-10)
    x = rng.normal(size=(4, 6))
    logits, after = batchnorm.mlp(params, stats, jnp.asarray(x), False)
    np.testing.assert_allclose(logits, network.eval()(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    assert after is not None and int(after[0].count) == 2


def test_init_mlp_has_the_plain_mlps_weights():
    params, stats = batchnorm.init_mlp(jax.random.key(3), [8, 7, 6, 2], scale=0.5)
    plain = models.init_mlp(jax.random.key(3), [8, 7, 6, 2], scale=0.5)
    for ours, theirs in zip(params, plain, strict=True):
        np.testing.assert_array_equal(ours["w"], theirs["w"])
    assert [s.mean.shape for s in stats] == [(7,), (6,)]


def bn_loss(params, stats, x, y, training):
    logits, stats = batchnorm.mlp(params, stats, x, training)
    return models.softmax_cross_entropy(logits, y), stats


def test_train_equals_the_python_loop_and_evaluates_in_inference_mode():
    d = data.digits()
    params0, stats0 = batchnorm.init_mlp(jax.random.key(0), [64, 16, 10])
    key = jax.random.key(5)
    opt = gdlib.momentum(0.05, 0.9)
    history = batchnorm.train(opt, bn_loss, params0, stats0, d, key, 2, 128)
    params, stats = params0, stats0
    state, update_losses = opt.init(params), []
    step = jax.jit(jax.value_and_grad(lambda p, s, x, y: bn_loss(p, s, x, y, True), has_aux=True))
    for order in gdlib.train.training.shuffled_orders(key, 2, d.x_train.shape[0]):
        for rows in gdlib.problems.batches.batches(order, 128):
            (value, stats), grads = step(params, stats, d.x_train[rows], d.y_train[rows])
            updates, state = opt.update(grads, state, params)
            params = gdlib.apply_updates(params, updates)
            update_losses.append(float(value))
    np.testing.assert_allclose(history.update_losses.ravel(), update_losses, rtol=1e-4)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5),
                 (history.params, history.stats), (params, stats))
    val = bn_loss(params, stats, d.x_val, d.y_val, False)[0]
    np.testing.assert_allclose(history.val_losses[-1], val, rtol=1e-4)
    assert int(history.stats[0].count) == 2 * (d.x_train.shape[0] // 128)


def test_train_sweep_equals_single_runs_and_reports_divergence():
    d = data.digits()
    params, stats = batchnorm.init_mlp(jax.random.key(0), [64, 16, 10])
    runs = batchnorm.train_sweep(gdlib.sgd, bn_loss, params, stats, d, jax.random.key(2), 1, 128,
                                 learning_rate=[0.1, 1e38])
    single = batchnorm.train(gdlib.sgd(0.1), bn_loss, params, stats, d, jax.random.key(2), 1, 128)
    np.testing.assert_allclose(runs.val_losses[0], single.val_losses, rtol=1e-5)
    assert runs.diverged_at.tolist() == [-1, 1]


def test_bad_arguments_are_named():
    x = jnp.ones((1, 3))
    with pytest.raises(ValueError, match="at least 2 examples, got 1"):
        batchnorm.batch_norm(x, 1.0, 0.0, batchnorm.init_stats(3), True)
    with pytest.raises(ValueError, match="momentum must be in"):
        batchnorm.batch_norm(jnp.ones((2, 3)), 1.0, 0.0, batchnorm.init_stats(3), True, 1.5)
    with pytest.raises(ValueError, match="eps"):
        batchnorm.batch_norm(x, 1.0, 0.0, batchnorm.init_stats(3), False, eps=-1.0)
