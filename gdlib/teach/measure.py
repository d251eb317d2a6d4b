r"""Measure what the slides' trade-off table claims: time per update and memory per update.

* :func:`time_epoch`: the wall time of one compiled epoch (after a warm-up that compiles it,
  best of a few repeats, each waiting for the result with ``block_until_ready``).
* :func:`update_memory`: the bytes one update touches: its batch, the parameters, their
  gradients and the optimizer state, counted from the arrays themselves (exact, the same on
  every machine). :func:`compiled_update_memory` asks XLA instead (what the compiled update
  allocates, where the backend reports it).
* :func:`tradeoff_rows`: the slides' table of trade-offs (accuracy, update speed, memory,
  online learning), each word derived from measured numbers by a stated rule.

Timings vary from run to run and machine to machine; print them in notebook cells tagged
``nbval-ignore-output``. The words of the table come from *ratios* between the variants
compared against thresholds a factor of several away from the measured ratios, so they stay
put when the machine is busier or faster.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import numpy as np

from gdlib.optim.base import GradientTransformation, apply_updates
from gdlib.optim.hyperparams import check_positive_int, check_range
from gdlib.problems.batches import num_batches
from gdlib.problems.data import Dataset
from gdlib.train.training import Loss, run_epoch

PyTree = Any


class EpochTiming(NamedTuple):
    """How long one epoch of mini-batch training took.

    Attributes:
        batch_size: examples per update.
        updates_per_epoch: updates in one epoch, ``num_examples // batch_size``.
        seconds_per_epoch: the best of the timed repeats, in seconds.
    """

    batch_size: int
    updates_per_epoch: int
    seconds_per_epoch: float

    @property
    def seconds_per_update(self) -> float:
        """The epoch's time divided by its number of updates."""
        return self.seconds_per_epoch / self.updates_per_epoch

    @property
    def seconds_per_example(self) -> float:
        """The epoch's time divided by the examples it used."""
        return self.seconds_per_epoch / (self.updates_per_epoch * self.batch_size)


def time_epoch(optimizer: GradientTransformation, loss_fn: Loss, params: PyTree, data: Dataset,
               batch_size: int, *, key: jax.Array | None = None, repeats: int = 5
               ) -> EpochTiming:
    """Time one jitted epoch of :func:`gdlib.train.training.run_epoch` on ``data.x_train``.

    The epoch is compiled and run once first (the warm-up is not timed); then it runs
    ``repeats`` times from the same start, each run waited for with ``block_until_ready``,
    and the fastest counts (as ``timeit`` advises: slower repeats measure other processes).

    Example:
        >>> import jax, gdlib
        >>> from gdlib.problems import data, models
        >>> loss = lambda p, x, y: models.mean_squared_error(models.linear(p, x), y)
        >>> timing = time_epoch(gdlib.sgd(0.01), loss, models.init_linear(jax.random.key(0), 10),
        ...                     data.diabetes(), batch_size=32, repeats=2)
        >>> timing.updates_per_epoch, timing.seconds_per_epoch > 0
        (11, True)
    """
    repeats = check_positive_int("repeats", repeats)
    n = data.x_train.shape[0]
    count = num_batches(n, batch_size)
    key = jax.random.key(0) if key is None else key
    order = jax.random.permutation(key, n)

    @jax.jit
    def epoch(params, state, x, y, order):
        params, state, losses = run_epoch(optimizer, loss_fn, params, state, x, y, order,
                                          batch_size)
        return params, losses

    state = optimizer.init(params)
    jax.block_until_ready(epoch(params, state, data.x_train, data.y_train, order))
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(epoch(params, state, data.x_train, data.y_train, order))
        best = min(best, time.perf_counter() - start)
    return EpochTiming(batch_size, count, best)


def nbytes(tree: PyTree) -> int:
    """The bytes held by every array leaf of a pytree.

    Example:
        >>> import jax.numpy as jnp
        >>> nbytes({"w": jnp.zeros((64, 10)), "b": jnp.zeros(10)})
        2600
    """
    return int(sum(np.asarray(leaf).nbytes for leaf in jax.tree.leaves(tree)))


