"""Suite: how long ``make test`` takes, part by part, with a cold and a warm compilation cache.

Runs the parts of ``make test`` (lint, unit, doctest, nbval, book) one after the other, twice:
first with an empty JAX compilation cache (what a fresh clone's first run, or CI, pays), then
again with the cache the first pass filled (a contributor's second run). The peer of the warm
pass is the cold pass, measured in the same run: their ratio is what the persistent cache buys.
The target is the issue's: the whole of ``make test`` from a warm ``.venv`` in at most five
minutes on two cores.

Run alone: ``python -m benchmarks.suite`` (``--quick``: lint only, a smoke test).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from typing import Any

from benchmarks import harness

TITLE = "make test"
PARTS = ("lint", "unit", "doctest", "nbval", "book")
QUICK = {"parts": ("lint",)}
TARGET_S = 300.0


def make(part: str, cache_dir: str, timeout_s: float = 3600) -> tuple[float, bool, str]:
    """Run ``make PART`` with JAX's compilation cache in ``cache_dir``; (seconds, passed, tail)."""
    env = dict(os.environ, JAX_COMPILATION_CACHE_DIR=cache_dir)
    start = time.perf_counter()
    proc = subprocess.run(["make", "--no-print-directory", part], cwd=harness.ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout_s)
    seconds = time.perf_counter() - start
    lines = [line for line in (proc.stdout + proc.stderr).strip().splitlines() if line.strip()]
    return seconds, proc.returncode == 0, lines[-1][-200:] if lines else ""


def run(parts: tuple[str, ...] = PARTS) -> dict[str, Any]:
    """Time each part cold, then warm; see the module."""
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"parts must be among {PARTS}, got {sorted(unknown)}")
    rows, notes, totals = [], [], {}
    with tempfile.TemporaryDirectory() as cache:
        for cache_state in ("cold", "warm"):
            total = 0.0
            for part in parts:
                seconds, ok, tail = make(part, cache)
                total += seconds
                rows.append({"case": cache_state, "name": f"make {part}",
                             "median_ms": seconds * 1e3, "seconds": seconds, "passed": ok,
                             "output": tail})
                if not ok:
                    notes.append(f"make {part} failed ({cache_state} cache): {tail}")
            totals[cache_state] = total
            rows.append({"case": cache_state, "name": "make test (sum of the parts)",
                         "median_ms": total * 1e3, "seconds": total})
    ratios = [
        harness.figure("make test, warm compilation cache", totals["warm"],
                       harness.target("<=", TARGET_S) if parts == PARTS else None, unit="s"),
        harness.figure("make test, cold compilation cache", totals["cold"], unit="s"),
        harness.figure("warm / cold", totals["warm"] / totals["cold"]),
    ]
    notes.append(f"{os.cpu_count()} cores; parts: {', '.join(parts)}")
    return harness.result("suite", TITLE, config={"parts": list(parts)}, rows=rows,
                          ratios=ratios, notes=notes)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return harness.main_for(run, QUICK, argv)


if __name__ == "__main__":
    main()
