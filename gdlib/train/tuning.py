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
                     hyperparams):
    """Train for every (seed, grid entry) pair: one compiled, doubly vmapped call.

    ``hyperparams`` is a checked grid (:func:`~gdlib.train.runner.checked_grid`): name -> 1-D
    array, one entry per run, usually ``{"learning_rate": rates}``.

    It runs once per optimizer, so it is compiled for speed of compilation (see
    :mod:`gdlib.train.compilation`).
    """
    num_examples = arrays[0].shape[0]

    def one_seed(key):
        key_init, key_order = jax.random.split(key)
        params = init_params(key_init)
        orders = shuffled_orders(key_order, num_epochs, num_examples)

        def one_entry(hp):
            return _train(make_optimizer(**hp), loss_fn, params, arrays, orders, batch_size)

        return jax.vmap(one_entry)(hyperparams)

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
                                batch_size, grid)
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


# ----------------------------------------------------------------------------- tuning curves


def held_out(data: Dataset) -> tuple[Dataset, tuple[jax.Array, jax.Array]]:
    """Split the validation part in two: a validation half that picks the learning rate, and a
    test half, never seen by the tuning, that reports it.

    The validation part of a :class:`~gdlib.problems.data.Dataset` is already a random draw,
    so its first half and the rest are two independent samples.

    Returns:
        ``(data with the first half as its validation part, (x_test, y_test))``.

    Example:
        >>> from gdlib.problems import data
        >>> tuning_data, (x_test, y_test) = held_out(data.diabetes())
        >>> len(tuning_data.x_val), len(x_test)
        (44, 44)
    """
    half = data.x_val.shape[0] // 2
    if half < 1:
        raise ValueError("the validation part needs at least two examples to be split in two")
    tuning_data = data._replace(x_val=data.x_val[:half], y_val=data.y_val[:half])
    return tuning_data, (data.x_val[half:], data.y_val[half:])


class Curve(NamedTuple):
    r"""One optimizer's tuning curve: the final losses for every (seed, learning rate) pair.

    The rate is chosen on the validation split (lowest mean over the seeds, among the rates
    where no seed diverged) and reported on the test split: mean and standard deviation over
    the same seeds, at that rate.

    Attributes:
        name: the optimizer's name.
        learning_rates: the grid, ``(rates,)``.
        val: final validation loss, ``(seeds, rates)``; NaN where the run diverged.
        test: final test loss, same shape and NaNs.
    """

    name: str
    learning_rates: np.ndarray
    val: np.ndarray
    test: np.ndarray

    @property
    def index(self) -> int:
        """The chosen rate's position in the grid."""
        return _best_index(np.mean(self.val, axis=0), f" for {self.name}")

    @property
    def learning_rate(self) -> float:
        """The chosen rate."""
        return float(self.learning_rates[self.index])

    @property
    def inside(self) -> bool:
        """Whether the chosen rate lies strictly inside the grid (not at either end)."""
        return 0 < self.index < len(self.learning_rates) - 1

    def report(self) -> tuple[float, float]:
        """Mean and standard deviation over the seeds of the test loss at the chosen rate."""
        column = self.test[:, self.index]
        return float(np.mean(column)), float(np.std(column))


def _final_losses(make_optimizer, loss_fn, init_params, data, test, keys, hyperparams,
                  num_epochs, batch_size):
    """Final validation and test losses, ``(seeds, runs)`` each, NaN where a run diverged."""
    grid = checked_grid(make_optimizer, data.x_train, hyperparams)
    arrays = (data.x_train, data.y_train, data.x_val, data.y_val)
    runs = _grid_over_seeds(make_optimizer, loss_fn, init_params, arrays, keys, num_epochs,
                            batch_size, grid)
    test_loss = jax.jit(jax.vmap(jax.vmap(lambda p: loss_fn(p, *test))))(runs.params)
    bad = np.asarray(runs.diverged_at) >= 0
    val = np.where(bad, np.nan, np.asarray(runs.val_losses[..., -1], dtype=float))
    test_loss = np.asarray(test_loss, dtype=float)
    return val, np.where(bad | ~np.isfinite(test_loss), np.nan, test_loss)