class UpdateMemory(NamedTuple):
    """The bytes of the arrays one update reads or writes.

    Attributes:
        batch: the features and targets of the examples the update uses.
        params: the parameters.
        grads: their gradients (as many bytes as the parameters).
        state: the optimizer's state (0 for plain SGD beyond a step counter).
    """

    batch: int
    params: int
    grads: int
    state: int

    @property
    def total(self) -> int:
        """The sum of the four parts."""
        return self.batch + self.params + self.grads + self.state


def update_memory(optimizer: GradientTransformation, params: PyTree, data: Dataset,
                  batch_size: int) -> UpdateMemory:
    """Count the bytes one update with ``batch_size`` examples touches.

    Example:
        >>> import jax, gdlib
        >>> from gdlib.problems import data, models
        >>> digits = data.digits()
        >>> params = models.init_linear(jax.random.key(0), 64, 10)
        >>> memory = update_memory(gdlib.sgd(0.1), params, digits, batch_size=1)
        >>> memory  # one example: 64 float32 pixels and an int32 label
        UpdateMemory(batch=260, params=2600, grads=2600, state=4)
    """
    num_batches(data.x_train.shape[0], batch_size)  # checks 1 <= batch_size <= n
    row = data.x_train[0].nbytes + data.y_train[0].nbytes
    size = nbytes(params)
    return UpdateMemory(batch_size * int(row), size, size, nbytes(optimizer.init(params)))


def compiled_update_memory(optimizer: GradientTransformation, loss_fn: Loss, params: PyTree,
                           data: Dataset, batch_size: int) -> int | None:
    """What XLA says one compiled update needs at its peak, in bytes; None if not reported.

    Compiles ``(params, state, x_batch, y_batch) -> (params, state)`` (nothing runs) and reads
    ``memory_analysis()`` of the executable: its arguments, outputs and temporary buffers.
    The figure depends on the backend and the JAX version; :func:`update_memory` does not.
    """
    num_batches(data.x_train.shape[0], batch_size)

    def update(params, state, x, y):
        grads = jax.grad(loss_fn)(params, x, y)
        updates, state = optimizer.update(grads, state, params)
        return apply_updates(params, updates), state

    x, y = data.x_train[:batch_size], data.y_train[:batch_size]
    compiled = jax.jit(update).lower(params, optimizer.init(params), x, y).compile()
    try:
        stats = compiled.memory_analysis()
    except NotImplementedError:  # pragma: no cover - a backend without the analysis
        return None
    if stats is None:  # pragma: no cover
        return None
    peak = getattr(stats, "peak_memory_in_bytes", 0)
    if peak:
        return int(peak)
    return int(stats.argument_size_in_bytes + stats.output_size_in_bytes
               + stats.temp_size_in_bytes - stats.alias_size_in_bytes)


def grade(ratio: float, thresholds: Sequence[float], labels: Sequence[str]) -> str:
    """The label of the interval ``ratio`` falls in: ``labels[i]`` for the ``i``-th interval.

    ``thresholds`` are increasing; a ratio equal to a threshold belongs to the interval above.

    Example:
        >>> [grade(r, (3, 30), ("High", "Medium", "Slow")) for r in (1, 3, 10, 100)]
        ['High', 'Medium', 'Medium', 'Slow']
    """
    thresholds = np.asarray(thresholds, dtype=float)
    if len(labels) != len(thresholds) + 1:
        raise ValueError(f"labels must be one more than thresholds, got {len(labels)} labels "
                         f"for {len(thresholds)} thresholds")
    if np.any(np.diff(thresholds) <= 0):
        raise ValueError(f"thresholds must increase, got {thresholds.tolist()}")
    return labels[int(np.searchsorted(thresholds, ratio, side="right"))]


