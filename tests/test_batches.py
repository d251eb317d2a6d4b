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
