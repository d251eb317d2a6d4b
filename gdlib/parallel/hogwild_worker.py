"""The loop a Hogwild! worker process runs: per-example sparse SGD on shared memory, no lock.

This file imports only NumPy and the standard library, never JAX or the rest of gdlib, because
:func:`gdlib.parallel.hogwild.run` starts each worker with the ``spawn`` method and executes this
file with :func:`runpy.run_path`: a worker starts in a fraction of a second, and no JAX runtime
(whose threads do not survive ``fork``) exists in it. The loop is plain NumPy on purpose as well:
one example's update touches a handful of numbers, and dispatching a jitted JAX call per example
would cost far more than the update itself.

Each update reads the few coordinates its example touches, computes the residual and writes
those coordinates back. Without a lock another process may write the same coordinates in
between: it may read a value that is about to change, and ``w[cols] -= ...`` (a gather, then a
scatter) may overwrite a concurrent write. Hogwild! accepts both, betting that with sparse data
such collisions are rare.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np


def sgd_updates(w: np.ndarray, indices: np.ndarray, values: np.ndarray, targets: np.ndarray,
                examples: np.ndarray, step_size: float, lock: Any = None,
                progress: np.ndarray | None = None, report_every: int = 256,
                writes: np.ndarray | None = None) -> None:
    r"""Least-squares SGD, one example at a time, in place on ``w``.

    For example :math:`i` with non-zero columns :math:`e` and values :math:`a`:
    :math:`w_e \leftarrow w_e - \gamma\,(a^\top w_e - y_i)\, a`.

    Args:
        w: the parameters (a view of shared memory in a worker process).
        indices, values, targets: the problem, ``(n, k)``, ``(n, k)``, ``(n,)``.
        examples: the example of each update, in order.
        step_size: :math:`\gamma`.
        lock: held around each read-compute-write if given (the locked baseline).
        progress: a 1-element array that receives the number of updates done, every
            ``report_every`` updates and at the end.
        writes: if given, a count per coordinate that every update raises by one where it
            writes, with the same unlocked gather and scatter as ``w``: the counts it loses
            are the writes that concurrent processes overwrote.

    Example:
        >>> import numpy as np
        >>> w = np.zeros(3)
        >>> sgd_updates(w, np.array([[0, 2]]), np.array([[1.0, 1.0]]), np.array([2.0]),
        ...             np.zeros(50, int), 0.25)
        >>> np.round(w, 6).tolist()
        [1.0, 0.0, 1.0]
    """
    for count, i in enumerate(examples, start=1):
        cols, a = indices[i], values[i]
        if lock is not None:
            lock.acquire()
        residual = a @ w[cols] - targets[i]
        w[cols] -= step_size * residual * a
        if writes is not None:
            writes[cols] += 1
        if lock is not None:
            lock.release()
        if progress is not None and count % report_every == 0:
            progress[0] = count
    if progress is not None:
        progress[0] = len(examples)


def work(job: dict[str, Any]) -> None:
    """One worker process: attach to the shared arrays, wait for the others, run, record times.

    ``job`` holds the shared ``RawArray``s ``w``, ``writes`` (a count per coordinate),
    ``progress``, ``clock`` (start and end time of every worker) and ``pids`` (every worker's
    process id), the problem arrays, this worker's ``rank``, its ``examples``, the
    ``step_size``, the ``lock`` (or None) and the ``barrier`` all workers start from.
    """
    np.frombuffer(job["pids"], dtype=np.int64)[job["rank"]] = os.getpid()
    w = np.frombuffer(job["w"], dtype=np.float64)
    progress = np.frombuffer(job["progress"], dtype=np.int64)[job["rank"]:job["rank"] + 1]
    clock = np.frombuffer(job["clock"], dtype=np.float64).reshape(-1, 2)
    job["barrier"].wait(timeout=120)  # raises if a sibling died or the parent gave up
    clock[job["rank"], 0] = time.perf_counter()
    writes = np.frombuffer(job["writes"], dtype=np.int64)
    sgd_updates(w, job["indices"], job["values"], job["targets"], job["examples"],
                job["step_size"], job["lock"], progress, writes=writes)
    clock[job["rank"], 1] = time.perf_counter()


if __name__ == "__hogwild_worker__":  # executed by runpy.run_path in a spawned process
    work(JOB)  # noqa: F821 (JOB is passed in by runpy.run_path's init_globals)