def curves(optimizers: dict[str, Callable[..., GradientTransformation]], loss_fn: Loss,
           init_params: Callable[[jax.Array], Any], data: Dataset,
           test: tuple[jax.Array, jax.Array], *,
           learning_rates: np.ndarray | dict[str, np.ndarray], num_epochs: int, batch_size: int,
           num_seeds: int = 5, key: jax.Array | None = None) -> list[Curve]:
    """Every optimizer at every learning rate of its grid, from ``num_seeds`` seeds.

    One compiled call per optimizer trains every (seed, rate) pair; each seed draws a new
    initialization and a new mini-batch order, the same for every optimizer and rate.

    Args:
        optimizers: name -> factory taking ``learning_rate``.
        loss_fn: ``loss_fn(params, x, y)``.
        init_params: ``key -> params``.
        data: training data, and the validation split that picks the rate.
        test: ``(x_test, y_test)``, the split that reports it (see :func:`held_out`).
        learning_rates: one grid for all, or a grid per optimizer's name.
        num_epochs, batch_size: the training budget, the same for all.
        num_seeds: seeds per (optimizer, rate).
        key: the root of all randomness (default ``jax.random.key(0)``).

    Example:
        >>> import gdlib
        >>> from gdlib.problems import data, models
        >>> loss = lambda p, x, y: models.mean_squared_error(models.linear(p, x), y)
        >>> tuning_data, test = held_out(data.diabetes())
        >>> [sgd] = curves({"sgd": gdlib.sgd}, loss, lambda k: models.init_linear(k, 10),
        ...                tuning_data, test, learning_rates=np.array([1e-3, 1e-2, 10.0]),
        ...                num_epochs=3, batch_size=16, num_seeds=2)
        >>> sgd.val.shape, sgd.learning_rate, sgd.inside, bool(np.isnan(sgd.test[0, -1]))
        ((2, 3), 0.01, True, True)
    """
    num_seeds = check_positive_int("num_seeds", num_seeds)
    num_epochs = check_positive_int("num_epochs", num_epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    keys = jax.random.split(jax.random.key(0) if key is None else key, num_seeds)
    results = []
    for name, make_optimizer in optimizers.items():
        rates = learning_rates[name] if isinstance(learning_rates, dict) else learning_rates
        rates = np.asarray(rates, dtype=float)
        val, test_loss = _final_losses(make_optimizer, loss_fn, init_params, data, test, keys,
                                       {"learning_rate": rates}, num_epochs, batch_size)
        results.append(Curve(name, rates, val, test_loss))
    return results


def variant_curves(make_optimizer: Callable[..., GradientTransformation],
                   variants: dict[str, dict[str, Any]], loss_fn: Loss,
                   init_params: Callable[[jax.Array], Any], data: Dataset,
                   test: tuple[jax.Array, jax.Array], *, learning_rates: np.ndarray,
                   num_epochs: int, batch_size: int, num_seeds: int = 5,
                   key: jax.Array | None = None) -> list[Curve]:
    """:func:`curves` for variants of one optimizer that differ only in hyperparameters.

    ``curves({name: partial(make_optimizer, **settings), ...})`` compiles one program per
    variant; here every (seed, variant, rate) triple runs in a single compiled call, the
    variants' settings being vmapped like the rates. Where compilation, not training, is most
    of the cost (ten variants of a small model on the CPU), that is several times faster. The
    seeds, the protocol and the results are those of :func:`curves`.

    Args:
        make_optimizer: a factory whose hyperparameters can all be traced (every setting a
            variant changes must be a number, not a Python-level switch).
        variants: name -> settings (keyword arguments of ``make_optimizer``); every variant
            sets the same names.
        learning_rates: the grid, the same for every variant.
        loss_fn, init_params, data, test, num_epochs, batch_size, num_seeds, key: as in
            :func:`curves`.

    Example:
        >>> import gdlib
        >>> from gdlib.problems import data, models
        >>> loss = lambda p, x, y: models.mean_squared_error(models.linear(p, x), y)
        >>> tuning_data, test = held_out(data.diabetes())
        >>> slow, fast = variant_curves(gdlib.momentum, {"γ = 0.9": {"momentum": 0.9},
        ...                             "γ = 0.5": {"momentum": 0.5}}, loss,
        ...                             lambda k: models.init_linear(k, 10), tuning_data, test,
        ...                             learning_rates=np.array([1e-4, 1e-2, 10.0]),
        ...                             num_epochs=3, batch_size=16, num_seeds=2)
        >>> slow.name, slow.val.shape, fast.learning_rate, fast.inside
        ('γ = 0.9', (2, 3), 0.01, True)
    """
    num_seeds = check_positive_int("num_seeds", num_seeds)
    num_epochs = check_positive_int("num_epochs", num_epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    if not variants:
        raise ValueError("variant_curves needs at least one variant")
    names = list(variants)
    settings = sorted(variants[names[0]])
    for name in names:
        if sorted(variants[name]) != settings:
            raise ValueError(f"every variant must set the same hyperparameters: {name!r} sets "
                             f"{sorted(variants[name])}, {names[0]!r} sets {settings}")
    if "learning_rate" in settings:
        raise ValueError("the learning rate is the grid's; a variant must not set it")
    rates = np.asarray(learning_rates, dtype=float)
    if rates.ndim != 1:
        raise ValueError(f"learning_rates must be a 1-D grid, got shape {rates.shape}")
    hyperparams = {"learning_rate": np.tile(rates, len(names))}
    for setting in settings:
        hyperparams[setting] = np.repeat([float(variants[n][setting]) for n in names],
                                         len(rates))
    keys = jax.random.split(jax.random.key(0) if key is None else key, num_seeds)
    val, test_loss = _final_losses(make_optimizer, loss_fn, init_params, data, test, keys,
                                   hyperparams, num_epochs, batch_size)
    shape = (num_seeds, len(names), len(rates))
    val, test_loss = val.reshape(shape), test_loss.reshape(shape)
    return [Curve(name, rates, val[:, i], test_loss[:, i]) for i, name in enumerate(names)]


def curve_table(results: list[Curve], digits: int = 2) -> str:
    """A Markdown table, best first: the chosen rate, and the test loss as mean ± std.

    Example:
        >>> c = Curve("sgd", np.array([0.1, 1.0]), np.array([[0.5, 0.4], [0.5, 0.6]]),
        ...           np.array([[0.5, 0.3], [0.5, 0.5]]))
        >>> print(curve_table([c]))
        | optimizer | η chosen on validation | test loss, mean ± std over 2 seeds |
        |---|---|---|
        | sgd | 0.1 | 0.50 ± 0.00 |
    """
    seeds = results[0].val.shape[0]
    rows = [f"| optimizer | η chosen on validation | test loss, mean ± std over {seeds} seeds |",
            "|---|---|---|"]
    for result in sorted(results, key=lambda r: r.report()[0]):
        mean, std = result.report()
        rows.append(f"| {result.name} | {result.learning_rate:.2g} | "
                    f"{mean:.{digits}f} ± {std:.{digits}f} |")
    return "\n".join(rows)


def plot_curves(ax, results: list[Curve], *, colors: dict[str, str] | None = None) -> None:
    """Final validation loss against the learning rate: the mean over the seeds, a band of one
    standard deviation either side, and a dot at each optimizer's chosen rate."""
    for result in results:
        mean, std = np.mean(result.val, axis=0), np.std(result.val, axis=0)
        color = None if colors is None else colors.get(result.name)
        (line,) = ax.plot(result.learning_rates, mean, label=result.name, color=color)
        ax.fill_between(result.learning_rates, mean - std, mean + std, color=line.get_color(),
                        alpha=0.2)
        ax.plot(result.learning_rate, mean[result.index], "o", color=line.get_color())
    ax.set(xscale="log", yscale="log", xlabel="learning rate η",
           ylabel="final validation loss")


def plot_switch_effects(ax, results: list[Curve], switches: dict[str, tuple[str, str]],
                        ends: tuple[str, str] = ("Adam", "RMSprop")) -> None:
    r"""How much each switch moves the test loss, seed by seed, from either end of an ablation.

    For each switch ``name -> (first end's variant, second end's variant)``, a row: from the
    first end the change :math:`100 (J_\text{variant} / J_\text{end} - 1)` %, from the
    second end :math:`100 (J_\text{end} / J_\text{variant} - 1)` % (the switch made in the
    direction that leads from the first end to the second), each seed a faint dot and the
    mean over seeds a diamond; every loss at the run's chosen rate (:attr:`Curve.index`).
    """
    test = {r.name: r.test[:, r.index] for r in results}  # per seed, at the chosen rate
    first, second = ends
    for row, (from_first, from_second) in enumerate(switches.values()):
        for end, change, shift, color in [
                (first, test[from_first] / test[first], -0.15, "C0"),
                (second, test[second] / test[from_second], 0.15, "C1")]:
            ax.plot(100 * (change - 1), np.full(change.shape, row + shift), "o", ms=4,
                    alpha=0.4, color=color)
            ax.plot(100 * (change.mean() - 1), row + shift, "D", color=color,
                    label=f"mean, from {end}'s end" if row == 0 else None)
    ax.axvline(0, color="gray", lw=0.8)
    ax.set(yticks=range(len(switches)), yticklabels=list(switches))
    ax.invert_yaxis()
