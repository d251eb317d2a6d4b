r"""Hogwild! (Niu, Recht, Ré & Wright 2011): SGD by several processes on one vector, no locks.

The objective must be a sum of terms that each touch a few coordinates,
:math:`f(w) = \sum_{e} f_e(w_e)`. Every worker loops: pick an example :math:`e`, read
:math:`w_e`, write :math:`w_e \leftarrow w_e - \gamma \nabla f_e(w_e)`, with no lock. Reads
may be stale and writes may collide, but when examples rarely share coordinates they rarely do,
and the workers run at full speed in parallel.

Here the workers are real operating-system processes (:func:`run`): they share one float64 array
through ``multiprocessing.RawArray`` and each runs the NumPy loop of
:mod:`gdlib.parallel.hogwild_worker`. Two baselines use the same loop: one process (:func:`serial`,
in this process, deterministic) and several processes that hold a ``multiprocessing.Lock`` around
each update (``run(..., lock=True)``). Wall-clock numbers depend on the machine and on what else
runs on it; the losses of concurrent runs depend on how the processes interleave.

The problem (:func:`sparse_least_squares`, synthetic) is least squares with exactly ``k``
non-zeros per example, :math:`f(w) = \frac1{2n}\sum_i (a_i^\top w - y_i)^2`, its density
:math:`k/d` a parameter. :func:`simulate_delay` adds the deterministic counterpart: every read
exactly :math:`\tau` writes old, as in the paper's analysis, in one ``lax.scan``.
"""

from __future__ import annotations

import multiprocessing
import os
import runpy
import time
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from gdlib.optim.hyperparams import check_nonnegative, check_positive_int, check_range
from gdlib.parallel import hogwild_worker


class SparseLeastSquares(NamedTuple):
    """A synthetic sparse least-squares problem: example ``i`` is non-zero on columns
    ``indices[i]`` with ``values[i]``; ``targets = A @ solution + noise``.

    Attributes:
        indices: ``(n, k)`` int64, sorted column indices of each example.
        values: ``(n, k)`` float64, positive (like word counts), each row of norm 1: two
            examples that share coordinates pull them the same way.
        targets: ``(n,)`` float64.
        solution: ``(d,)`` the weights the targets were made from.
    """

    indices: np.ndarray
    values: np.ndarray
    targets: np.ndarray
    solution: np.ndarray

    @property
    def num_features(self) -> int:
        """:math:`d`."""
        return self.solution.shape[0]

    @property
    def density(self) -> float:
        """:math:`k / d`, the fraction of coordinates each example touches."""
        return self.indices.shape[1] / self.num_features


def sparse_least_squares(seed: int, num_examples: int = 2000, num_features: int = 1000,
                         nonzeros: int = 10, noise: float = 0.0) -> SparseLeastSquares:
    r"""Make a problem with ``nonzeros`` = :math:`k` random columns per example.

    With ``noise = 0`` the system is consistent: the minimum of :math:`f` is 0.

    Example:
        >>> problem = sparse_least_squares(0, num_examples=100, num_features=50, nonzeros=5)
        >>> problem.indices.shape, problem.density, loss(problem, problem.solution)
        ((100, 5), 0.1, 0.0)
    """
    n = check_positive_int("num_examples", num_examples)
    d = check_positive_int("num_features", num_features)
    k = check_positive_int("nonzeros", nonzeros)
    check_range("nonzeros", k, 1, d)
    check_nonnegative("noise", noise)
    rng = np.random.default_rng(seed)
    indices = np.sort(np.argsort(rng.random((n, d)), axis=1)[:, :k], axis=1)
    magnitudes = rng.uniform(0.0, 1.0, size=(n, k))
    values = magnitudes / np.linalg.norm(magnitudes, axis=1, keepdims=True)
    solution = rng.normal(size=d)
    targets = np.einsum("nk,nk->n", values, solution[indices]) + noise * rng.normal(size=n)
    return SparseLeastSquares(indices, values, targets, solution)


def loss(problem: SparseLeastSquares, w: np.ndarray) -> float:
    r""":math:`f(w) = \frac1{2n} \sum_i (a_i^\top w - y_i)^2`."""
    residual = np.einsum("nk,nk->n", problem.values, np.asarray(w)[problem.indices])
    return float(0.5 * np.mean((residual - problem.targets) ** 2))


