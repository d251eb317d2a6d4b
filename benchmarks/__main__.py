"""``python -m benchmarks`` (``make bench``): run every benchmark, print one table, save JSON.

Usage: python -m benchmarks [--only step,sweep] [--skip book] [--quick] [--out DIR] [--book-lax]

Each benchmark's result goes to ``DIR/<name>.json`` (default ``benchmarks/results``) as soon
as it is done. A benchmark that fails is recorded as skipped with the error and the run goes
on; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from typing import Any

from benchmarks import NAMES, harness


def run_one(name: str, quick: bool, extra: dict[str, dict[str, Any]] | None = None
            ) -> dict[str, Any]:
    """Import ``benchmarks.NAME`` and run it (its ``QUICK`` sizes if ``quick``).

    ``extra``: more keyword arguments for some benchmarks, e.g. ``{"book": {"lax": True}}``.
    """
    extra = extra or {}
    title = name
    try:
        module = importlib.import_module(f"benchmarks.{name}")
        title = module.TITLE
        return module.run(**(module.QUICK if quick else {}), **extra.get(name, {}))
    except Exception as error:  # recorded, and the other benchmarks still run
        traceback.print_exc()
        res = harness.skipped(name, title, f"failed: {type(error).__name__}: {error}")
        res["failed"] = True
        return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated benchmarks to run")
    parser.add_argument("--skip", default="", help="comma-separated benchmarks to leave out")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    parser.add_argument("--out", default=str(harness.RESULTS), help="folder for the JSON")
    parser.add_argument("--book-lax", action="store_true",
                        help="execute the notebooks without comparing their outputs (a GPU's "
                             "numbers differ from the stored CPU outputs)")
    args = parser.parse_args(argv)
    only = [n for n in args.only.split(",") if n]
    skip = {n for n in args.skip.split(",") if n}
    unknown = (set(only) | skip) - set(NAMES)
    if unknown:
        parser.error(f"unknown benchmarks {sorted(unknown)}; choose from {', '.join(NAMES)}")
    results = []
    for name in only or NAMES:
        if name in skip:
            continue
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        res = run_one(name, args.quick, {"book": {"lax": True}} if args.book_lax else None)
        res["wall_s"] = time.perf_counter() - start
        path = harness.save(res, args.out)
        print(harness.format_table([res]))
        print(f"   ({res['wall_s']:.0f} s, saved {path})", flush=True)
        results.append(res)
    print("\n== all figures")
    print(harness.format_table(results))
    for res in results:
        for note in res["notes"]:
            print(f"  {res['benchmark']}: {note}")
    return 1 if any(r.get("failed") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
