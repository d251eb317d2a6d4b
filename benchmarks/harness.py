"""Timing side by side: interleaved rounds, ratios per round, results as plain dicts.

These machines are noisy (other work shares the cores, clocks drift), so an absolute time
means little and a ratio measured in the same process means a lot. :func:`compare` runs every
candidate once per round, in rotating order, for many rounds; :func:`ratio` is the median over
rounds of the per-round ratio, so that a slow patch of the machine slows both sides of it.

A benchmark's result is a JSON-ready dict made by :func:`result`:

* ``rows``: one measurement each (``case``, ``name``, ``median_ms``, ``min_ms``, ...),
* ``ratios``: the figures the issue asks for (``what``, ``value``, ``target``, ``met``),
* ``notes``: what the numbers mean or why one is missing,
* ``skipped``: a reason, or ``None`` when it ran.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
SCHEMA_VERSION = 1


# ----------------------------------------------------------------------------- timing


def clock(fn: Callable[[], Any], number: int = 1) -> float:
    """Seconds per call of ``fn`` (which must block until its work is done), over ``number``."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def samples(fn: Callable[[], Any], *, rounds: int = 20, number: int = 1, warmup: int = 2
            ) -> list[float]:
    """``rounds`` timings (seconds per call) of ``fn`` after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    return [clock(fn, number) for _ in range(rounds)]


def compare(candidates: dict[str, Callable[[], Any]], *, rounds: int = 20, number: int = 1,
            warmup: int = 2, seed: int = 0) -> dict[str, list[float]]:
    """Time every candidate once per round, in a new random order each round.

    Returns seconds per call, one entry per round. The order changes so that no candidate
    always runs right after the same other one (whose threads may still be spinning, or whose
    data may still sit in the cache).

    Example:
        >>> times = compare({"a": lambda: None, "b": lambda: sum(range(100))}, rounds=3)
        >>> sorted(times), len(times["a"])
        (['a', 'b'], 3)
    """
    names = list(candidates)
    for name in names:
        for _ in range(warmup):
            candidates[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    rng = random.Random(seed)
    for _ in range(rounds):
        for name in rng.sample(names, len(names)):
            times[name].append(clock(candidates[name], number))
    return times


def ratio(numerator: list[float], denominator: list[float]) -> float:
    """The median over rounds of ``numerator[i] / denominator[i]`` (same-round pairs).

    Example:
        >>> ratio([2.0, 4.0, 100.0], [1.0, 2.0, 1.0])
        2.0
    """
    if len(numerator) != len(denominator) or not numerator:
        raise ValueError("ratio needs two equally long, non-empty lists of same-round timings")
    return statistics.median(a / b for a, b in zip(numerator, denominator, strict=True))


def summary(times: list[float]) -> dict[str, float]:
    """Median, minimum and spread (interquartile range / median) in milliseconds."""
    ms = sorted(t * 1e3 for t in times)
    q1, q3 = (ms[len(ms) // 4], ms[(3 * len(ms)) // 4]) if len(ms) >= 4 else (ms[0], ms[-1])
    median = statistics.median(ms)
    return {"median_ms": median, "min_ms": ms[0], "spread": (q3 - q1) / median if median else 0.0,
            "rounds": len(ms)}


# ----------------------------------------------------------------------------- results


def row(case: str, name: str, times: list[float] | None = None, **extra: Any) -> dict[str, Any]:
    """One measurement: what was measured (``case``, ``name``), its timing summary and extras."""
    return {"case": case, "name": name, **(summary(times) if times else {}), **extra}


def target(op: str, value: float) -> dict[str, Any]:
    """A target such as ``target("<=", 1.05)`` (a ratio at most 1.05)."""
    if op not in ("<=", ">="):
        raise ValueError(f"op must be '<=' or '>=', got {op!r}")
    return {"op": op, "value": value}


def figure(what: str, value: float | None, goal: dict[str, Any] | None = None, *,
           unit: str = "x", note: str = "") -> dict[str, Any]:
    """One headline figure (usually a ratio), with its target and whether it is met.

    Example:
        >>> figure("adam: gdlib / optax", 1.02, target("<=", 1.05))["met"]
        True
    """
    met = None
    if goal is not None and value is not None:
        met = value <= goal["value"] if goal["op"] == "<=" else value >= goal["value"]
    return {"what": what, "value": value, "unit": unit, "target": goal, "met": met,
            "note": note}


def result(benchmark: str, title: str, *, config: dict[str, Any] | None = None,
           rows: list[dict] | None = None, ratios: list[dict] | None = None,
           notes: list[str] | None = None, skipped: str | None = None,
           extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A benchmark's whole result, JSON-ready, with the environment it ran in."""
    return {"schema": SCHEMA_VERSION, "benchmark": benchmark, "title": title,
            "environment": environment(), "config": config or {}, "rows": rows or [],
            "ratios": ratios or [], "notes": notes or [], "skipped": skipped,
            **(extra or {})}


