"""First call: what a learner waits for before the first answer (imports and compilation).

For each of gdlib's main jitted entry points, the first call (trace + compile + run, after
``jax.clear_caches()``) against the second call with the same shapes (run only), and against
a peer where there is one: the same computation written directly with ``jax.jit`` or optax,
or (for ``tuning.compare``, compiled with :func:`gdlib.train.compilation.quick_jit`) the same
function under plain ``jax.jit``. Imports
are timed in fresh interpreters: ``import gdlib`` against ``import jax``, which it needs anyway.

Run alone: ``python -m benchmarks.first_call`` (``--quick`` for tiny sizes).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import gdlib
from benchmarks import harness

TITLE = "First call"
QUICK = {"import_rounds": 1, "sweep_configs": 10, "num_steps": 20, "step_params": 1000,
         "training": False}


def first_and_next(call: Callable[[], Any]) -> tuple[float, float]:
    """Seconds for a first call after clearing JAX's caches, and for the call after it."""
    jax.clear_caches()
    t0 = time.perf_counter()
    jax.block_until_ready(call())
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    jax.block_until_ready(call())
    return first, time.perf_counter() - t0


def import_time(module: str, rounds: int) -> list[float]:
    """Wall time of ``python -c 'import MODULE'`` in fresh interpreters (JAX on the CPU)."""
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True, cwd=harness.ROOT)
        times.append(time.perf_counter() - t0)
    return times


def _optimizer_step(optimizer, params):
    def step(params, state, grads):
        updates, state = optimizer.update(grads, state, params)
        return gdlib.apply_updates(params, updates), state

    state = optimizer.init(params)
    return lambda: jax.jit(step)(params, state, params)


def _compare(loss: Callable, digits: Any, grid_over_seeds: Callable) -> Callable:
    """The chapter "Which optimizer to choose"'s tuning of Adam, run by ``grid_over_seeds``.

    gdlib compiles it with :func:`gdlib.train.compilation.quick_jit`; the peer is the same function
    under plain ``jax.jit`` (XLA's full optimization).
    """
    from gdlib.problems import models
    from gdlib.train import tuning

    def init(key):
        return models.init_mlp(key, [digits.x_train.shape[1], 32, 10])

    def call():
        original, tuning._grid_over_seeds = tuning._grid_over_seeds, grid_over_seeds
        try:
            return tuning.compare({"adam": gdlib.adam}, loss, init, digits,
                                  learning_rates=np.geomspace(1e-3, 3.0, 13), num_epochs=10,
                                  batch_size=32, num_seeds=3)[0].val_curves
        finally:
            tuning._grid_over_seeds = original

    return call


def entry_points(sweep_configs: int, num_steps: int, step_params: int, training: bool = True
                 ) -> dict[str, tuple[Callable, Callable | None]]:
    """name -> (gdlib's call, the same computation by hand or in optax, or None)."""
    import optax

    from benchmarks.sweep import MOMENTUM, hand_written, learning_rates

    bowl = gdlib.problems.surfaces.quadratic_bowl(condition_number=10.0)
    banana = gdlib.problems.surfaces.rosenbrock()
    start = jnp.asarray(banana.start, jnp.float32)
    lrs = learning_rates(sweep_configs)
    params = jnp.zeros(step_params, jnp.float32)
    sgd = gdlib.sgd(0.05)  # the same object each call: a new one would compile anew
    points = {
        "gdlib.run (sgd, bowl)": (lambda: gdlib.run(sgd, bowl, bowl.start, num_steps).losses,
                                  None),
        "gdlib.sweep (momentum, rosenbrock)": (
            lambda: gdlib.sweep(gdlib.momentum, banana, start, num_steps, learning_rate=lrs,
                                momentum=MOMENTUM).losses,
            lambda: hand_written(banana, start, num_steps, jnp.asarray(lrs))[1]),
        "adam step (jit)": (_optimizer_step(gdlib.adam(1e-3), params),
                            _optimizer_step(optax.adam(1e-3), params)),
    }
    if not training:
        return points
    try:
        from gdlib.problems import data, models
        from gdlib.train import training as train_module
        from gdlib.train import tuning
        digits = data.digits(jax.random.key(0))
        mlp = models.init_mlp(jax.random.key(1), [digits.x_train.shape[1], 32, 10])

        def loss(p, x, y):
            return models.softmax_cross_entropy(models.mlp(p, x), y)

        adam = gdlib.adam(1e-3)

        points["training.train (mlp, digits, 2 epochs)"] = (
            lambda: train_module.train(adam, loss, mlp, digits, key=jax.random.key(2),
                                   num_epochs=2, batch_size=64).train_losses, None)
        points["tuning.compare (adam, mlp, 13 rates x 4 seeds)"] = (
            _compare(loss, digits, tuning._grid_over_seeds),
            _compare(loss, digits, jax.jit(tuning._grid_over_seeds.__wrapped__,
                                           static_argnums=(0, 1, 2, 5, 6))))
    except (ImportError, AttributeError, TypeError) as error:
        points["training.train"] = (None, str(error))
    return points


def run(import_rounds: int = 3, sweep_configs: int = 1000, num_steps: int = 500,
        step_params: int = 10_000_000, training: bool = True) -> dict[str, Any]:
    """Import, compile and first-call times; see the module docstring."""
    rows, ratios, notes = [], [], []
    imports = {m: import_time(m, import_rounds) for m in ("jax", "gdlib")}
    for module, times in imports.items():
        rows.append(harness.row("import", f"import {module}", times))
    ratios.append(harness.figure("import gdlib / import jax",
                                 float(np.median(imports["gdlib"]) / np.median(imports["jax"]))))
    for name, (ours, peer) in entry_points(sweep_configs, num_steps, step_params,
                                                  training).items():
        if ours is None:
            notes.append(f"{name}: not measured ({peer})")
            continue
        first, then = first_and_next(ours)
        rows.append(harness.row(name, "gdlib", None, first_call_ms=first * 1e3,
                                next_call_ms=then * 1e3, median_ms=first * 1e3))
        ratios.append(harness.figure(f"{name}: first call", first * 1e3, unit="ms"))
        ratios.append(harness.figure(f"{name}: first / next call", first / then))
        if peer is not None:
            peer_first, peer_then = first_and_next(peer)
            rows.append(harness.row(name, "peer", None, first_call_ms=peer_first * 1e3,
                                    next_call_ms=peer_then * 1e3, median_ms=peer_first * 1e3))
            ratios.append(harness.figure(f"{name}: first call, gdlib / peer", first / peer_first))
    config = {"import_rounds": import_rounds, "sweep_configs": sweep_configs,
              "num_steps": num_steps, "step_params": step_params}
    notes.append("One first call each (after jax.clear_caches()): compile times vary by "
                 "some 10-20% from run to run.")
    return harness.result("first_call", TITLE, config=config, rows=rows, ratios=ratios,
                          notes=notes)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return harness.main_for(run, QUICK, argv)


if __name__ == "__main__":
    main()
