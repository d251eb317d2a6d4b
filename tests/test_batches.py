"""Epochs of mini-batches: every example at most once, fresh order per key, usable in jit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gdlib.problems import batches


@pytest.mark.parametrize("n,size", [(10, 1), (10, 3), (10, 10), (1797, 32)])
def test_an_epoch_is_a_permutation_cut_into_batches(n, size):
    rows = np.asarray(batches.epoch(jax.random.key(0), n, size))
    assert rows.shape == (n // size, size)
    assert len(set(rows.ravel().tolist())) == rows.size  # no example twice


def test_epoch_under_jit_equals_eager_and_keys_differ():
    fn = jax.jit(batches.epoch, static_argnums=(1, 2))
    eager = batches.epoch(jax.random.key(1), 12, 4)
    np.testing.assert_array_equal(fn(jax.random.key(1), 12, 4), eager)
    assert not np.array_equal(batches.epoch(jax.random.key(1), 12, 4),
                              batches.epoch(jax.random.key(2), 12, 4))


def test_batch_size_is_checked():
    with pytest.raises(ValueError, match=r"batch_size must be in \[1, 10\]"):
        batches.num_batches(10, 11)
    with pytest.raises(ValueError, match="batch_size must be a whole number >= 1"):
        batches.num_batches(10, 0)


def test_iterate_yields_matching_rows():
    x, y = jnp.arange(20.0).reshape(10, 2), jnp.arange(10)
    for xb, yb in batches.iterate(jax.random.key(0), x, y, 5):
        np.testing.assert_array_equal(xb[:, 0], 2.0 * yb)


# Found by mutation testing (tests/mutation): iterate must visit every batch, and cut targets
# of any shape along their first axis, like the features.
def test_iterate_visits_every_batch_of_the_epoch_once():
    x, y = jnp.arange(20.0).reshape(10, 2), jnp.arange(10)
    seen = [yb for _, yb in batches.iterate(jax.random.key(3), x, y, 3)]
    assert len(seen) == 3 and all(yb.shape == (3,) for yb in seen)
    assert len(set(np.concatenate(seen).tolist())) == 9  # 10 // 3 batches, no example twice
    order = batches.epoch(jax.random.key(3), 10, 3)
    np.testing.assert_array_equal(np.stack(seen), order)


def test_iterate_cuts_two_dimensional_targets_by_example():
    x = jnp.arange(12.0).reshape(6, 2)
    y = jax.nn.one_hot(jnp.arange(6) % 3, 3)  # (6, 3): one row per example
    for xb, yb in batches.iterate(jax.random.key(0), x, y, 2):
        assert yb.shape == (2, 3)
        np.testing.assert_array_equal(jnp.argmax(yb, axis=1), (xb[:, 0] / 2) % 3)