def sparsity(problem: SparseLeastSquares) -> dict[str, float]:
    r"""The statistics of Niu et al.'s analysis (small is good for Hogwild!):

    :math:`\Omega` = the most coordinates an example touches; :math:`\Delta` = the largest
    fraction of examples that touch one coordinate; :math:`\rho` = the largest fraction of
    examples that share a coordinate with one example.

    Example:
        >>> stats = sparsity(sparse_least_squares(0, 200, 1000, 1))
        >>> stats["Omega"], stats["Delta"] < 0.05, stats["rho"] < 0.05
        (1, True, True)
    """
    n, d = problem.indices.shape[0], problem.num_features
    incidence = np.zeros((n, d), np.float32)
    np.put_along_axis(incidence, problem.indices, 1.0, axis=1)
    shares = (incidence @ incidence.T) > 0
    return {"Omega": int(problem.indices.shape[1]),
            "Delta": float(incidence.sum(axis=0).max() / n),
            "rho": float(shares.sum(axis=1).max() / n)}


def _orders(problem: SparseLeastSquares, seed: int, num_epochs: int) -> np.ndarray:
    """Each epoch visits every example once, in a fresh random order: ``(num_epochs * n,)``."""
    rng = np.random.default_rng(seed)
    n = problem.indices.shape[0]
    return np.concatenate([rng.permutation(n) for _ in range(num_epochs)])


class HogwildRun(NamedTuple):
    """A run's result.

    Attributes:
        weights: the final parameters.
        updates: total updates done at each snapshot (the first is 0).
        seconds: wall-clock time of each snapshot since the workers started.
        losses: :func:`loss` at each snapshot.
        updates_per_second: all updates divided by the time from the first worker's start to
            the last worker's end.
        worker_seconds: ``(num_workers, 2)``, when each worker started and ended (seconds
            since the first start); overlapping intervals mean the workers ran concurrently.
        worker_pids: the operating-system process id of each worker (:func:`serial`: this
            process's).
        lost_writes: coordinate writes overwritten by a concurrent process: every update also
            adds one to a shared count per coordinate it writes, with the same unlocked gather
            and scatter as the parameters; this is how many of those additions are missing.
            Zero for :func:`serial` and with a lock.
    """

    weights: np.ndarray
    updates: np.ndarray
    seconds: np.ndarray
    losses: np.ndarray
    updates_per_second: float
    worker_seconds: np.ndarray
    worker_pids: np.ndarray
    lost_writes: int = 0


def serial(problem: SparseLeastSquares, step_size: float, num_epochs: int, seed: int = 0,
           snapshots: int = 20) -> HogwildRun:
    """Plain SGD in this process: the reference. Deterministic, except its timing.

    Example:
        >>> problem = sparse_least_squares(0, 500, 100, 5)
        >>> run = serial(problem, 0.5, 10)
        >>> bool(run.losses[-1] < 1e-3 * run.losses[0]), int(run.updates[-1])
        (True, 5000)
    """
    check_nonnegative("step_size", step_size)
    examples = _orders(problem, seed, check_positive_int("num_epochs", num_epochs))
    pieces = np.array_split(examples, check_positive_int("snapshots", snapshots))
    w = np.zeros(problem.num_features)
    updates, seconds, losses = [0], [0.0], [loss(problem, w)]
    for piece in pieces:  # the clock runs during the updates only, not the loss evaluations
        start = time.perf_counter()
        hogwild_worker.sgd_updates(w, problem.indices, problem.values, problem.targets, piece,
                                   step_size)
        seconds.append(seconds[-1] + time.perf_counter() - start)
        updates.append(updates[-1] + len(piece))
        losses.append(loss(problem, w))
    return HogwildRun(w, np.array(updates), np.array(seconds), np.array(losses),
                      len(examples) / seconds[-1], np.array([[0.0, seconds[-1]]]),
                      np.array([os.getpid()]))


def epochs_lasting(seconds: float, updates_per_second: float, num_examples: int,
                   minimum: int = 1) -> int:
    r"""How many epochs a run at this speed needs to last about ``seconds``.

    An epoch is ``num_examples`` updates, so :math:`E = \lceil s \cdot v / n \rceil` epochs
    at :math:`v` updates per second take about :math:`s` seconds (never fewer than
    ``minimum`` epochs). Used to size timed runs from one short trial run.

    Example:
        >>> epochs_lasting(1.2, 50_000.0, 2000)
        30
        >>> epochs_lasting(1.2, 10.0, 2000, minimum=2)
        2
    """
    check_nonnegative("seconds", seconds)
    check_positive_int("num_examples", num_examples)
    return max(int(np.ceil(seconds * updates_per_second / num_examples)), minimum)


