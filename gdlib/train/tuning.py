"""Compare optimizers honestly: tune each one's learning rate, then measure it on fresh seeds.

"Which optimizer is best?" has no answer until each optimizer gets its best learning rate. For
every optimizer, :func:`compare` first runs a whole grid of learning rates in one ``vmap``-ped
call (:func:`gdlib.train.training.train_sweep`) on a tuning seed and keeps the rate with the lowest
final validation loss; it then trains with that rate from several *other* seeds (new
initialization and new mini-batch order), so that the reported numbers are not the lucky ones
the tuning picked.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import numpy as np

from gdlib.optim.base import GradientTransformation
from gdlib.optim.hyperparams import check_positive_int
from gdlib.problems.data import Dataset
from gdlib.train.compilation import quick_jit
from gdlib.train.runner import checked_grid
from gdlib.train.training import Loss, _train, shuffled_orders, train_sweep


class Result(NamedTuple):
    """One optimizer's tuning and evaluation.

    Attributes:
        name: the optimizer's name.
        learning_rates: the grid that was tried.
        tuning_losses: final validation loss for each rate on the tuning seed (NaN: diverged).
        learning_rate: the best rate of the grid.
        train_curves: training loss per epoch with the best rate, ``(num_seeds, epochs + 1)``.
        val_curves: validation loss per epoch with the best rate, same shape.
    """

    name: str
    learning_rates: np.ndarray
    tuning_losses: np.ndarray
    learning_rate: float
    train_curves: np.ndarray
    val_curves: np.ndarray

    def final(self) -> tuple[float, float]:
        """Mean and standard deviation over seeds of the final validation loss."""
        last = self.val_curves[:, -1]
        return float(np.mean(last)), float(np.std(last))


def _without_diverged(final_losses: Any, diverged_at: Any) -> np.ndarray:
    final = np.array(final_losses, dtype=float)
    final[np.asarray(diverged_at) >= 0] = np.nan
    return final


def _best_index(final: np.ndarray, which: str = "") -> int:
    if np.all(np.isnan(final)):
        raise ValueError(f"every learning rate of the grid diverged{which}; try smaller ones")
    return int(np.nanargmin(final))


def best_rate(learning_rates: Any, final_losses: Any, diverged_at: Any) -> float:
    """The tuning rule of :func:`tune` and :func:`compare`: the rate with the lowest final loss
    among the runs that did not diverge.

    Args:
        learning_rates: the grid, one rate per run.
        final_losses: each run's final validation loss (NaN or inf where a run diverged).
        diverged_at: each run's divergence step or epoch, -1 where it did not diverge.

    Raises:
        ValueError: if every run diverged.

    Example:
        >>> best_rate([0.01, 0.1, 1.0], [0.5, 0.2, float("nan")], [-1, -1, 3])
        0.1
    """
    final = _without_diverged(final_losses, diverged_at)
    return float(np.asarray(learning_rates)[_best_index(final)])


def tune(make_optimizer: Callable[..., GradientTransformation], loss_fn: Loss,
         init_params: Callable[[jax.Array], Any], data: Dataset, key: jax.Array,
         learning_rates: np.ndarray, num_epochs: int, batch_size: int,
         **fixed: Any) -> tuple[float, np.ndarray]:
    """The learning rate of the grid with the lowest final validation loss, and all the losses.

    Example:
        >>> import jax, numpy as np, gdlib
        >>> from gdlib.problems import data, models
        >>> loss = lambda p, x, y: models.mean_squared_error(models.linear(p, x), y)
        >>> best, losses = tune(gdlib.sgd, loss, lambda k: models.init_linear(k, 10),
        ...                     data.diabetes(), jax.random.key(0), np.array([1e-4, 1e-2, 10.0]),
        ...                     num_epochs=5, batch_size=16)
        >>> best, bool(np.isnan(losses[-1]))
        (0.01, True)
    """
    key_init, key_order = jax.random.split(key)
    runs = train_sweep(make_optimizer, loss_fn, init_params(key_init), data, key_order,
                       num_epochs, batch_size, learning_rate=np.asarray(learning_rates), **fixed)
    final = _without_diverged(runs.val_losses[:, -1], runs.diverged_at)
    return float(np.asarray(learning_rates)[_best_index(final)]), final


@partial(quick_jit, static_argnums=(0, 1, 2, 5, 6))
def _grid_over_seeds(make_optimizer, loss_fn, init_params, arrays, keys, num_epochs, batch_size,
                     learning_rates):
    """Train for every (seed, learning rate) pair: one compiled, doubly vmapped call.

    It runs once per optimizer, so it is compiled for speed of compilation (see
    :mod:`gdlib.train.compilation`).
    """
    num_examples = arrays[0].shape[0]

    def one_seed(key):
        key_init, key_order = jax.random.split(key)
        params = init_params(key_init)
        orders = shuffled_orders(key_order, num_epochs, num_examples)

        def one_rate(lr):
            return _train(make_optimizer(learning_rate=lr), loss_fn, params, arrays, orders,
                          batch_size)

        return jax.vmap(one_rate)(learning_rates)

    return jax.vmap(one_seed)(keys)


def compare(optimizers: dict[str, Callable[..., GradientTransformation]], loss_fn: Loss,
            init_params: Callable[[jax.Array], Any], data: Dataset, *,
            learning_rates: np.ndarray, num_epochs: int, batch_size: int, num_seeds: int = 3,
            key: jax.Array | None = None) -> list[Result]:
    """Tune each optimizer's learning rate on one seed, then report it on ``num_seeds`` others.

    For each optimizer, one compiled call trains every (seed, learning rate) pair: seed 0 picks
    the rate (lowest final validation loss), seeds 1 to ``num_seeds`` (new initialization and
    mini-batch order) give the reported curves at that rate.

    Args:
        optimizers: name -> factory taking ``learning_rate`` (other hyperparameters at their
            defaults, e.g. ``gdlib.optim.optimizers.BY_NAME``).
        loss_fn: ``loss_fn(params, x, y)``.
        init_params: ``key -> params``, the model's initialization.
        data: the data set; the validation split decides the tuning.
        learning_rates: the grid tried for every optimizer.
        num_epochs, batch_size: the training budget, the same for all.
        num_seeds: evaluation seeds, none of them the tuning seed.
        key: the root of all randomness (default ``jax.random.key(0)``). The tuning seed is
            ``jax.random.split(key, num_seeds + 1)[0]``, so ``tune(..., key)`` and
            ``compare(..., key=key)`` tune on different draws and may pick different rates.
    """
    num_seeds = check_positive_int("num_seeds", num_seeds)
    num_epochs = check_positive_int("num_epochs", num_epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    keys = jax.random.split(jax.random.key(0) if key is None else key, num_seeds + 1)
    results = []
    for name, make_optimizer in optimizers.items():
        grid = checked_grid(make_optimizer, data.x_train, {"learning_rate": learning_rates})
        arrays = (data.x_train, data.y_train, data.x_val, data.y_val)
        runs = _grid_over_seeds(make_optimizer, loss_fn, init_params, arrays, keys, num_epochs,
                                batch_size, grid["learning_rate"])
        val = np.asarray(runs.val_losses, dtype=float)  # (seeds, rates, epochs + 1)
        val[np.asarray(runs.diverged_at) >= 0] = np.nan
        tuning = val[0, :, -1]
        best = _best_index(tuning, f" for {name}")
        results.append(Result(name, np.asarray(learning_rates, dtype=float), tuning,
                              float(np.asarray(learning_rates)[best]),
                              np.asarray(runs.train_losses, dtype=float)[1:, best],
                              val[1:, best]))
    return results


def table(results: list[Result], digits: int = 3) -> str:
    """A Markdown table: the tuned rate and the final validation loss (mean ± std), best first.

    Example:
        >>> r = Result("sgd", np.array([0.1]), np.array([0.5]), 0.1, np.ones((2, 3)),
        ...            np.array([[1.0, 0.5, 0.25], [1.0, 0.5, 0.35]]))
        >>> print(table([r]))
        | optimizer | tuned η | final validation loss |
        |---|---|---|
        | sgd | 0.1 | 0.3 ± 0.05 |
    """
    rows = ["| optimizer | tuned η | final validation loss |", "|---|---|---|"]
    for result in sorted(results, key=lambda r: r.final()[0]):
        mean, std = result.final()
        rows.append(f"| {result.name} | {result.learning_rate:.3g} | "
                    f"{mean:.{digits}g} ± {std:.{digits - 1}g} |")
    return "\n".join(rows)


def plot(ax, results: list[Result], *, validation: bool = True) -> None:
    """Mean loss per epoch over the seeds, with the band between the best and worst seed."""
    for result in results:
        curves = result.val_curves if validation else result.train_curves
        epochs = np.arange(curves.shape[1])
        (line,) = ax.plot(epochs, curves.mean(axis=0), label=result.name)
        ax.fill_between(epochs, curves.min(axis=0), curves.max(axis=0),
                        color=line.get_color(), alpha=0.2)
    ax.set(yscale="log", xlabel="epoch",
           ylabel="validation loss" if validation else "training loss")
