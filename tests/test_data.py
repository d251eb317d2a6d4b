"""The bundled data sets: the right sizes, a reproducible split, no validation leakage."""

import jax
import numpy as np
import pytest

from gdlib.problems import data


def test_digits_split_is_reproducible_and_standardized_on_training_data_only():
    a, b = data.digits(jax.random.key(3)), data.digits(jax.random.key(3))
    np.testing.assert_array_equal(a.y_val, b.y_val)
    assert a.x_train.shape == (1438, 64) and a.x_val.shape == (359, 64)
    mean = np.asarray(a.x_train).mean(axis=0)
    assert np.abs(mean).max() < 1e-5  # training features are centred ...
    assert np.abs(np.asarray(a.x_val).mean(axis=0)).max() > 1e-3  # ... validation ones not exactly
    assert sorted(set(np.asarray(a.y_train).tolist())) == list(range(10))


def test_other_key_other_split():
    a, b = data.digits(jax.random.key(0)), data.digits(jax.random.key(1))
    assert not np.array_equal(a.y_val, b.y_val)


def test_diabetes_is_a_standardized_regression():
    d = data.diabetes()
    assert d.x_train.shape == (354, 10) and d.y_train.dtype == np.float32
    assert abs(float(d.y_train.mean())) < 1e-5 and abs(float(d.y_train.std()) - 1) < 1e-5


def test_sparse_power_law_frequencies_follow_the_law():
    problem = data.sparse_power_law(jax.random.key(0), num_examples=20000, num_features=20,
                                    exponent=1.0, max_frequency=0.5, noise=0.0)
    x = np.concatenate([problem.data.x_train, problem.data.x_val])
    observed = (x > 0).mean(axis=0)
    np.testing.assert_allclose(observed, problem.frequency, atol=0.015)
    assert set(np.unique(x).tolist()) <= {0.0, 1.0}
    np.testing.assert_allclose(problem.data.x_train @ problem.true_weights,
                               problem.data.y_train, atol=1e-5)  # noise = 0


@pytest.mark.parametrize("kwargs,match", [
    (dict(num_examples=0), "num_examples must be a whole number >= 1"),
    (dict(exponent=-1.0), "exponent must be a finite number >= 0"),
    (dict(max_frequency=1.5), r"max_frequency must be in \(0.0, 1.0\]"),
])
def test_sparse_power_law_checks_its_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.sparse_power_law(jax.random.key(0), **kwargs)


def test_subsample_keeps_the_first_training_examples_and_all_validation():
    full = data.digits()
    small = data.subsample(full, 100)
    np.testing.assert_array_equal(small.x_train, full.x_train[:100])
    np.testing.assert_array_equal(small.y_val, full.y_val)
    assert "first 100 training examples" in small.name
    with pytest.raises(ValueError, match=r"num_examples must be in \[1, 1438\]"):
        data.subsample(full, 5000)