def summary(runs: list[HogwildRun], reference_speed: float) -> dict[str, np.ndarray]:
    """Per repeat of one configuration: speed relative to ``reference_speed``, longest worker
    time in seconds, and final loss (the speed is updates per second, all workers together).

    Example:
        >>> problem = sparse_least_squares(0, 200, 50, 3)
        >>> runs = [serial(problem, 0.5, 2) for _ in range(3)]
        >>> table = summary(runs, runs[0].updates_per_second)
        >>> sorted(table), table["loss"].shape
        (['loss', 'seconds', 'speed'], (3,))
    """
    return {"speed": np.array([r.updates_per_second for r in runs]) / reference_speed,
            "seconds": np.array([r.worker_seconds.max() for r in runs]),
            "loss": np.array([r.losses[-1] for r in runs])}


def run(problem: SparseLeastSquares, step_size: float, num_epochs: int, num_workers: int,
        lock: bool = False, seed: int = 0, poll_seconds: float = 0.01) -> HogwildRun:
    """Hogwild!: ``num_workers`` processes update one shared vector, without (or with) a lock.

    The epochs' examples (the same as :func:`serial`'s for the same seed) are dealt out round robin,
    so every worker does ``1 / num_workers`` of the updates. The workers are started with the
    ``spawn`` method (see :mod:`gdlib.parallel.hogwild_worker`) and start together at a barrier;
    meanwhile this process copies the shared vector every ``poll_seconds`` to record the loss
    against updates and time.

    Example:
        >>> problem = sparse_least_squares(0, 500, 100, 5)
        >>> run_ = run(problem, 0.5, 10, num_workers=2)
        >>> bool(run_.losses[-1] < 1e-3 * run_.losses[0]), int(run_.updates[-1])
        (True, 5000)
    """
    check_nonnegative("step_size", step_size)
    num_workers = check_positive_int("num_workers", num_workers)
    examples = _orders(problem, seed, check_positive_int("num_epochs", num_epochs))
    check_range("poll_seconds", poll_seconds, 0.0, low_open=True)
    context = multiprocessing.get_context("spawn")
    shared = context.RawArray("d", problem.num_features)
    writes = context.RawArray("q", problem.num_features)
    progress = context.RawArray("q", num_workers)
    clock = context.RawArray("d", 2 * num_workers)
    pids = context.RawArray("q", num_workers)
    w = np.frombuffer(shared, dtype=np.float64)
    barrier = context.Barrier(num_workers)
    job = {"w": shared, "writes": writes, "progress": progress, "clock": clock, "pids": pids,
           "indices": problem.indices, "values": problem.values, "targets": problem.targets,
           "step_size": step_size, "lock": context.Lock() if lock else None, "barrier": barrier}
    workers = []
    for rank in range(num_workers):
        own = {**job, "rank": rank, "examples": examples[rank::num_workers]}
        workers.append(context.Process(
            target=runpy.run_path, args=(hogwild_worker.__file__,),
            kwargs={"init_globals": {"JOB": own}, "run_name": "__hogwild_worker__"}))
    for worker in workers:
        worker.start()
    snapshots = _watch(workers, barrier, w, np.frombuffer(progress, dtype=np.int64),
                       poll_seconds)
    times = np.frombuffer(clock, dtype=np.float64).reshape(num_workers, 2)
    start, end = times[:, 0].min(), times[:, 1].max()
    snapshots.append((end, len(examples), w.copy()))
    seconds = np.clip([t - start for t, _, _ in snapshots], 0.0, end - start)
    return HogwildRun(w.copy(), np.array([u for _, u, _ in snapshots]), seconds,
                      np.array([loss(problem, v) for _, _, v in snapshots]),
                      len(examples) / (end - start), times - start,
                      np.frombuffer(pids, dtype=np.int64).copy(),
                      int(problem.indices[examples].size - np.frombuffer(writes, np.int64).sum()))