def skipped(benchmark: str, title: str, reason: str, **kwargs: Any) -> dict[str, Any]:
    """A result that says why the benchmark did not run (not an error: a clear note)."""
    return result(benchmark, title, skipped=reason, **kwargs)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                             capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def environment() -> dict[str, Any]:
    """What the numbers depend on: machine, load, versions, devices, BLAS kernel."""
    import jax
    import numpy as np

    env: dict[str, Any] = {
        "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "jax": jax.__version__,
        "numpy": np.__version__,
        "backend": jax.default_backend(),
        "devices": [str(d.device_kind) for d in jax.devices()],
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
    }
    for name in ("optax", "torch", "matplotlib"):
        module = sys.modules.get(name)
        if module is not None:
            env[name] = module.__version__
    try:
        from threadpoolctl import threadpool_info

        env["blas"] = [{k: info.get(k) for k in ("internal_api", "architecture", "num_threads")}
                       for info in threadpool_info()]
    except ImportError:
        pass
    return env


def save(res: dict[str, Any], out_dir: Path | str = RESULTS) -> Path:
    """Write ``res`` to ``out_dir/<benchmark>.json``; returns the path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{res['benchmark']}.json"
    path.write_text(json.dumps(res, indent=1, sort_keys=False, default=_jsonable) + "\n")
    return path


def _jsonable(x: Any) -> Any:
    if hasattr(x, "tolist"):
        return x.tolist()
    raise TypeError(f"not JSON serializable: {type(x).__name__}")


def load(out_dir: Path | str = RESULTS) -> dict[str, dict[str, Any]]:
    """Every saved result in ``out_dir``, by benchmark name."""
    return {p.stem: json.loads(p.read_text()) for p in sorted(Path(out_dir).glob("*.json"))}


# ----------------------------------------------------------------------------- printing


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "x":
        return f"{value:,.3g}x" if value < 100 else f"{value:,.0f}x"
    return f"{value:,.3g} {unit}"


def format_table(results: list[dict[str, Any]]) -> str:
    """The headline figures of some results as a plain-text table.

    Example:
        >>> r = result("demo", "Demo", ratios=[figure("a / b", 1.5, target("<=", 2.0))])
        >>> print(format_table([r]).splitlines()[-1])
        demo       a / b   1.5x   <= 2x   yes
    """
    lines = []
    for res in results:
        if res.get("skipped"):
            lines.append((res["benchmark"], f"skipped: {res['skipped']}", "", "", ""))
            continue
        for f in res["ratios"]:
            goal = f["target"]
            goal_text = f"{goal['op']} {_fmt(goal['value'], f['unit'])}" if goal else ""
            met = {True: "yes", False: "NO", None: ""}[f["met"]]
            lines.append((res["benchmark"], f["what"], _fmt(f["value"], f["unit"]), goal_text,
                          met))
    header = ("benchmark", "figure", "value", "target", "met")
    widths = [max(len(str(x[i])) for x in [header, *lines]) for i in range(5)]
    return "\n".join("  ".join(str(x[i]).ljust(widths[i]) for i in range(5)).rstrip()
                     for x in [header, *lines])


def main_for(module_run: Callable[..., dict[str, Any]], quick: dict[str, Any],
             argv: list[str] | None = None) -> dict[str, Any]:
    """The ``python -m benchmarks.NAME`` entry point: run, print the table, save the JSON."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    parser.add_argument("--out", default=str(RESULTS), help="folder for the JSON result")
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args(argv)
    res = module_run(**(quick if args.quick else {}))
    print(format_table([res]))
    for note in res["notes"]:
        print("  note:", note)
    if not args.no_save:
        print("saved", save(res, args.out))
    return res
