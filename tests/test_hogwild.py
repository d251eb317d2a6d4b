"""Hogwild!: the sparse problem, the NumPy loop, real worker processes, the delay simulation."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gdlib.parallel import hogwild, hogwild_worker


@pytest.fixture(scope="module")
def problem():
    return hogwild.sparse_least_squares(0, num_examples=400, num_features=200, nonzeros=4)


def test_the_problem_is_sparse_seeded_and_consistent(problem):
    assert problem.indices.shape == (400, 4) and problem.density == 4 / 200
    assert np.all(np.diff(problem.indices, axis=1) > 0)  # sorted, no column twice
    assert np.all(problem.values > 0)
    np.testing.assert_allclose(np.linalg.norm(problem.values, axis=1), 1.0)
    assert hogwild.loss(problem, problem.solution) == pytest.approx(0.0, abs=1e-25)
    again = hogwild.sparse_least_squares(0, num_examples=400, num_features=200, nonzeros=4)
    np.testing.assert_array_equal(again.indices, problem.indices)
    other = hogwild.sparse_least_squares(1, num_examples=400, num_features=200, nonzeros=4)
    assert not np.array_equal(other.indices, problem.indices)


def test_the_loss_is_half_the_mean_squared_residual(problem):
    w = np.random.default_rng(0).normal(size=200)
    dense = np.zeros((400, 200))
    np.put_along_axis(dense, problem.indices, problem.values, axis=1)
    assert hogwild.loss(problem, w) == pytest.approx(0.5 * np.mean((dense @ w
                                                                    - problem.targets) ** 2))


def test_sparsity_statistics_match_a_brute_force_count(problem):
    stats = hogwild.sparsity(problem)
    sets = [set(row) for row in problem.indices.tolist()]
    delta = max(sum(v in s for s in sets) for v in range(200)) / 400
    rho = max(sum(bool(s & t) for t in sets) for s in sets) / 400
    assert stats == {"Omega": 4, "Delta": pytest.approx(delta), "rho": pytest.approx(rho)}


def test_the_worker_loop_is_sgd_on_one_example_at_a_time(problem):
    w = np.zeros(200)
    examples = np.array([3, 7, 3, 0])
    hogwild_worker.sgd_updates(w, problem.indices, problem.values, problem.targets, examples,
                               0.7)
    expected = np.zeros(200)
    for i in examples:
        a = np.zeros(200)
        a[problem.indices[i]] = problem.values[i]
        expected -= 0.7 * (a @ expected - problem.targets[i]) * a
    np.testing.assert_allclose(w, expected, rtol=1e-14, atol=1e-15)


def test_serial_converges_and_records_every_snapshot(problem):
    run = hogwild.serial(problem, 0.5, num_epochs=20, snapshots=10)
    assert run.updates.tolist() == [i * 800 for i in range(11)]
    assert run.losses[-1] < 1e-3 * run.losses[0]
    assert np.all(np.diff(run.seconds) >= 0) and run.updates_per_second > 0
    assert run.worker_pids.tolist() == [os.getpid()]


def test_one_worker_process_computes_exactly_what_serial_computes(problem):
    run = hogwild.run(problem, 0.5, num_epochs=5, num_workers=1)
    np.testing.assert_array_equal(run.weights, hogwild.serial(problem, 0.5, 5).weights)
    assert run.worker_pids[0] != os.getpid()


@pytest.mark.parametrize("lock", [False, True])
def test_several_processes_share_one_vector_and_converge(lock):
    problem = hogwild.sparse_least_squares(1, num_examples=2000, num_features=1000, nonzeros=5)
    run = hogwild.run(problem, 0.5, num_epochs=30, num_workers=2, lock=lock)
    pids = run.worker_pids.tolist()
    assert len(set(pids)) == 2 and os.getpid() not in pids  # two processes, not this one
    (start0, end0), (start1, end1) = run.worker_seconds
    assert max(start0, start1) < min(end0, end1)  # their work overlapped in time
    assert run.updates[0] == 0 and run.updates[-1] == 60_000
    assert np.all(np.diff(run.updates) >= 0) and np.all(np.diff(run.seconds) >= 0)
    assert run.losses[-1] < 1e-4 * run.losses[0]
    assert 0 <= run.lost_writes <= 60_000 * 5
    if lock:
        assert run.lost_writes == 0  # the count is raised inside the lock


def test_the_write_count_is_exact_without_concurrency(problem):
    writes = np.zeros(problem.num_features, dtype=np.int64)
    w = np.zeros(problem.num_features)
    examples = np.arange(problem.indices.shape[0])
    hogwild_worker.sgd_updates(w, problem.indices, problem.values, problem.targets, examples,
                               0.5, writes=writes)
    assert writes.sum() == problem.indices.size
    assert hogwild.run(problem, 0.5, num_epochs=2, num_workers=1).lost_writes == 0
    assert hogwild.serial(problem, 0.5, 2).lost_writes == 0


def test_the_worker_file_imports_neither_jax_nor_gdlib():
    tree = ast.parse(Path(hogwild_worker.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "os", "time", "typing", "numpy"}
    code = ("import runpy, sys; runpy.run_path(sys.argv[1]); "
            "print(sorted(m for m in ('jax', 'gdlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, hogwild_worker.__file__],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_delay_zero_is_serial_sgd(problem):
    losses = hogwild.simulate_delay(problem, 0.5, 6, [0])
    reference = hogwild.serial(problem, 0.5, 6, snapshots=6).losses
    np.testing.assert_allclose(losses[0], reference, rtol=1e-4, atol=1e-7)


def test_stale_reads_hurt_dense_data_and_spare_sparse_data():
    sparse = hogwild.sparse_least_squares(0, 600, 300, 3)
    dense = hogwild.sparse_least_squares(0, 600, 300, 300)
    sparse_losses = hogwild.simulate_delay(sparse, 0.5, 8, [0, 16])[:, -1]
    dense_losses = hogwild.simulate_delay(dense, 0.5, 8, [0, 16])[:, -1]
    assert sparse_losses[1] < 1.2 * sparse_losses[0]
    assert not dense_losses[1] < 100 * dense_losses[0]  # diverged (inf or nan) or far worse


@pytest.mark.parametrize(("call", "message"), [
    (lambda: hogwild.sparse_least_squares(0, 10, 5, 6), r"nonzeros must be in \[1, 5\], got 6"),
    (lambda: hogwild.sparse_least_squares(0, 10, 5, 2, noise=-1.0), "noise must be"),
    (lambda: hogwild.run(hogwild.sparse_least_squares(0, 10, 5, 2), 0.1, 1, 0),
     "num_workers must be a whole number >= 1, got 0"),
    (lambda: hogwild.serial(hogwild.sparse_least_squares(0, 10, 5, 2), -0.1, 1),
     "step_size must be a finite number >= 0, got -0.1"),
    (lambda: hogwild.simulate_delay(hogwild.sparse_least_squares(0, 10, 5, 2), 0.1, 1, [-1]),
     "delays must be"),
    (lambda: hogwild.simulate_delay(hogwild.sparse_least_squares(0, 10, 5, 2), 0.1, 1, [0.5]),
     "delays must be a 1-D list of whole numbers"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_epochs_lasting_sizes_a_run_from_its_speed():
    assert hogwild.epochs_lasting(1.2, 50_000.0, 2000) == 30  # 60,000 updates at 50,000/s
    assert hogwild.epochs_lasting(0.0, 50_000.0, 2000, minimum=3) == 3
    with pytest.raises(ValueError):
        hogwild.epochs_lasting(-1.0, 1.0, 10)


def test_summary_gives_speed_seconds_and_loss_per_repeat(problem):
    runs = [hogwild.serial(problem, 0.5, 2) for _ in range(3)]
    table = hogwild.summary(runs, runs[0].updates_per_second)
    assert table["speed"][0] == 1.0
    np.testing.assert_array_equal(table["loss"], [r.losses[-1] for r in runs])
    assert np.all(table["seconds"] > 0)