def shrink(gaps: Any) -> float:
    """How much the gap to the solution shrank over the second half of training.

    ``gaps[e]`` is the training loss minus the batch solution's after epoch ``e`` (index 0
    before training); the result is ``gaps[-1] / gaps[len(gaps) // 2]``. A run still closing
    in on the solution gives a small factor; one that stalls at a noise floor gives about 1.

    Example:
        >>> shrink([1.0, 0.1, 0.01, 0.001, 1e-4]), shrink([1.0, 0.01, 0.012, 0.009, 0.011])
        (0.01, 0.9166666666666666)
    """
    gaps = np.asarray(gaps, dtype=float)
    return float(gaps[-1] / gaps[len(gaps) // 2])


class Variant(NamedTuple):
    """What was measured for one gradient-descent variant.

    Attributes:
        name: e.g. ``"Batch gradient descent"``.
        batch_size: examples per update.
        num_examples: examples in the training set.
        gaps: training loss minus the batch solution's after each epoch (index 0 before
            training), at a constant learning rate.
        annealed_gaps: the same with a decaying learning rate, or None if not run.
        seconds_per_update: measured with :func:`time_epoch`.
        bytes_per_update: from :func:`update_memory`.
    """

    name: str
    batch_size: int
    num_examples: int
    gaps: Any
    annealed_gaps: Any
    seconds_per_update: float
    bytes_per_update: int


#: The rules behind the words of :func:`tradeoff_rows`: ratio thresholds and their labels.
SPEED_RULE = ((3.0, 30.0), ("High", "Medium", "Slow"))
MEMORY_RULE = ((2.0, 10.0), ("Low", "Medium", "High"))
HEADER = ("Method", "Accuracy", "Update speed", "Memory usage", "Online learning")


def tradeoff_rows(variants: Sequence[Variant], max_shrink: float = 0.3,
                  speed_rule: tuple = SPEED_RULE, memory_rule: tuple = MEMORY_RULE
                  ) -> list[tuple[str, str, str, str, str]]:
    """The slides' trade-off table, each word derived from the measurements.

    * Accuracy: does the run keep closing in on the batch solution, or stall at a distance?
      "Good" if the :func:`shrink` of ``gaps`` is at most ``max_shrink``, else "Good (with
      annealing)" if that of ``annealed_gaps`` is, else "Poor".
    * Update speed: the time per update divided by the fastest variant's, graded by
      ``speed_rule`` (default: below 3 "High", below 30 "Medium", else "Slow").
    * Memory usage: the bytes per update divided by the smallest, graded by ``memory_rule``
      (default: below 2 "Low", below 10 "Medium", else "High").
    * Online learning: "Yes" when an update needs fewer examples than the whole training set
      (it can be made as examples arrive), "No" when it needs all of them.

    Example:
        >>> falling, flat = [1.0, 0.1, 0.01], [1.0, 0.01, 0.01]
        >>> rows = tradeoff_rows([Variant("batch", 100, 100, falling, None, 1e-3, 40_000),
        ...                       Variant("sgd", 1, 100, flat, falling, 1e-5, 2_000)])
        >>> rows[0]
        ('batch', 'Good', 'Slow', 'High', 'No')
        >>> rows[1]
        ('sgd', 'Good (with annealing)', 'High', 'Low', 'Yes')
    """
    check_range("max_shrink", max_shrink, 0.0, 1.0)
    fastest = min(v.seconds_per_update for v in variants)
    smallest = min(v.bytes_per_update for v in variants)
    rows = []
    for v in variants:
        if shrink(v.gaps) <= max_shrink:
            accuracy = "Good"
        elif v.annealed_gaps is not None and shrink(v.annealed_gaps) <= max_shrink:
            accuracy = "Good (with annealing)"
        else:
            accuracy = "Poor"
        speed = grade(v.seconds_per_update / fastest, *speed_rule)
        memory = grade(v.bytes_per_update / smallest, *memory_rule)
        online = "Yes" if v.batch_size < v.num_examples else "No"
        rows.append((v.name, accuracy, speed, memory, online))
    return rows


def format_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table with aligned columns (prints the same everywhere, so nbval checks it).

    Example:
        >>> print(format_table(("a", "bb"), [("x", 1), ("yyy", 22)]))
        a   | bb
        --- | --
        x   | 1
        yyy | 22
    """
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in cells]
    lines.insert(1, " | ".join("-" * w for w in widths))
    return "\n".join(lines)

