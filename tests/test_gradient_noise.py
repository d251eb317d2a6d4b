"""Gradient noise: the variance schedule (measured), optax's schedule, composition, JAX citizenship.

Samples cannot be compared with optax's one by one (different draws), so the tests measure:
feed zero gradients through many coordinates, and the empirical variance at step t must be
nu / (1 + t)^gamma, as it is for optax.add_noise (which calls nu eta).
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gdlib
from gdlib.optim.combine import chain
from gdlib.optim.gradient_noise import gradient_noise, noise_variance
from gdlib.problems import data, models
from gdlib.train import training

SIZE = 40_000  # coordinates: the variance estimate has a relative std of sqrt(2/SIZE) = 0.7%
STEPS = 60


def noise_per_step(transformation, size=SIZE, steps=STEPS):
    """The updates for zero gradients at every step: ``(steps, size)``."""
    params = {"a": jnp.zeros(size // 2), "b": jnp.zeros((size // 4, 2))}

    def step(state, _):
        updates, state = transformation.update(jax.tree.map(jnp.zeros_like, params), state,
                                               params)
        return state, jnp.concatenate([jnp.ravel(u) for u in jax.tree.leaves(updates)])

    _, noise = jax.lax.scan(step, transformation.init(params), None, length=steps)
    return np.asarray(noise, dtype=np.float64)


@pytest.mark.parametrize("nu, gamma", [(0.01, 0.55), (0.3, 0.55), (1.0, 0.55), (0.5, 0.0),
                                        (2.0, 1.5)])
def test_empirical_variance_follows_the_schedule(nu, gamma):
    noise = noise_per_step(gradient_noise(nu, gamma, key=1))
    t = np.arange(STEPS)
    expected = nu / (1.0 + t) ** gamma
    np.testing.assert_allclose(noise.var(axis=1), expected, rtol=0.04)
    assert np.all(np.abs(noise.mean(axis=1)) < 4 * np.sqrt(expected / SIZE))
    # the first step has the full variance nu (t starts at 0, not 1: no division by zero)
    assert abs(noise[0].var() / nu - 1) < 0.04


def test_schedule_is_optax_add_noise_schedule():
    ours = noise_per_step(gradient_noise(0.3, 0.55, key=0))
    theirs = noise_per_step(optax.add_noise(0.3, 0.55, key=0))
    ratio = ours.var(axis=1) / theirs.var(axis=1)
    np.testing.assert_allclose(ratio, 1.0, rtol=0.06)
    np.testing.assert_allclose(noise_variance(np.arange(5), 0.3, 0.55),
                               0.3 / np.arange(1, 6) ** 0.55, rtol=1e-6)


def test_noise_is_fresh_every_step_and_reproducible_from_the_key():
    noise = noise_per_step(gradient_noise(1.0, 0.0, key=3), size=4000, steps=3)
    assert abs(np.corrcoef(noise[0], noise[1])[0, 1]) < 0.08
    again = noise_per_step(gradient_noise(1.0, 0.0, key=3), size=4000, steps=3)
    np.testing.assert_array_equal(noise, again)
    other = noise_per_step(gradient_noise(1.0, 0.0, key=jax.random.key(4)), size=4000, steps=3)
    assert not np.allclose(noise, other)


def test_the_gradient_passes_through_unchanged_on_average():
    grads = jnp.linspace(-1.0, 1.0, 7)
    noisy = jax.vmap(lambda k: gradient_noise(0.5, key=k).update(grads, gradient_noise(
        0.5, key=k).init(grads))[0])(jax.random.split(jax.random.key(0), 20_000))
    np.testing.assert_allclose(noisy.mean(axis=0), grads, atol=4 * np.sqrt(0.5 / 20_000))


def test_composes_with_gdlib_and_optax_chains():
    params = {"w": jnp.ones((3, 2)), "b": jnp.zeros(2)}
    grads = jax.tree.map(lambda p: 0.5 * jnp.ones_like(p), params)
    noise = gradient_noise(0.3, key=5)
    noisy_grads, _ = noise.update(grads, noise.init(params), params)
    for combined in [chain(gradient_noise(0.3, key=5), gdlib.adam(0.1)),
                     optax.chain(gradient_noise(0.3, key=5), gdlib.adam(0.1))]:
        updates, state = combined.update(grads, combined.init(params), params)
        adam = gdlib.adam(0.1)
        expected, _ = adam.update(noisy_grads, adam.init(params), params)
        jax.tree.map(np.testing.assert_array_equal, updates, expected)
        assert int(state[0].count) == 1
    # in front of plain SGD the update is -lr * (g + noise), as optax.noisy_sgd's
    updates, _ = chain(gradient_noise(0.3, key=5), gdlib.sgd(0.1)).update(
        grads, chain(gradient_noise(0.3, key=5), gdlib.sgd(0.1)).init(params), params)
    jax.tree.map(lambda u, g: np.testing.assert_allclose(u, -0.1 * g, rtol=1e-6), updates,
                 noisy_grads)


def test_nu_zero_is_no_noise_and_training_runs_under_jit_and_vmap():
    d = data.diabetes()

    def loss(p, x, y):
        return models.mean_squared_error(models.linear(p, x), y)

    params = models.init_linear(jax.random.key(0), 10)
    plain = training.train(gdlib.sgd(0.01), loss, params, d, jax.random.key(1), 2, 32)
    silent = training.train(chain(gradient_noise(0.0), gdlib.sgd(0.01)), loss, params, d,
                            jax.random.key(1), 2, 32)
    np.testing.assert_allclose(silent.val_losses, plain.val_losses, rtol=1e-6)

    def noisy_run(key):
        return training.train(chain(gradient_noise(1.0, key=key), gdlib.sgd(0.01)), loss,
                              params, d, jax.random.key(1), 2, 32).val_losses[-1]

    finals = jax.vmap(noisy_run)(jax.random.split(jax.random.key(2), 3))
    assert np.all(np.isfinite(finals)) and len(set(np.asarray(finals).tolist())) == 3


def test_dtype_is_kept(x64):
    opt = gradient_noise(0.3, key=0)
    params = {"a": jnp.zeros(3, jnp.float32), "b": jnp.zeros(2, jnp.float64)}
    updates, _ = opt.update(params, opt.init(params))
    assert updates["a"].dtype == jnp.float32 and updates["b"].dtype == jnp.float64


def test_bad_hyperparameters_are_named():
    with pytest.raises(ValueError, match="nu must be a finite number >= 0, got -0.1"):
        gradient_noise(nu=-0.1)
    with pytest.raises(ValueError, match="gamma"):
        gradient_noise(gamma=float("nan"))
    with pytest.raises(TypeError, match="key must be"):
        gradient_noise(key="seed")


def test_update_takes_extra_arguments_like_the_optimizers():
    params = jnp.zeros(4)
    noise = gradient_noise(0.3, key=2)
    plain, _ = noise.update(params, noise.init(params), params)
    extra, _ = noise.update(params, noise.init(params), params, value=1.0, step=3)
    np.testing.assert_array_equal(plain, extra)
    combined = chain(gradient_noise(0.3, key=2), gdlib.sgd(0.1))
    updates, _ = combined.update(params, combined.init(params), params, value=1.0)
    np.testing.assert_allclose(updates, -0.1 * plain, rtol=1e-6)


def test_each_hyperparameter_is_one_number():
    with pytest.raises(ValueError, match=r"nu must be one number, got an array of shape \(2,\)"):
        gradient_noise(nu=jnp.array([0.3, 1.0]))
    with pytest.raises(ValueError, match="gamma must be one number"):
        gradient_noise(0.3, np.array([0.55, 0.6]))
    assert gradient_noise.__name__ == "gradient_noise"
    gradient_noise(np.float32(0.3), key=jax.random.key(1))  # NumPy scalars and keys pass
