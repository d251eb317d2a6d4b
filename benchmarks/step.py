"""Optimizer step: gdlib vs optax vs ``torch.optim`` on one large float32 parameter vector.

Each JAX candidate is ``jit(step, donate_argnums=(0, 1))`` with
``step(params, state, grads) -> (params, state)``, so parameters and state are updated in
place, as PyTorch's optimizers update theirs. PyTorch runs ``optimizer.step()`` in its three
implementations: the default (a loop over tensors), ``foreach=True`` (multi-tensor kernels) and
``fused=True`` (one kernel that reads each array once and writes it once).

An element-wise optimizer step is bound by memory bandwidth, not arithmetic: the *bound*
is the bytes a step must move (read parameters, gradient and state; write parameters and
state) divided by the machine's copy bandwidth, measured here in the same run. XLA's own
plan of the step (its cost analysis: the bytes its fused loops read and write) says how far
above that floor a JAX step must stay.

Run alone: ``python -m benchmarks.step`` (``--quick`` for tiny sizes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import gdlib
from benchmarks import harness

TITLE = "Optimizer step"
QUICK = {"num_params": 10_000, "rounds": 3, "number": 1}

#: The optimizers measured: how each library spells the same rule (see gdlib's docstrings).
#: ``arrays``: the arrays a step must read (r) and write (w) besides the gradient, per
#: parameter: params + state read, params + state written.
CASES: dict[str, dict[str, Any]] = {
    "adam": {"state_arrays": 2, "lr": 1e-3},
    "momentum": {"state_arrays": 1, "lr": 1e-3},
    "adagrad": {"state_arrays": 1, "lr": 1e-2},
}


def gdlib_optimizer(case: str, lr: float):
    return {"adam": lambda: gdlib.adam(lr),
            "momentum": lambda: gdlib.momentum(lr, momentum=0.9),
            "adagrad": lambda: gdlib.adagrad(lr, eps=1e-8)}[case]()


def optax_optimizer(case: str, lr: float):
    import optax

    return {"adam": lambda: optax.adam(lr),
            "momentum": lambda: optax.sgd(lr, momentum=0.9),
            "adagrad": lambda: optax.adagrad(lr, initial_accumulator_value=0.0, eps=1e-8),
            }[case]()


def torch_optimizer(case: str, lr: float, param, **kwargs):
    import torch

    if case == "adam":
        return torch.optim.Adam([param], lr=lr, **kwargs)
    if case == "momentum":
        return torch.optim.SGD([param], lr=lr, momentum=0.9, **kwargs)
    return torch.optim.Adagrad([param], lr=lr, eps=1e-8, **kwargs)


def min_bytes(num_params: int, state_arrays: int, itemsize: int = 4) -> int:
    """Bytes one step must move at least: read params, grads, state; write params, state.

    Example:
        >>> min_bytes(10, state_arrays=2)  # Adam: read 4 arrays, write 3
        280
    """
    return (2 + state_arrays + 1 + state_arrays) * num_params * itemsize


def jax_step(optimizer, *, donate: bool = True) -> Callable:
    """``jit(step)`` with params and state donated: ``step(params, state, grads)``."""
    def step(params, state, grads):
        updates, state = optimizer.update(grads, state, params)
        return gdlib.apply_updates(params, updates), state

    return jax.jit(step, donate_argnums=(0, 1) if donate else ())


class JaxRunner:
    """Calls a jitted step on its own params and state, blocking until it is done."""

    def __init__(self, optimizer, num_params: int, *, donate: bool = True, seed: int = 0):
        key_p, key_g = jax.random.split(jax.random.key(seed))
        self.params = jax.random.normal(key_p, (num_params,), jnp.float32)
        self.grads = jax.random.normal(key_g, (num_params,), jnp.float32)
        self.state = optimizer.init(self.params)
        self.step = jax_step(optimizer, donate=donate)
        self.compiled = self.step.lower(self.params, self.state, self.grads).compile()

    def __call__(self) -> None:
        self.params, self.state = self.step(self.params, self.state, self.grads)
        self.params.block_until_ready()

    def xla_bytes(self) -> float | None:
        """Bytes XLA's compiled step reads and writes (its cost analysis), if it says."""
        cost = self.compiled.cost_analysis()
        cost = cost[0] if isinstance(cost, list | tuple) else cost
        return float(cost["bytes accessed"]) if cost and "bytes accessed" in cost else None

    def hlo_has_float64(self) -> bool:
        return "f64[" in self.compiled.as_text()

    def cache_size(self) -> int | None:
        size = getattr(self.step, "_cache_size", None)
        return size() if size else None


def torch_runner(case: str, lr: float, num_params: int, device: str, **kwargs) -> Callable:
    import torch

    generator = torch.Generator().manual_seed(0)
    param = torch.nn.Parameter(torch.randn(num_params, generator=generator).to(device))
    param.grad = torch.randn(num_params, generator=generator).to(device)
    optimizer = torch_optimizer(case, lr, param, **kwargs)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def call():
        optimizer.step()
        sync()

    call()
    return call


