"""Sparse features: the slides' table, update counts, and the error a rare weight keeps."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gdlib
from gdlib.problems import data, models, sparsity
from gdlib.train import training, variance


def test_the_slides_table_classifies_as_the_slides_say():
    counts = sparsity.update_counts(sparsity.SLIDES_EXAMPLE)
    labels = sparsity.update_labels(counts, num_updates=6)
    groups = {label: [j + 1 for j, lab in enumerate(labels) if lab == label]
              for label in ("frequently", "moderately", "rarely")}
    assert groups == {"frequently": [2, 7], "moderately": [4, 5, 8], "rarely": [1, 3, 6]}


def test_a_zero_feature_gets_a_zero_gradient():
    x = jnp.asarray(sparsity.SLIDES_EXAMPLE, dtype=jnp.float32)
    y = jnp.full(6, 100.0)  # far from every prediction: no residual is zero

    def loss(w, xb, yb):
        return jnp.mean((xb @ w - yb) ** 2)

    g = np.asarray(variance.per_example_gradients(loss, jnp.ones(8), x, y))
    np.testing.assert_array_equal(g != 0, np.asarray(x) != 0)


def test_update_counts_with_batches_and_shuffled_epochs_match_a_loop():
    rng = np.random.default_rng(0)
    x = (rng.random((200, 30)) < 0.5 / np.arange(1, 31)).astype(np.float32)  # power-law sparse
    orders = np.stack([rng.permutation(200) for _ in range(3)])
    expected = np.zeros(x.shape[1], int)
    for order in orders:
        for start in range(0, (x.shape[0] // 16) * 16, 16):
            expected += (x[order[start:start + 16]] != 0).any(axis=0)
    np.testing.assert_array_equal(sparsity.update_counts(x, 16, orders), expected)
    np.testing.assert_array_equal(sparsity.update_counts(x, 1, orders), 3 * (x != 0).sum(0))


def test_predicted_error_is_exact_for_a_lone_feature():
    """One 0/1 feature, no bias, no noise: each update on a present example scales the error
    by exactly (1 - 2η), absent ones leave it; so the error left is |1 - 2η|^count."""
    x = jnp.asarray([[1.0], [0.0], [0.0], [1.0], [0.0], [1.0], [0.0], [0.0]])
    y = 3.0 * x[:, 0]
    d = data.Dataset(x, y, x, y, "lone feature")

    def loss(w, xb, yb):
        return jnp.mean((xb @ w - yb) ** 2)

    history = training.train(gdlib.sgd(0.1), loss, jnp.zeros(1), d, jax.random.key(0), 2, 1)
    count = sparsity.update_counts(np.asarray(x), 1, training.shuffled_orders(
        jax.random.key(0), 2, 8))
    assert count.tolist() == [6]
    left = abs(float(history.params[0]) - 3.0) / 3.0
    assert left == pytest.approx(float(sparsity.predicted_error(count, 0.1)[0]), rel=1e-5)


def test_models_linear_is_what_the_module_assumes():
    params = {"w": jnp.ones(8), "b": jnp.array(0.0)}
    x = jnp.asarray(sparsity.SLIDES_EXAMPLE[:2], dtype=jnp.float32)
    np.testing.assert_allclose(models.linear(params, x), [-8.0, 11.0])


def test_arguments_are_checked():
    with pytest.raises(ValueError, match=r"batch_size must be in \[1, 6\]"):
        sparsity.update_counts(sparsity.SLIDES_EXAMPLE, 7)
    with pytest.raises(ValueError, match=r"frequent must be in \(0.0, 1.0\]"):
        sparsity.update_labels([1, 2], 2, frequent=0.0)
    with pytest.raises(ValueError, match="learning_rate must be a finite number >= 0"):
        sparsity.predicted_error([1], -0.1)
