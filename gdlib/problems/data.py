"""Data that ships with the book: real sets bundled in scikit-learn, labelled synthetic ones.

Nothing downloads at run time. Every loader returns a :class:`Dataset` with a training and a
validation split drawn from a fixed PRNG key, features standardized with the *training* mean
and standard deviation (so no statistic of the validation set leaks into training). The real
sets come with scikit-learn, gdlib's "data" extra (``pip install "gdlib[data]"``); without it
their loaders say so, and the synthetic sets still work.

* :func:`digits`: 1,797 handwritten digits, 8x8 pixels, 10 classes (scikit-learn's bundled
  copy of the UCI optical digits test set).
* :func:`diabetes`: 442 patients, 10 features, a disease-progression score (regression).
* :func:`subsample`: the first examples of a training set (a smaller data set, same task).
* :func:`sparse_power_law`: synthetic, text-like sparse features whose frequencies follow a
  power law: a few features occur in most examples, most features occur rarely.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gdlib.optim.extras import require
from gdlib.optim.hyperparams import check_positive_int, check_range


class Dataset(NamedTuple):
    """Features and targets, split into training and validation parts.

    Attributes:
        x_train, y_train: training features ``(n, d)`` (float32) and targets ``(n,)``
            (int32 class labels or float32 values).
        x_val, y_val: the validation part, standardized with the training statistics.
        name: what the data is, for titles and prints.
    """

    x_train: jax.Array
    y_train: jax.Array
    x_val: jax.Array
    y_val: jax.Array
    name: str


def split(key: jax.Array, x: np.ndarray, y: np.ndarray, val_fraction: float = 0.2,
          name: str = "data", standardize_y: bool = False) -> Dataset:
    """Shuffle with ``key``, hold out ``val_fraction`` for validation, standardize features.

    Example:
        >>> import numpy as np, jax
        >>> data = split(jax.random.key(0), np.arange(20.0).reshape(10, 2), np.arange(10.0))
        >>> data.x_train.shape, data.x_val.shape
        ((8, 2), (2, 2))
        >>> bool(abs(float(data.x_train.mean())) < 1e-6)
        True
    """
    check_range("val_fraction", val_fraction, 0.0, 1.0, low_open=True, high_open=True)
    n = len(x)
    order = np.asarray(jax.random.permutation(key, n))
    n_val = max(1, int(round(val_fraction * n)))
    train, val = order[n_val:], order[:n_val]
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    std = np.where(std > 0, std, 1.0)  # a constant pixel stays 0 instead of dividing by 0

    def features(rows):
        return jnp.asarray((x[rows] - mean) / std, jnp.float32)

    if standardize_y:
        y = (y - y[train].mean()) / y[train].std()
    y = jnp.asarray(y, jnp.int32 if np.issubdtype(np.asarray(y).dtype, np.integer)
                    else jnp.float32)
    return Dataset(features(train), y[train], features(val), y[val], name)


def digits(key: jax.Array | None = None, val_fraction: float = 0.2) -> Dataset:
    """scikit-learn's bundled handwritten digits: 1,797 images of 8x8 pixels, 10 classes.

    Example:
        >>> data = digits()
        >>> data.x_train.shape, data.x_val.shape, int(data.y_train.max()) + 1
        ((1438, 64), (359, 64), 10)
    """
    bunch = require("sklearn.datasets", "data", "gdlib.problems.data.digits").load_digits()
    key = jax.random.key(0) if key is None else key
    return split(key, bunch.data.astype(np.float64), bunch.target, val_fraction,
                 name="digits (scikit-learn, 8x8 pixels, 10 classes)")


def diabetes(key: jax.Array | None = None, val_fraction: float = 0.2) -> Dataset:
    """scikit-learn's bundled diabetes data: 442 patients, 10 features, a standardized score.

    Example:
        >>> data = diabetes()
        >>> data.x_train.shape, data.y_train.dtype
        ((354, 10), dtype('float32'))
    """
    bunch = require("sklearn.datasets", "data", "gdlib.problems.data.diabetes").load_diabetes()
    key = jax.random.key(0) if key is None else key
    return split(key, bunch.data, bunch.target.astype(np.float64), val_fraction,
                 name="diabetes (scikit-learn, 10 features, regression)", standardize_y=True)


def subsample(data: Dataset, num_examples: int) -> Dataset:
    """The same data set with only the first ``num_examples`` training examples.

    The split is already shuffled, so the first examples are a random subset; the validation
    part is kept whole, so that runs on the subset and the full set are judged alike. (The
    features keep the full training set's standardization.)

    Example:
        >>> small = subsample(digits(), 144)
        >>> small.x_train.shape, small.x_val.shape
        ((144, 64), (359, 64))
    """
    num_examples = check_positive_int("num_examples", num_examples)
    n = data.x_train.shape[0]
    if num_examples > n:
        raise ValueError(f"num_examples must be in [1, {n}] (the training examples), "
                         f"got {num_examples}")
    return data._replace(x_train=data.x_train[:num_examples],
                         y_train=data.y_train[:num_examples],
                         name=f"{data.name}, first {num_examples} training examples")


class SparseProblem(NamedTuple):
    """A synthetic sparse regression problem and what generated it.

    Attributes:
        data: the :class:`Dataset` (features are *not* standardized: zeros stay zeros).
        true_weights: the weights the targets were made from, ``(d,)``.
        frequency: the probability that each feature is non-zero in an example, ``(d,)``,
            decreasing: feature 0 is the most frequent.
    """

    data: Dataset
    true_weights: jax.Array
    frequency: jax.Array


def sparse_power_law(key: jax.Array, num_examples: int = 2000, num_features: int = 100,
                     exponent: float = 1.0, max_frequency: float = 0.5, noise: float = 0.1,
                     val_fraction: float = 0.2) -> SparseProblem:
    r"""Synthetic text-like data: feature :math:`j` is present with probability
    :math:`p_j = p_{\max} (j+1)^{-s}`, so frequencies follow a power law (Zipf for s = 1).

    A present feature has value 1 (like a word occurring in a document), targets are
    :math:`y = x^\top w^\star + \text{noise}` with :math:`w^\star \sim \mathcal N(0, 1)`.
    Rare features see few non-zero gradients: the setting where adaptive learning rates help.

    Example:
        >>> import jax
        >>> problem = sparse_power_law(jax.random.key(0), num_examples=1000, num_features=50)
        >>> x = problem.data.x_train
        >>> bool((x > 0).mean(axis=0)[0] > 10 * (x > 0).mean(axis=0)[-1])
        True
    """
    num_examples = check_positive_int("num_examples", num_examples)
    num_features = check_positive_int("num_features", num_features)
    check_range("exponent", exponent, 0.0)
    check_range("max_frequency", max_frequency, 0.0, 1.0, low_open=True)
    check_range("noise", noise, 0.0)
    key_x, key_w, key_noise, key_split = jax.random.split(key, 4)
    frequency = max_frequency * (jnp.arange(1, num_features + 1) ** -float(exponent))
    present = jax.random.uniform(key_x, (num_examples, num_features)) < frequency
    x = present.astype(jnp.float32)
    w = jax.random.normal(key_w, (num_features,))
    y = x @ w + noise * jax.random.normal(key_noise, (num_examples,))
    order = np.asarray(jax.random.permutation(key_split, num_examples))
    n_val = max(1, int(round(val_fraction * num_examples)))
    train, val = order[n_val:], order[:n_val]
    data = Dataset(x[train], y[train], x[val], y[val],
                   name=f"synthetic sparse power law (s = {exponent:g})")
    return SparseProblem(data, w, frequency)
