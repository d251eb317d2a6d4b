"""Models and losses against hand computations and references."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gdlib.problems import models


def test_linear_and_mlp_shapes_and_values():
    params = {"w": jnp.array([[1.0], [2.0]]), "b": jnp.array([0.5])}
    np.testing.assert_allclose(models.linear(params, jnp.array([[1.0, 1.0]])), [[3.5]])
    mlp = models.init_mlp(jax.random.key(0), [3, 5, 2])
    x = jnp.ones((4, 3))
    hidden = jnp.tanh(x @ mlp[0]["w"] + mlp[0]["b"])
    np.testing.assert_allclose(models.mlp(mlp, x), hidden @ mlp[1]["w"] + mlp[1]["b"], rtol=1e-6)


def test_init_scale_sets_the_weight_spread():
    big = models.init_mlp(jax.random.key(0), [400, 400], scale=1.0)[0]["w"]
    assert float(jnp.std(big)) == pytest.approx(1 / 20, rel=0.02)


def test_cross_entropy_matches_optax():
    logits = jax.random.normal(jax.random.key(0), (8, 5))
    labels = jnp.arange(8) % 5
    expected = optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
    assert float(models.softmax_cross_entropy(logits, labels)) == pytest.approx(float(expected),
                                                                                rel=1e-6)


def test_accuracy_and_mse():
    assert float(models.accuracy(jnp.array([[0.0, 1.0], [1.0, 0.0]]), jnp.array([1, 1]))) == 0.5
    assert float(models.mean_squared_error(jnp.array([1.0, 3.0]), jnp.array([0.0, 1.0]))) == 2.5


def test_mlp_needs_two_sizes():
    with pytest.raises(ValueError, match="at least an input and an output"):
        models.init_mlp(jax.random.key(0), [3])


def test_l2_penalty_is_half_lambda_times_the_squared_norm_and_makes_a_minimizer_unique():
    params = {"w": jnp.array([[1.0, -2.0]]), "b": jnp.array([3.0, 0.0])}
    assert float(models.l2_penalty(params, 0.2)) == pytest.approx(0.1 * 14.0)
    grads = jax.grad(models.l2_penalty)(params, 0.2)
    np.testing.assert_allclose(grads["b"], [0.6, 0.0], rtol=1e-6)  # ∇ = λθ
    with pytest.raises(ValueError, match="weight must be a finite number >= 0"):
        models.l2_penalty(params, -1.0)
    # softmax regression: adding one vector to every class's weights leaves the cross-entropy
    # unchanged (a flat direction); the penalty tells the two apart
    x, y = jnp.ones((3, 1)), jnp.array([0, 1, 1])
    shifted = {"w": params["w"] + 5.0, "b": params["b"] + 5.0}

    def ce(p):
        return models.softmax_cross_entropy(models.linear(p, x), y)

    assert float(ce(params)) == pytest.approx(float(ce(shifted)), rel=1e-5)
    assert float(models.l2_penalty(shifted, 0.2)) > float(models.l2_penalty(params, 0.2))

