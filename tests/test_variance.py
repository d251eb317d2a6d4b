"""The mini-batch gradient's variance: the exact formula against enumeration and sampling."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gdlib.problems import models
from gdlib.train import variance


def loss(params, x, y):
    return models.mean_squared_error(models.linear(params, x), y)


def small_problem(n=7, d=3, seed=0):
    kx, ky, kw = jax.random.split(jax.random.key(seed), 3)
    x = jax.random.normal(kx, (n, d))
    y = jax.random.normal(ky, (n,))
    params = {"w": jax.random.normal(kw, (d,)), "b": jnp.array(0.3)}
    return params, x, y


def flat_grad(params, x, y):
    grads = jax.grad(loss)(params, x, y)
    return np.concatenate([np.ravel(g) for g in jax.tree.leaves(grads)]).astype(np.float64)


def test_per_example_gradients_equal_single_example_grads():
    params, x, y = small_problem()
    g = variance.per_example_gradients(loss, params, x, y)
    for i in range(x.shape[0]):
        np.testing.assert_allclose(g[i], flat_grad(params, x[i:i + 1], y[i:i + 1]), rtol=1e-5)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 7])
def test_exact_formula_equals_the_average_over_every_batch(x64, batch_size):
    params, x, y = small_problem()
    full = flat_grad(params, x, y)
    subsets = np.array(list(itertools.combinations(range(x.shape[0]), batch_size)))
    grads = jax.vmap(lambda rows: jnp.concatenate(
        [jnp.ravel(g) for g in jax.tree.leaves(jax.grad(loss)(params, x[rows], y[rows]))]))(
        jnp.asarray(subsets))
    errors = np.sum((np.asarray(grads, dtype=np.float64) - full) ** 2, axis=1)
    exact = variance.minibatch_variance(loss, params, x, y, [batch_size])[0]
    np.testing.assert_allclose(exact, np.mean(errors), rtol=1e-10, atol=1e-12)


def test_sampled_estimate_agrees_and_variance_falls_like_one_over_b():
    params, x, y = small_problem(n=200, d=5, seed=1)
    exact = variance.minibatch_variance(loss, params, x, y, [1, 10, 200])
    sampled = variance.sampled_minibatch_variance(loss, params, x, y, 10, jax.random.key(3),
                                                  num_samples=4000)
    assert sampled == pytest.approx(exact[1], rel=0.08)
    assert exact[0] / exact[1] == pytest.approx(10 * 199 / 190, rel=1e-6)
    assert exact[2] == 0.0


def test_batch_sizes_are_checked():
    params, x, y = small_problem()
    with pytest.raises(ValueError, match=r"batch_sizes must be in \[1, 7\]"):
        variance.minibatch_variance(loss, params, x, y, [8])
    with pytest.raises(ValueError, match=r"batch_size must be in \[1, 7\]"):
        variance.sampled_minibatch_variance(loss, params, x, y, 8, jax.random.key(0))
    with pytest.raises(TypeError, match="batch_size must be a whole number"):
        variance.sampled_minibatch_variance(loss, params, x, y, 2.5, jax.random.key(0))
