"""Reduce-on-plateau: the rule equals PyTorch's, and the training loop applies it per epoch."""

import jax
import numpy as np
import pytest
import torch

import gdlib
from gdlib.problems import data, models
from gdlib.train import plateau, training


def torch_rates(values, lr, **kwargs):
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", cooldown=0,
                                                           threshold_mode="rel", **kwargs)
    rates = []
    for value in values:
        scheduler.step(value)
        rates.append(opt.param_groups[0]["lr"])
    return rates


@pytest.mark.parametrize("factor,patience,threshold,min_lr", [
    (0.1, 10, 1e-4, 0.0), (0.5, 0, 0.0, 0.0), (0.5, 2, 1e-2, 0.0), (0.3, 1, 1e-4, 0.02),
])
def test_rule_equals_torch_reduce_lr_on_plateau(factor, patience, threshold, min_lr):
    rng = np.random.default_rng(0)
    values = np.concatenate([np.linspace(1.0, 0.5, 10), 0.5 + 0.01 * rng.random(40),
                             np.linspace(0.5, 0.4, 5), np.full(20, 0.4)])
    rule = plateau.reduce_on_plateau(factor, patience, threshold, min_lr)
    state, ours = rule.init(0.1), []
    for value in values:
        state = rule.update(state, value)
        ours.append(float(state.learning_rate))
    np.testing.assert_allclose(ours, torch_rates(values, 0.1, factor=factor, patience=patience,
                                                 threshold=threshold, min_lr=min_lr),
                               rtol=1e-6)


def test_rule_checks_its_hyperparameters():
    with pytest.raises(ValueError, match=r"factor must be in \(0.0, 1.0\)"):
        plateau.reduce_on_plateau(factor=1.0)
    with pytest.raises(ValueError, match="patience must be a whole number >= 0"):
        plateau.reduce_on_plateau(patience=-1)
    with pytest.raises(ValueError, match="threshold must be a finite number >= 0"):
        plateau.reduce_on_plateau(threshold=-0.1)


def loss(params, x, y):
    return models.mean_squared_error(models.linear(params, x), y)


def test_without_a_cut_it_is_plain_training():
    d = data.diabetes()
    params = models.init_linear(jax.random.key(0), 10)
    never = plateau.reduce_on_plateau(factor=0.5, patience=1000)
    ours = plateau.train_on_plateau(gdlib.momentum, loss, params, d, jax.random.key(3), 4, 16,
                                    0.01, never, momentum=0.9)
    plain = training.train(gdlib.momentum(0.01, 0.9), loss, params, d, jax.random.key(3), 4, 16)
    np.testing.assert_allclose(ours.history.update_losses, plain.update_losses, rtol=1e-5)
    np.testing.assert_allclose(ours.history.val_losses, plain.val_losses, rtol=1e-5)
    np.testing.assert_allclose(ours.learning_rates, 0.01)


def test_rates_follow_the_rule_applied_to_the_validation_losses():
    d = data.diabetes()
    params = models.init_linear(jax.random.key(0), 10)
    rule = plateau.reduce_on_plateau(factor=0.5, patience=1)
    run = plateau.train_on_plateau(gdlib.sgd, loss, params, d, jax.random.key(1), 25, 8, 0.1,
                                   rule)
    state, expected = rule.init(0.1), []
    for value in run.history.val_losses[1:]:
        expected.append(float(state.learning_rate))
        state = rule.update(state, value)
    np.testing.assert_allclose(run.learning_rates, expected, rtol=1e-6)
    assert float(run.learning_rates[-1]) < 0.1  # it did cut
    assert int(run.history.diverged_at) == -1


def test_training_arguments_are_checked():
    d = data.diabetes()
    params = models.init_linear(jax.random.key(0), 10)
    with pytest.raises(ValueError, match="learning_rate must be a finite number >= 0"):
        plateau.train_on_plateau(gdlib.sgd, loss, params, d, jax.random.key(0), 2, 8, -0.1)
    with pytest.raises(ValueError, match="momentum must be in"):
        plateau.train_on_plateau(gdlib.momentum, loss, params, d, jax.random.key(0), 2, 8, 0.1,
                                 momentum=1.5)
