r"""The order in which an epoch visits the training examples: shuffled, fixed, sorted, curriculum.

Every function returns an ``(num_epochs, num_examples)`` array of example indices, one row per
epoch, for the ``orders`` argument of :func:`gdlib.train.training.train`:

* :func:`shuffled`: a fresh random permutation every epoch (what the slides recommend);
* :func:`fixed`: one random permutation, reused every epoch;
* :func:`sorted_by`: the examples sorted by a score (a label, say), every epoch: the order
  that makes the bias of an unshuffled data set plain;
* :func:`curriculum`: Bengio et al. (2009)'s curriculum: epoch :math:`e` draws only from the
  easiest fraction :math:`\lambda_e` of the examples, :math:`\lambda_e` growing to 1.

:func:`compare` trains once for every named order and seed, in one compiled call;
:func:`epoch_entropy` measures how the training distribution widens over the epochs.

A curriculum is a sequence of training distributions
:math:`Q_\lambda(z) \propto W_\lambda(z) P(z)` whose weights :math:`W_\lambda` never decrease
as :math:`\lambda` grows, with :math:`Q_1 = P`. Here :math:`W_\lambda(z) = 1` for the
:math:`\lceil \lambda n \rceil` easiest examples and 0 for the others, and a pacing function
gives :math:`\lambda` for each epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gdlib.optim.base import GradientTransformation
from gdlib.optim.hyperparams import check_positive_int, check_range
from gdlib.problems.data import Dataset
from gdlib.train.training import History, Loss, shuffled_orders, train

Pacing = Callable[[int], float]


_shuffled = jax.jit(shuffled_orders, static_argnums=(1, 2))


def shuffled(key: jax.Array, num_epochs: int, num_examples: int) -> jax.Array:
    """A fresh random permutation of the examples for every epoch.

    Example:
        >>> import jax
        >>> orders = shuffled(jax.random.key(0), 2, 6)
        >>> orders.shape, bool((orders[0] != orders[1]).any())
        ((2, 6), True)
    """
    num_epochs = check_positive_int("num_epochs", num_epochs)
    num_examples = check_positive_int("num_examples", num_examples)
    return _shuffled(key, num_epochs, num_examples)


def fixed(key: jax.Array, num_epochs: int, num_examples: int) -> jax.Array:
    """One random permutation of the examples, the same in every epoch.

    Example:
        >>> import jax
        >>> orders = fixed(jax.random.key(0), 3, 5)
        >>> bool((orders == orders[0]).all()), sorted(orders[0].tolist())
        (True, [0, 1, 2, 3, 4])
    """
    num_epochs = check_positive_int("num_epochs", num_epochs)
    num_examples = check_positive_int("num_examples", num_examples)
    return _fixed(key, num_epochs, num_examples)


@partial(jax.jit, static_argnums=(1, 2))
def _fixed(key, num_epochs, num_examples):
    return jnp.tile(jax.random.permutation(key, num_examples), (num_epochs, 1))


def sorted_by(scores: jax.Array, num_epochs: int, descending: bool = False) -> jax.Array:
    """The examples in increasing order of ``scores`` (ties by index), the same every epoch.

    Sorting by the label makes every epoch see all of one class, then all of the next.

    Example:
        >>> import jax.numpy as jnp
        >>> sorted_by(jnp.array([2, 0, 1, 0]), 2).tolist()
        [[1, 3, 2, 0], [1, 3, 2, 0]]
    """
    num_epochs = check_positive_int("num_epochs", num_epochs)
    scores = jnp.asarray(scores)
    if scores.ndim != 1:
        raise ValueError(f"scores must have one value per example (1-D), got shape {scores.shape}")
    return _sorted(-scores if descending else scores, num_epochs)


@partial(jax.jit, static_argnums=1)
def _sorted(scores, num_epochs):
    return jnp.tile(jnp.argsort(scores, stable=True), (num_epochs, 1))


def linear_pacing(start: float = 0.2, epochs_to_full: int = 5) -> Pacing:
    r"""Pacing :math:`\lambda_e = \min(1, \lambda_0 + (1 - \lambda_0)\, e / E)`: from the
    easiest fraction ``start`` in epoch 0 to all examples from epoch ``E = epochs_to_full`` on.

    Example:
        >>> pace = linear_pacing(0.2, 4)
        >>> [round(pace(e), 2) for e in range(6)]
        [0.2, 0.4, 0.6, 0.8, 1.0, 1.0]
    """
    check_range("start", start, 0.0, 1.0, low_open=True)
    epochs_to_full = check_positive_int("epochs_to_full", epochs_to_full)

    def pace(epoch: int) -> float:
        return float(min(1.0, start + (1.0 - start) * epoch / epochs_to_full))

    return pace


def admissible_sizes(pacing: Pacing, num_epochs: int, num_examples: int) -> np.ndarray:
    r"""How many of the easiest examples each epoch may use: :math:`\lceil \lambda_e n \rceil`.

    Checks that the pacing is a curriculum: every :math:`\lambda_e` in (0, 1] and never
    decreasing (an example, once admitted, stays).

    Example:
        >>> admissible_sizes(linear_pacing(0.25, 3), 5, 10).tolist()
        [3, 5, 8, 10, 10]
    """
    num_epochs = check_positive_int("num_epochs", num_epochs)
    num_examples = check_positive_int("num_examples", num_examples)
    fractions = np.array([float(pacing(e)) for e in range(num_epochs)])
    for epoch, fraction in enumerate(fractions):
        check_range(f"pacing({epoch})", fraction, 0.0, 1.0, low_open=True)
    if np.any(np.diff(fractions) < 0):
        epoch = int(np.argmax(np.diff(fractions) < 0)) + 1
        raise ValueError(f"pacing must never decrease (a curriculum only adds examples), got "
                         f"pacing({epoch}) = {fractions[epoch]} < pacing({epoch - 1}) = "
                         f"{fractions[epoch - 1]}")
    return np.maximum(1, np.ceil(fractions * num_examples - 1e-9)).astype(np.int32)


@jax.jit
def difficulty_ranks(difficulty: jax.Array) -> jax.Array:
    """Rank of each example, 0 for the easiest (lowest difficulty; ties by index).

    Example:
        >>> import jax.numpy as jnp
        >>> difficulty_ranks(jnp.array([0.5, 0.1, 0.9, 0.1])).tolist()
        [2, 0, 3, 1]
    """
    order = jnp.argsort(jnp.asarray(difficulty), stable=True)
    return jnp.zeros(order.shape[0], jnp.int32).at[order].set(jnp.arange(order.shape[0]))


def curriculum_epoch(key: jax.Array, ranks: jax.Array, size: jax.Array) -> jax.Array:
    """One epoch of a curriculum: ``n`` slots filled with the ``size`` examples of lowest rank.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> row = curriculum_epoch(jax.random.key(0), jnp.array([3, 0, 2, 1]), 2)
        >>> sorted(row.tolist())  # examples 1 and 3 (ranks 0 and 1), twice each
        [1, 1, 3, 3]
    """
    key_admissible, key_slots = jax.random.split(key)
    n = ranks.shape[0]
    # the admissible examples first, in a random order; then the others
    sort_keys = jax.random.uniform(key_admissible, (n,)) + 2.0 * (ranks >= size)
    admissible = jnp.argsort(sort_keys)
    # n slots, each admissible example in n // size or n // size + 1 of them, at random places
    return admissible[jax.random.permutation(key_slots, n) % size]


def curriculum(key: jax.Array, difficulty: jax.Array, num_epochs: int,
               pacing: Pacing | None = None) -> jax.Array:
    r"""Easy to hard (Bengio et al. 2009): epoch :math:`e` uses only the
    :math:`k_e = \lceil \lambda_e n \rceil` examples of lowest ``difficulty``.

    Every epoch still has ``n`` updates' worth of examples (so a curriculum costs what shuffling
    costs): each admissible example fills :math:`\lfloor n / k_e \rfloor` or
    :math:`\lceil n / k_e \rceil` slots, in a random order. When :math:`\lambda_e = 1` the epoch
    is a uniformly random permutation, exactly :func:`shuffled`'s kind of epoch.

    Args:
        key: the randomness of the orders.
        difficulty: one score per example, higher is harder.
        num_epochs: rows of the result.
        pacing: epoch -> :math:`\lambda_e` in (0, 1], never decreasing
            (default :func:`linear_pacing`).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> orders = curriculum(jax.random.key(0), jnp.arange(8.0), 3, linear_pacing(0.25, 2))
        >>> [sorted(set(row.tolist())) for row in orders]
        [[0, 1], [0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5, 6, 7]]
    """
    difficulty = jnp.asarray(difficulty)
    if difficulty.ndim != 1:
        raise ValueError(f"difficulty must have one value per example (1-D), got shape "
                         f"{difficulty.shape}")
    sizes = admissible_sizes(linear_pacing() if pacing is None else pacing, num_epochs,
                             difficulty.shape[0])
    return _curriculum(key, difficulty, jnp.asarray(sizes))


@jax.jit
def _curriculum(key, difficulty, sizes):
    keys = jax.random.split(key, sizes.shape[0])
    ranks = difficulty_ranks(difficulty)
    return jax.vmap(curriculum_epoch, in_axes=(0, None, 0))(keys, ranks, sizes)


def epoch_entropy(orders: jax.Array, num_examples: int | None = None) -> np.ndarray:
    r"""The entropy (in nats) of each epoch's training distribution, measured from its order.

    Epoch :math:`e` visits example :math:`i` some :math:`c_{e,i}` times out of :math:`n`
    slots; its empirical distribution :math:`q_{e,i} = c_{e,i} / n` has entropy
    :math:`H_e = -\sum_i q_{e,i} \ln q_{e,i}`. Bengio et al. (2009) ask of a curriculum that
    this grows as examples are admitted; a uniform draw from :math:`k_e` examples has
    :math:`H_e = \ln k_e`, the most that :math:`k_e` examples allow, and a shuffled epoch
    has :math:`\ln n`. (Computed in float64 with NumPy: exact counts, portable digits.)

    Args:
        orders: ``(num_epochs, slots)`` example indices, as :func:`curriculum` returns.
        num_examples: how many examples there are (default: the number of slots).

    Example:
        >>> import numpy as np
        >>> orders = np.array([[0, 1, 0, 1], [0, 1, 2, 3]])
        >>> np.round(epoch_entropy(orders) / np.log([2, 4]), 6).tolist()
        [1.0, 1.0]
    """
    orders = np.asarray(orders)
    if orders.ndim != 2:
        raise ValueError(f"orders must be (num_epochs, slots), got shape {orders.shape}")
    length = orders.shape[1] if num_examples is None else check_positive_int(
        "num_examples", num_examples)
    counts = np.stack([np.bincount(row, minlength=length) for row in orders]).astype(np.float64)
    q = counts / counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.sum(np.where(q > 0, q * np.log(q), 0.0), axis=1)


@partial(jax.jit, static_argnums=0)
def example_losses(loss_fn: Callable[..., jax.Array], params: Any, x: jax.Array,
                   y: jax.Array) -> jax.Array:
    """Each example's own loss, ``loss_fn(params, x[i:i+1], y[i:i+1])``: a difficulty score.

    A model trained beforehand (a "teacher") finds some examples hard: their loss is high.

    Example:
        >>> import jax.numpy as jnp
        >>> loss = lambda w, x, y: jnp.mean((x * w - y) ** 2)
        >>> example_losses(loss, 1.0, jnp.array([1.0, 2.0]), jnp.array([1.0, 0.0])).tolist()
        [0.0, 4.0]
    """
    return jax.vmap(lambda xi, yi: loss_fn(params, xi[None], yi[None]))(x, y)


@partial(jax.jit, static_argnums=0)
def _init_each(init_params, keys):
    return jax.vmap(init_params)(keys)


@partial(jax.jit, static_argnums=(0, 1, 5))
def _train_each(optimizer, loss_fn, params, arrays, orders, batch_size):
    data = Dataset(*arrays, name="")

    def one(params, order):
        return train(optimizer, loss_fn, params, data, orders=order, batch_size=batch_size)

    return jax.vmap(one)(params, orders)


def compare(optimizer: GradientTransformation, loss_fn: Loss,
            init_params: Callable[[jax.Array], Any], data: Dataset, keys: jax.Array,
            orders: dict[str, jax.Array], batch_size: int = 32) -> dict[str, History]:
    """Train with each named order from every seed, all in one ``vmap``-ped, compiled call.

    Args:
        optimizer, loss_fn, data, batch_size: as in :func:`gdlib.train.training.train`.
        init_params: ``key -> params``, the initialization.
        keys: one key per seed, ``(num_seeds,)``; seed ``s`` starts every order from
            ``init_params(keys[s])``, so the orders are compared from the same points.
        orders: name -> the orders of seed ``s`` at index ``s``,
            ``(num_seeds, num_epochs, num_examples)``.

    Returns:
        name -> a :class:`gdlib.train.training.History` whose fields have a leading seed axis.

    Example:
        >>> import jax, gdlib
        >>> from gdlib.problems import data, models
        >>> d = data.diabetes()
        >>> loss = lambda p, x, y: models.mean_squared_error(models.linear(p, x), y)
        >>> keys = jax.random.split(jax.random.key(0), 2)
        >>> orders = {"shuffled": jax.vmap(lambda k: shuffled(k, 3, 354))(keys),
        ...           "fixed": jax.vmap(lambda k: fixed(k, 3, 354))(keys)}
        >>> runs = compare(gdlib.sgd(0.01), loss, lambda k: models.init_linear(k, 10), d, keys,
        ...                orders, batch_size=16)
        >>> runs["fixed"].val_losses.shape
        (2, 4)
    """
    batch_size = check_positive_int("batch_size", batch_size)
    names = list(orders)
    num_seeds = keys.shape[0]
    stacked = jnp.concatenate([jnp.asarray(orders[name]) for name in names])
    if stacked.ndim != 3 or stacked.shape[0] != num_seeds * len(names):
        raise ValueError(f"each order must have shape (num_seeds={num_seeds}, num_epochs, "
                         f"num_examples), got {[jnp.shape(orders[name]) for name in names]}")
    arrays = (data.x_train, data.y_train, data.x_val, data.y_val)
    params = _init_each(init_params, keys)  # apart from training: two smaller programs to build
    params = jax.tree.map(lambda p: jnp.concatenate([p] * len(names)), params)
    runs = _train_each(optimizer, loss_fn, params, arrays, stacked, batch_size)
    return {name: jax.tree.map(lambda a, i=i: a[i * num_seeds:(i + 1) * num_seeds], runs)
            for i, name in enumerate(names)}
