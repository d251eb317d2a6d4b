r"""Anneal when the data says so: cut the learning rate when the validation loss stops improving.

A schedule such as step decay fixes *in advance* when the rate falls, in epochs, whatever the
data. Reduce-on-plateau instead watches a quantity measured during training (here the
validation loss after each epoch) and multiplies the rate by ``factor`` once it has not
improved for more than ``patience`` epochs:

.. math::
    \text{improved} \iff v_e < v_{\text{best}}\,(1 - \text{threshold}), \qquad
    \eta \leftarrow \max(\text{factor}\cdot\eta,\ \eta_{\min})
    \text{ after } \text{patience} + 1 \text{ epochs without improvement.}

This is ``torch.optim.lr_scheduler.ReduceLROnPlateau(mode="min", factor, patience, threshold,
threshold_mode="rel", cooldown=0, min_lr)`` (tested against it), with its defaults. optax's
``contrib.reduce_on_plateau`` applies the same rule to a loss it is handed at every update.

* :func:`reduce_on_plateau`: the rule as a pair of pure functions ``init``/``update``.
* :func:`train_on_plateau`: :func:`gdlib.train.training.train` with the rule between epochs, in one
  compiled loop.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from gdlib.optim.base import GradientTransformation
from gdlib.optim.hyperparams import check_nonnegative, check_positive_int, check_range
from gdlib.problems.data import Dataset
from gdlib.train.training import History, Loss, run_epoch, shuffled_orders

PyTree = Any

#: Like PyTorch's ``eps``: a cut smaller than this is not made.
EPS = 1e-8


class PlateauState(NamedTuple):
    """The learning rate and what it is judged by.

    Attributes:
        learning_rate: the rate to use next.
        best: the lowest monitored value so far (``inf`` at first).
        bad_epochs: epochs since the last improvement.
    """

    learning_rate: jax.Array
    best: jax.Array
    bad_epochs: jax.Array


class ReduceOnPlateau(NamedTuple):
    """``init(learning_rate) -> state`` and ``update(state, value) -> state``."""

    init: Callable[[Any], PlateauState]
    update: Callable[[PlateauState, Any], PlateauState]


def reduce_on_plateau(factor: float = 0.1, patience: int = 10, threshold: float = 1e-4,
                      min_learning_rate: float = 0.0) -> ReduceOnPlateau:
    """The reduce-on-plateau rule, checked and ready for ``jit`` and ``lax.scan``.

    Args:
        factor: the rate is multiplied by this on a plateau, in ``(0, 1)``.
        patience: epochs without improvement that are tolerated; the rate is cut at the
            ``patience + 1``-th, a whole number ``>= 0``.
        threshold: the relative improvement that counts, ``>= 0``.
        min_learning_rate: the rate never falls below this, ``>= 0``.

    Example:
        >>> rule = reduce_on_plateau(factor=0.5, patience=1)
        >>> state = rule.init(0.1)
        >>> rates = []
        >>> for value in [1.0, 0.5, 0.6, 0.6, 0.4, 0.5, 0.5]:
        ...     state = rule.update(state, value)
        ...     rates.append(round(float(state.learning_rate), 4))
        >>> rates  # cut after the second epoch without improvement, twice
        [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]
    """
    check_range("factor", factor, 0.0, 1.0, low_open=True, high_open=True)
    if not isinstance(patience, int) or isinstance(patience, bool) or patience < 0:
        raise ValueError(f"patience must be a whole number >= 0, got {patience!r}")
    check_nonnegative("threshold", threshold)
    check_nonnegative("min_learning_rate", min_learning_rate)

    def init(learning_rate: Any) -> PlateauState:
        rate = jnp.asarray(learning_rate, dtype=jnp.result_type(float))
        return PlateauState(rate, jnp.full_like(rate, jnp.inf), jnp.zeros([], jnp.int32))

    def update(state: PlateauState, value: Any) -> PlateauState:
        value = jnp.asarray(value, dtype=state.best.dtype)
        improved = value < state.best * (1.0 - threshold)
        best = jnp.where(improved, value, state.best)
        bad = jnp.where(improved, 0, state.bad_epochs + 1)
        cut = bad > patience
        lowered = jnp.maximum(state.learning_rate * factor, min_learning_rate)
        lowered = jnp.where(state.learning_rate - lowered > EPS, lowered, state.learning_rate)
        return PlateauState(jnp.where(cut, lowered, state.learning_rate), best,
                            jnp.where(cut, 0, bad).astype(jnp.int32))

    return ReduceOnPlateau(init, update)


class PlateauHistory(NamedTuple):
    """A :class:`gdlib.train.training.History` and the learning rate each epoch used.

    Attributes:
        history: the losses and final parameters, as :func:`gdlib.train.training.train` gives them.
        learning_rates: the rate of each epoch, ``(num_epochs,)``.
    """

    history: History
    learning_rates: jax.Array


@partial(jax.jit, static_argnums=(0, 1, 5, 6))
def _train_on_plateau(make_optimizer, loss_fn, params, arrays, orders, batch_size, rule,
                      learning_rate, hyperparams):
    x, y, x_val, y_val = arrays

    def one_epoch(carry, order):
        params, state, plateau = carry
        optimizer = make_optimizer(learning_rate=plateau.learning_rate, **hyperparams)
        params, state, losses = run_epoch(optimizer, loss_fn, params, state, x, y, order,
                                          batch_size)
        val = loss_fn(params, x_val, y_val)
        used = plateau.learning_rate
        return (params, state, rule.update(plateau, val)), (losses, loss_fn(params, x, y),
                                                             val, used)

    state = make_optimizer(learning_rate=learning_rate, **hyperparams).init(params)
    (params_out, _, _), (update_losses, train, val, rates) = lax.scan(
        one_epoch, (params, state, rule.init(learning_rate)), orders)
    train = jnp.concatenate([loss_fn(params, x, y)[None], train])
    val = jnp.concatenate([loss_fn(params, x_val, y_val)[None], val])
    bad = ~jnp.isfinite(train)
    diverged_at = jnp.where(jnp.any(bad), jnp.argmax(bad), -1).astype(jnp.int32)
    return PlateauHistory(History(params_out, update_losses, train, val, diverged_at), rates)


def train_on_plateau(make_optimizer: Callable[..., GradientTransformation], loss_fn: Loss,
                     params: PyTree, data: Dataset, key: jax.Array, num_epochs: int,
                     batch_size: int, learning_rate: float,
                     rule: ReduceOnPlateau | None = None, **hyperparams: float
                     ) -> PlateauHistory:
    """Mini-batch training whose learning rate is cut when the validation loss plateaus.

    After every epoch the validation loss goes to ``rule.update``; the next epoch runs
    ``make_optimizer(learning_rate=<the rule's rate>, **hyperparams)``, keeping the
    optimizer's state. Epochs are shuffled as in :func:`gdlib.train.training.train` (the same
    ``key`` gives the same mini-batches).

    Args:
        make_optimizer: an optimizer factory taking ``learning_rate``, e.g. ``gdlib.sgd``.
        loss_fn: ``loss_fn(params, x_batch, y_batch)``.
        params: the initial parameters.
        data: a :class:`gdlib.problems.data.Dataset`; its validation part drives the rule.
        key: shuffles the examples.
        num_epochs: passes over the data.
        batch_size: examples per update.
        learning_rate: the initial rate.
        rule: a :func:`reduce_on_plateau` (default: PyTorch's defaults).
        **hyperparams: the optimizer's other hyperparameters, numbers.

    Example:
        >>> import jax, gdlib
        >>> from gdlib.problems import data, models
        >>> loss = lambda p, x, y: models.mean_squared_error(models.linear(p, x), y)
        >>> run = train_on_plateau(gdlib.sgd, loss, models.init_linear(jax.random.key(0), 10),
        ...                        data.diabetes(), jax.random.key(1), 30, 8, 0.05,
        ...                        reduce_on_plateau(factor=0.5, patience=2))
        >>> [round(rate, 6) for rate in run.learning_rates.tolist()][:3]
        [0.05, 0.05, 0.05]
        >>> bool(run.learning_rates[-1] < 0.05)  # cut on the plateaus
        True
    """
    rule = reduce_on_plateau() if rule is None else rule
    check_nonnegative("learning_rate", learning_rate)
    num_epochs = check_positive_int("num_epochs", num_epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    make_optimizer(learning_rate=learning_rate, **hyperparams)  # checks the hyperparameters
    orders = shuffled_orders(key, num_epochs, data.x_train.shape[0])
    arrays = (data.x_train, data.y_train, data.x_val, data.y_val)
    return _train_on_plateau(make_optimizer, loss_fn, params, arrays, orders, batch_size, rule,
                             learning_rate, hyperparams)
