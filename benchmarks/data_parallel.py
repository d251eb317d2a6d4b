"""Data-parallel training step (Chapter 5): step time and speed-up against the device count.

Measures :func:`gdlib.parallel.data_parallel.train` (``shard_map``, the whole loop in one ``jit``)
and :func:`gdlib.parallel.data_parallel.sharded_step` (one ``jit``-ted step, partitioned by XLA,
called from Python) on 1, 2, 4, ... devices with the same global batch (strong scaling), against the
same loop on one device with no sharding at all (a ``lax.scan`` under ``jit``, by hand).

The model is an MLP on synthetic data (Gaussian features, random labels: only the speed is
of interest). On a CPU the devices are virtual (``--xla_force_host_platform_device_count``),
so the measurement runs in a child process that sets ``XLA_FLAGS`` before JAX starts; they
share the machine's cores, so the speed-up is bounded by the number of cores, not devices.

Interface assumed (detected by import; skipped with a note when absent):
``data_parallel.data_mesh(num_devices)``,
``data_parallel.train(optimizer, loss_fn, params, x_batches, y_batches, mesh)`` and
``data_parallel.sharded_step(optimizer, loss_fn, mesh)(params, state, x, y)``.

Run alone: ``python -m benchmarks.data_parallel`` (``--quick`` for tiny sizes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import harness

TITLE = "Data-parallel step"
QUICK = {"max_devices": 2, "batch_size": 16, "num_steps": 3, "widths": (8, 16, 4),
         "rounds": 2}


def _child(max_devices: int, batch_size: int, num_steps: int, widths: tuple[int, ...],
           rounds: int) -> dict[str, Any]:
    """In the child process (XLA_FLAGS already set): every measurement, as a plain dict."""
    from functools import partial

    import jax
    import jax.numpy as jnp
    from jax import lax

    import gdlib
    from gdlib.problems import models

    try:
        from gdlib.parallel import data_parallel as dp

        needed = ("data_mesh", "train", "sharded_step")
        missing = [name for name in needed if not hasattr(dp, name)]
        if missing:
            return {"skipped": f"gdlib.parallel.data_parallel has no {', '.join(missing)} "
                               "(the interface this benchmark assumes)"}
    except ImportError as error:
        return {"skipped": f"gdlib.parallel.data_parallel is not available yet ({error})"}

    key_x, key_y, key_p = jax.random.split(jax.random.key(0), 3)
    x = jax.random.normal(key_x, (num_steps, batch_size, widths[0]), jnp.float32)
    y = jax.random.randint(key_y, (num_steps, batch_size), 0, widths[-1])
    params = models.init_mlp(key_p, list(widths))
    optimizer = gdlib.momentum(0.05, 0.9)

    def loss_fn(p, xb, yb):
        return models.softmax_cross_entropy(models.mlp(p, xb), yb)

    @partial(jax.jit, static_argnums=(0, 1))
    def plain(optimizer, loss_fn, params, x, y):
        def step(carry, batch):
            p, s = carry
            loss, grads = jax.value_and_grad(loss_fn)(p, *batch)
            updates, s = optimizer.update(grads, s, p)
            return (gdlib.apply_updates(p, updates), s), loss

        return lax.scan(step, (params, optimizer.init(params)), (x, y))[1]

    def plain_call():
        plain(optimizer, loss_fn, params, x, y).block_until_ready()

    counts = [n for n in (1, 2, 4, 8, 16) if n <= min(max_devices, len(jax.devices()))
              and batch_size % n == 0]
    rows, times = [], {}
    candidates = {"one device, no sharding": plain_call}
    for n in counts:
        mesh = dp.data_mesh(n)

        def train_call(mesh=mesh):
            _, losses = dp.train(optimizer, loss_fn, params, x, y, mesh)
            losses.block_until_ready()

        step = dp.sharded_step(optimizer, loss_fn, mesh)

        def step_call(step=step):
            p, s = params, optimizer.init(params)
            for t in range(num_steps):  # blocking each step (see NOTES: collectives on 2 cores)
                p, s, loss = step(p, s, x[t], y[t])
                loss.block_until_ready()

        candidates[f"train, {n} devices"] = train_call
        candidates[f"sharded_step, {n} devices"] = step_call
    times = harness.compare(candidates, rounds=rounds, warmup=1)
    for name, t in times.items():
        per_step = [s / num_steps for s in t]
        rows.append(harness.row("step", name, per_step))
    ratios = []
    base = times["one device, no sharding"]
    for kind in ("train", "sharded_step"):
        one = times[f"{kind}, 1 devices"]
        ratios.append(harness.figure(f"{kind}, 1 device / no sharding", harness.ratio(one, base)))
        for n in counts[1:]:
            ratios.append(harness.figure(f"{kind}: speed-up on {n} devices",
                                         harness.ratio(one, times[f"{kind}, {n} devices"])))
    return {"rows": rows, "ratios": ratios, "devices": counts,
            "device_kind": jax.devices()[0].device_kind, "backend": jax.default_backend()}


def run(max_devices: int = 8, batch_size: int = 512, num_steps: int = 20,
        widths: tuple[int, ...] = (64, 256, 256, 10), rounds: int = 5) -> dict[str, Any]:
    """Run the measurement in a child process with ``max_devices`` CPU devices."""
    config = {"max_devices": max_devices, "batch_size": batch_size, "num_steps": num_steps,
              "widths": list(widths), "data": "synthetic (Gaussian features, random labels)",
              "optimizer": "momentum(0.05, 0.9)"}
    env = dict(os.environ)  # the flag only adds CPU devices; a GPU machine keeps its GPUs
    flag = f"--xla_force_host_platform_device_count={max_devices}"
    env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {flag}".strip()
    args = {"max_devices": max_devices, "batch_size": batch_size, "num_steps": num_steps,
            "widths": list(widths), "rounds": rounds}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "child.json"
        command = [sys.executable, "-m", "benchmarks.data_parallel", "--child", json.dumps(args),
                   str(out)]
        proc = subprocess.run(command, env=env, cwd=harness.ROOT, capture_output=True,
                              text=True, timeout=1800)
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return harness.skipped("data_parallel", TITLE,
                                   f"the child process failed: {' | '.join(tail)}",
                                   config=config)
        child = json.loads(out.read_text())
    if child.get("skipped"):
        return harness.skipped("data_parallel", TITLE, child["skipped"], config=config)
    config.update(devices=child["devices"], device_kind=child["device_kind"],
                  child_backend=child["backend"])
    notes = [f"Virtual devices share this machine's {os.cpu_count()} cores: beyond that many "
             "devices a speed-up cannot come from more arithmetic, only from smaller, "
             "better-cached slices."] if child["backend"] == "cpu" else []
    return harness.result("data_parallel", TITLE, config=config, rows=child["rows"],
                          ratios=child["ratios"], notes=notes)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        args = json.loads(argv[1])
        args["widths"] = tuple(args["widths"])
        Path(argv[2]).write_text(json.dumps(_child(**args)))
        return {}
    return harness.main_for(run, QUICK, argv)


if __name__ == "__main__":
    main()
