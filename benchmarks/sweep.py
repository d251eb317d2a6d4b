"""Sweep: many learning rates x many steps of momentum on Rosenbrock, in one call.

Three ways to get the same numbers, timed side by side (steady state, after compiling):

* ``gdlib.sweep(gdlib.momentum, ...)``: checks the grid, runs one jitted ``vmap`` of a
  ``lax.scan`` and marks diverged runs; the whole trajectory is kept.
* a hand-written ``jit(vmap(lax.scan))`` doing the same work (trajectory and losses kept):
  the floor for a JAX sweep;
* a numpy Python loop over learning rates and steps: how the sweep looks without JAX
  (timed on a slice of the learning rates and scaled up, as its cost is linear in them).

Then how gdlib's sweep grows from 1 to 10,000 configurations (one compilation per size).

Run alone: ``python -m benchmarks.sweep`` (``--quick`` for tiny sizes).
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import gdlib
from benchmarks import harness

TITLE = "Hyperparameter sweep"
QUICK = {"num_configs": 20, "num_steps": 20, "numpy_configs": 5, "rounds": 3,
         "scaling": (1, 10), "scaling_steps": 20}
MOMENTUM = 0.9


def rosenbrock_numpy(theta: np.ndarray, a: float = 1.0, b: float = 100.0
                     ) -> tuple[float, np.ndarray]:
    """Rosenbrock's value and gradient, by hand, in numpy.

    Example:
        >>> value, grad = rosenbrock_numpy(np.array([1.0, 1.0]))  # the minimum
        >>> value, bool(np.all(grad == 0))
        (0.0, True)
        >>> rosenbrock_numpy(np.array([0.0, 0.0]))[1].tolist()
        [-2.0, 0.0]
    """
    x, y = theta
    value = (a - x) ** 2 + b * (y - x**2) ** 2
    grad = np.array([-2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)])
    return float(value), grad


def numpy_sweep(learning_rates: np.ndarray, start: np.ndarray, num_steps: int
                ) -> np.ndarray:
    """Momentum from ``start`` for each learning rate, a Python loop over rates and steps.

    Returns the final losses (NaN where a run overflowed).
    """
    finals = np.empty(len(learning_rates))
    with np.errstate(over="ignore", invalid="ignore"):
        for i, lr in enumerate(learning_rates):
            theta, velocity = start.astype(np.float32), np.zeros(2, np.float32)
            for _ in range(num_steps):
                _, grad = rosenbrock_numpy(theta)
                velocity = MOMENTUM * velocity + lr * grad
                theta = theta - velocity
            finals[i] = rosenbrock_numpy(theta)[0]
    return finals


@partial(jax.jit, static_argnums=(0, 2))
def hand_written(loss_fn, start: jax.Array, num_steps: int, learning_rates: jax.Array):
    """Momentum for every learning rate: one ``jit(vmap(lax.scan))``, trajectory kept."""
    value_and_grad = jax.value_and_grad(loss_fn)

    def one(lr):
        def step(carry, _):
            theta, velocity = carry
            loss, grad = value_and_grad(theta)
            velocity = MOMENTUM * velocity + lr * grad
            return (theta - velocity, velocity), (theta, loss)

        (last, _), (thetas, losses) = lax.scan(step, (start, jnp.zeros_like(start)),
                                               length=num_steps)
        return (jnp.concatenate([thetas, last[None]]),
                jnp.append(losses, loss_fn(last)))

    return jax.vmap(one)(learning_rates)


def numpy_vectorized(learning_rates: np.ndarray, start: np.ndarray, num_steps: int
                     ) -> np.ndarray:
    """The same momentum runs with numpy arrays over all rates at once, a loop over steps."""
    lrs = learning_rates[:, None].astype(np.float32)
    theta = np.repeat(start[None].astype(np.float32), len(lrs), axis=0)
    velocity = np.zeros_like(theta)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(num_steps):
            x, y = theta[:, 0], theta[:, 1]
            grad = np.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], axis=1)
            velocity = MOMENTUM * velocity + lrs * grad
            theta = theta - velocity
        x, y = theta[:, 0], theta[:, 1]
        return (1 - x) ** 2 + 100 * (y - x**2) ** 2


#: gdlib's sweep in parts: the host-side grid checks and the compiled call alone.
PARTS = ("grid checks (host)", "compiled sweep alone",
         "compiled sweep, no divergence marking")


def gdlib_parts(surface, start, num_steps, lrs) -> dict[str, Any]:
    """Callables for :data:`PARTS`, from gdlib.train.runner's internals (empty if they moved)."""
    from gdlib.train import runner

    if not (hasattr(runner, "checked_grid") and hasattr(runner, "_sweep")):
        return {}
    grid = {"learning_rate": lrs, "momentum": MOMENTUM}
    checked = runner.checked_grid(gdlib.momentum, start, grid)

    def checks():
        runner.checked_grid(gdlib.momentum, start, grid)

    def compiled():
        runner._sweep(gdlib.momentum, surface, start, num_steps, checked,
                      np.inf).losses.block_until_ready()

    @partial(jax.jit, static_argnums=(0, 1, 3))
    def unmarked_sweep(make_optimizer, loss_fn, params, num_steps, hyperparams):
        return jax.vmap(lambda hp: runner._scan(make_optimizer(**hp), loss_fn, params,
                                                num_steps))(hyperparams)

    def unmarked():
        unmarked_sweep(gdlib.momentum, surface, start, num_steps, checked)[1] \
            .block_until_ready()

    try:
        compiled()
        unmarked()
    except (TypeError, AttributeError):  # a changed private signature: measure the rest
        return {}
    return {PARTS[0]: checks, PARTS[1]: compiled, PARTS[2]: unmarked}