def _watch(workers, barrier, w, progress, poll_seconds):
    """Copy the shared vector and the update count until every worker has finished.

    The copy and the count are not taken at the same instant: a snapshot's count is a few
    updates behind its vector at most. If a worker fails, the others are stopped (a broken
    barrier releases any still waiting) and RuntimeError is raised.
    """
    snapshots = [(-np.inf, 0, w.copy())]
    while any(worker.is_alive() for worker in workers):
        time.sleep(poll_seconds)
        if any(worker.exitcode not in (None, 0) for worker in workers):
            barrier.abort()
            for worker in workers:
                worker.terminate()
                worker.join()
            codes = [worker.exitcode for worker in workers]
            raise RuntimeError(f"a Hogwild! worker failed (exit codes {codes})")
        done = int(progress.sum())
        if done != snapshots[-1][1]:
            snapshots.append((time.perf_counter(), done, w.copy()))
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise RuntimeError(f"a Hogwild! worker failed (exit code {worker.exitcode})")
    return snapshots


# ----------------------------------------------------------------------------- simulation


def _loss(indices, values, targets, w):
    residual = jnp.einsum("nk,nk->n", values, w[indices]) - targets
    return 0.5 * jnp.mean(residual**2)


@partial(jax.jit, static_argnums=(4, 5))
def _simulate(indices, values, targets, examples, num_features, max_delay, step_size, delays):
    size = max_delay + 1  # a ring buffer: history[t % size] holds w_t

    def one(delay):
        def update(carry, example):
            w, history, t = carry
            stale = history[(t - delay) % size]
            cols, a = indices[example], values[example]
            residual = a @ stale[cols] - targets[example]
            w = w.at[cols].add(-step_size * residual * a)
            return (w, history.at[(t + 1) % size].set(w), t + 1), None

        def epoch(carry, epoch_examples):
            carry, _ = lax.scan(update, carry, epoch_examples)
            return carry, _loss(indices, values, targets, carry[0])

        w0 = jnp.zeros(num_features, values.dtype)
        start = (w0, jnp.zeros((size, num_features), values.dtype), jnp.zeros([], jnp.int32))
        _, losses = lax.scan(epoch, start, examples)
        return jnp.concatenate([_loss(indices, values, targets, w0)[None], losses])

    return jax.vmap(one)(delays)


def simulate_delay(problem: SparseLeastSquares, step_size: float, num_epochs: int,
                   delays: list[int] | np.ndarray, seed: int = 0) -> np.ndarray:
    r"""The loss after each epoch when every read is exactly :math:`\tau` writes old.

    Update :math:`t` reads :math:`w_e` from :math:`w_{t-\tau}` (the vector before the last
    :math:`\tau` writes) and writes to the current :math:`w_t`:
    :math:`w_{t+1} = w_t - \gamma\, \nabla f_e\big((w_{t-\tau})_e\big)`. With sparse
    examples the :math:`\tau` missed writes rarely touch :math:`e`, so the read is usually fresh
    anyway; with dense ones it never is. One jitted ``lax.scan``, ``vmap``-ped over the delays;
    the examples come in the same order as in :func:`serial`, so delay 0 is :func:`serial`
    (in float32).

    Returns:
        ``(len(delays), num_epochs + 1)`` losses, from the start (epoch 0).

    Example:
        >>> problem = sparse_least_squares(0, 500, 100, 5)
        >>> losses = simulate_delay(problem, 0.5, 10, [0, 4])
        >>> reference = serial(problem, 0.5, 10, snapshots=10).losses
        >>> losses.shape, bool(np.allclose(losses[0], reference, rtol=1e-3, atol=1e-6))
        ((2, 11), True)
    """
    check_nonnegative("step_size", step_size)
    num_epochs = check_positive_int("num_epochs", num_epochs)
    delays = np.asarray(delays)
    if delays.ndim != 1 or delays.size == 0 or not np.issubdtype(delays.dtype, np.integer):
        raise TypeError(f"delays must be a 1-D list of whole numbers, got {delays!r}")
    check_range("delays", delays, 0)
    examples = _orders(problem, seed, num_epochs).reshape(num_epochs, -1)
    losses = _simulate(jnp.asarray(problem.indices), jnp.asarray(problem.values, jnp.float32),
                       jnp.asarray(problem.targets, jnp.float32), jnp.asarray(examples),
                       problem.num_features, int(delays.max()), step_size,
                       jnp.asarray(delays, jnp.int32))
    return np.asarray(losses)