def copy_bandwidth(num_params: int, rounds: int, number: int) -> tuple[float, list[dict]]:
    """The best of a few ways to stream ``num_params`` float32 through memory, in bytes/s.

    Counts bytes read plus bytes written. On CPU: ``numpy.copyto`` (one thread), a jitted
    ``x * c`` (XLA, all threads), ``torch.Tensor.copy_``; on a GPU the last two on the device.
    """
    candidates: dict[str, Callable] = {}
    if jax.default_backend() == "cpu":
        a = np.random.default_rng(0).standard_normal(num_params, dtype=np.float32)
        b = np.empty_like(a)
        candidates["numpy copyto"] = lambda: np.copyto(b, a)
    x = jnp.ones(num_params, jnp.float32)
    scale = jax.jit(lambda x: x * 1.000001, donate_argnums=0)
    box = [x]

    def jax_scale():
        box[0] = scale(box[0])
        box[0].block_until_ready()

    candidates["jax x*c (donated)"] = jax_scale
    try:
        import torch

        device = torch_device()
        src = torch.ones(num_params, device=device)
        dst = torch.empty_like(src)
        sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

        def torch_copy():
            dst.copy_(src)
            sync()

        candidates["torch copy_"] = torch_copy
    except ImportError:
        pass
    times = harness.compare(candidates, rounds=rounds, number=number)
    nbytes = 2 * 4 * num_params
    rows = [harness.row("copy", name, t, bandwidth_GBps=nbytes / min(t) / 1e9)
            for name, t in times.items()]
    return max(nbytes / min(t) for t in times.values()), rows


def torch_device() -> str:
    """``cuda`` when JAX runs on a GPU and PyTorch sees one, else ``cpu``."""
    import torch

    return "cuda" if jax.default_backend() == "gpu" and torch.cuda.is_available() else "cpu"


def run(num_params: int = 10_000_000, rounds: int = 15, number: int = 3,
        cases: tuple[str, ...] = ("adam", "momentum", "adagrad")) -> dict[str, Any]:
    """Measure every optimizer in ``cases`` with every library, interleaved; see the module."""
    rows: list[dict] = []
    ratios: list[dict] = []
    notes: list[str] = []
    bandwidth, copy_rows = copy_bandwidth(num_params, rounds, number)
    rows += copy_rows
    try:
        import torch  # noqa: F401

        device = torch_device()
        torch_variants = {"torch default": {}, "torch foreach": {"foreach": True},
                          "torch fused": {"fused": True}}
    except ImportError:
        device, torch_variants = None, {}
        notes.append("PyTorch is not installed: no torch.optim comparison.")
    for case in cases:
        lr = CASES[case]["lr"]
        gd = JaxRunner(gdlib_optimizer(case, lr), num_params)
        ox = JaxRunner(optax_optimizer(case, lr), num_params)
        candidates: dict[str, Callable] = {"gdlib": gd, "optax": ox}
        candidates["gdlib, no donation"] = JaxRunner(gdlib_optimizer(case, lr), num_params,
                                                     donate=False)
        for name, kwargs in torch_variants.items():
            try:
                candidates[name] = torch_runner(case, lr, num_params, device, **kwargs)
            except (RuntimeError, TypeError, ValueError) as error:
                notes.append(f"{case}: {name} unavailable ({error})")
        # Two groups, each interleaved: JAX against JAX, then gdlib against PyTorch (whose
        # worker threads would otherwise share the cores with XLA's between calls).
        jax_names = ["gdlib", "optax", "gdlib, no donation"]
        times = harness.compare({k: candidates[k] for k in jax_names}, rounds=rounds,
                                number=number)
        torch_times = harness.compare({k: v for k, v in candidates.items()
                                       if k not in jax_names[1:]}, rounds=rounds, number=number,
                                      seed=1)
        times.update({k: v for k, v in torch_times.items() if k != "gdlib"})
        nbytes = min_bytes(num_params, CASES[case]["state_arrays"])
        bound_ms = nbytes / bandwidth * 1e3
        for name, t in times.items():
            extra: dict[str, Any] = {}
            if isinstance(candidates[name], JaxRunner):
                runner = candidates[name]
                extra = {"xla_bytes": runner.xla_bytes(), "float64": runner.hlo_has_float64(),
                         "compilations": runner.cache_size()}
            rows.append(harness.row(case, name, t, **extra))
        rows.append({"case": case, "name": "memory bound", "median_ms": bound_ms,
                     "min_ms": bound_ms, "bytes": nbytes})
        ratios.append(harness.figure(f"{case}: gdlib / optax",
                                     harness.ratio(times["gdlib"], times["optax"]),
                                     harness.target("<=", 1.05)))
        for name in torch_variants:
            if name in times:
                goal = harness.target("<=", 1.0) if (case, name) == ("adam", "torch fused") \
                    else None
                ratios.append(harness.figure(f"{case}: gdlib / {name}",
                                             harness.ratio(torch_times["gdlib"], times[name]),
                                             goal))
        # Best against best: the bound is what the fastest copy achieved.
        ratios.append(harness.figure(f"{case}: gdlib / memory bound (fastest runs)",
                                     min(times["gdlib"]) * 1e3 / bound_ms))
        ratios.append(harness.figure(f"{case}: gdlib donated / not donated",
                                     harness.ratio(times["gdlib"], times["gdlib, no donation"])))
        xla_bytes = gd.xla_bytes()
        if xla_bytes:
            notes.append(f"{case}: XLA's compiled step moves {xla_bytes / nbytes:.2f}x the "
                         f"minimum bytes ({xla_bytes / 1e6:.0f} MB vs {nbytes / 1e6:.0f} MB); "
                         f"optax's {ox.xla_bytes() / 1e6:.0f} MB.")
        if gd.hlo_has_float64():
            notes.append(f"{case}: gdlib's compiled step contains float64 arrays.")
    notes.append(f"copy bandwidth (best of {len(copy_rows)} ways, read + write): "
                 f"{bandwidth / 1e9:.1f} GB/s")
    config = {"num_params": num_params, "dtype": "float32", "rounds": rounds, "number": number,
              "torch_device": device, "bandwidth_GBps": bandwidth / 1e9}
    return harness.result("step", TITLE, config=config, rows=rows, ratios=ratios, notes=notes)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return harness.main_for(run, QUICK, argv)


if __name__ == "__main__":
    main()