def learning_rates(num_configs: int) -> np.ndarray:
    """Log-spaced rates from 1e-6 to 1e-2 (the larger ones diverge on Rosenbrock)."""
    return np.geomspace(1e-6, 1e-2, num_configs).astype(np.float32)


def gdlib_call(surface, start, num_steps, lrs):
    def call():
        runs = gdlib.sweep(gdlib.momentum, surface, start, num_steps,
                           learning_rate=lrs, momentum=MOMENTUM)
        runs.losses.block_until_ready()
        return runs

    return call


def run(num_configs: int = 1000, num_steps: int = 500, numpy_configs: int = 50,
        rounds: int = 20, scaling: tuple[int, ...] = (1, 10, 100, 1000, 10_000),
        scaling_steps: int = 500) -> dict[str, Any]:
    """Time the three sweeps and the scaling curve; see the module docstring."""
    surface = gdlib.problems.surfaces.rosenbrock()
    start = jnp.asarray(surface.start, jnp.float32)
    lrs = learning_rates(num_configs)
    lrs_jax = jnp.asarray(lrs)

    ours = gdlib_call(surface, start, num_steps, lrs)

    def theirs():
        thetas, losses = hand_written(surface, start, num_steps, lrs_jax)
        losses.block_until_ready()

    compile_s = {}
    for name, fn in {"gdlib": ours, "hand-written": theirs}.items():
        t0 = time.perf_counter()
        fn()
        compile_s[name] = time.perf_counter() - t0
    # The same numbers: gdlib's losses equal the hand-written ones where both are finite.
    runs = ours()
    _, ref_losses = hand_written(surface, start, num_steps, lrs_jax)
    finite = np.isfinite(np.asarray(runs.losses)) & np.isfinite(np.asarray(ref_losses))
    agree = bool(np.allclose(np.asarray(runs.losses)[finite], np.asarray(ref_losses)[finite],
                             rtol=1e-4, atol=1e-6))
    candidates = {"gdlib": ours, "hand-written": theirs}
    candidates.update(gdlib_parts(surface, start, num_steps, lrs))
    times = harness.compare(candidates, rounds=rounds)

    subset = lrs[np.linspace(0, num_configs - 1, numpy_configs).astype(int)]
    numpy_start = np.asarray(surface.start, np.float32)
    numpy_each = harness.samples(lambda: numpy_sweep(subset, numpy_start, num_steps),
                                 rounds=max(1, rounds // 10), warmup=0)
    numpy_times = [t * num_configs / numpy_configs for t in numpy_each]
    vectorized = harness.samples(lambda: numpy_vectorized(lrs, numpy_start, num_steps),
                                 rounds=max(1, rounds // 4), warmup=0)
    gdlib_median = float(np.median(times["gdlib"]))
    numpy_median = float(np.median(numpy_times))

    rows = [harness.row("sweep", "gdlib.sweep", times["gdlib"], compile_s=compile_s["gdlib"]),
            harness.row("sweep", "jit(vmap(lax.scan)) by hand", times["hand-written"],
                        compile_s=compile_s["hand-written"]),
            harness.row("sweep", "numpy Python loop (scaled)", numpy_times,
                        measured_configs=numpy_configs),
            harness.row("sweep", "numpy, vectorized over rates, loop over steps", vectorized)]
    for part in PARTS:
        if part in times:
            rows.append(harness.row("gdlib parts", part, times[part]))
    scale_rows = []
    for n in scaling:
        call = gdlib_call(surface, start, scaling_steps, learning_rates(n))
        t0 = time.perf_counter()
        call()
        first = time.perf_counter() - t0
        t = harness.samples(call, rounds=max(3, rounds // 4), warmup=1)
        scale_rows.append(harness.row("scaling", f"{n} configs", t, configs=n, compile_s=first,
                                      per_config_us=float(np.median(t)) / n * 1e6))
    rows += scale_rows
    small, large = scale_rows[0], scale_rows[-1]
    ratios = [
        harness.figure("gdlib / hand-written jit(vmap(scan))",
                       harness.ratio(times["gdlib"], times["hand-written"]),
                       harness.target("<=", 1.2)),
        harness.figure("numpy loop / gdlib (speed-up)", numpy_median / gdlib_median,
                       harness.target(">=", 1000.0)),
        harness.figure(f"time growth {small['configs']} -> {large['configs']} configs",
                       large["median_ms"] / small["median_ms"],
                       note=f"{large['configs'] // small['configs']}x more configurations"),
    ]
    if PARTS[2] in times:
        ratios.insert(1, harness.figure("gdlib's loop without divergence marking / hand-written",
                                        harness.ratio(times[PARTS[2]], times["hand-written"]),
                                        note="what the marking of diverged runs costs"))
    notes = [f"gdlib's and the hand-written sweep's losses agree: {agree}",
             f"{int(np.sum(np.asarray(runs.diverged)))} of {num_configs} runs diverged "
             "(reported, not an error)"]
    config = {"num_configs": num_configs, "num_steps": num_steps, "optimizer": "momentum 0.9",
              "surface": "rosenbrock", "numpy_configs_measured": numpy_configs,
              "scaling_steps": scaling_steps}
    return harness.result("sweep", TITLE, config=config, rows=rows, ratios=ratios, notes=notes)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return harness.main_for(run, QUICK, argv)


if __name__ == "__main__":
    main()
