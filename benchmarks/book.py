"""Book: the time to execute each notebook, and the whole book, under strict nbval.

Runs the same command as ``make nbval`` (``pytest --nbval --nbval-current-env
--nbval-sanitize-with nbval_sanitize.cfg``): each notebook of ``book/`` alone, then all of them
with ``-n WORKERS --dist loadfile`` as ``make test`` does. The peer is the smallest possible
notebook (the two first code cells every chapter starts with: imports and the platform), run
the same way: the fixed cost of a kernel, ``import jax`` and ``import gdlib``.

Notebooks are found when the benchmark runs, so chapters added later are measured too; with no
notebook in ``book/`` the benchmark is skipped with a note.

Run alone: ``python -m benchmarks.book`` (``--quick``: only the floor and the first notebook).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat

from benchmarks import harness

TITLE = "Book execution"
QUICK = {"limit": 1, "whole": False}
BOOK = harness.ROOT / "book"
TARGET_S = 120.0


def notebooks(folder: Path = BOOK) -> list[Path]:
    """The notebooks of the book, sorted (checkpoints left out)."""
    return sorted(p for p in folder.glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def environment() -> dict[str, str]:
    """The environment ``make test`` gives nbval (the platform is left as the caller set it)."""
    env = dict(os.environ)
    env.setdefault("JAX_PLATFORMS", "cpu")  # `JAX_PLATFORMS= ...` (empty): JAX picks a GPU
    env.setdefault("PYTHONHASHSEED", "0")
    env.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    venv_config = harness.ROOT / ".venv" / "config"
    env.setdefault("MPLCONFIGDIR", str(venv_config / "matplotlib"))
    env.setdefault("IPYTHONDIR", str(venv_config / "ipython"))
    return env


def nbval(paths: list[Path], *, workers: int = 1, rootdir: Path = harness.ROOT,
          lax: bool = False, timeout_s: float = 1800) -> tuple[float, bool, str]:
    """Run nbval over ``paths``; (seconds, passed, last line of pytest's output).

    Strict (every output compared) unless ``lax``: then the notebooks are only executed, and a
    cell fails only by raising.
    """
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
               "--nbval-current-env", "--nbval-sanitize-with",
               str(harness.ROOT / "nbval_sanitize.cfg"), "-c",
               str(harness.ROOT / "pyproject.toml"), "--rootdir", str(rootdir)]
    if lax:
        command.append("--nbval-lax")
    if workers > 1 and len(paths) > 1:
        command += ["-n", str(workers), "--dist", "loadfile"]
    start = time.perf_counter()
    proc = subprocess.run(command + [str(p) for p in paths], cwd=harness.ROOT,
                          env=environment(), capture_output=True, text=True, timeout=timeout_s)
    seconds = time.perf_counter() - start
    lines = [line for line in proc.stdout.strip().splitlines() if line.strip()]
    return seconds, proc.returncode == 0, lines[-1] if lines else proc.stderr.strip()[-200:]


def floor_notebook(folder: Path) -> Path:
    """The smallest chapter: the imports cell and the platform cell, nothing else."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Floor"),
                nbformat.v4.new_code_cell("import jax\nimport jax.numpy as jnp\n"
                                          "import matplotlib.pyplot as plt\nimport numpy as np\n\n"
                                          "import gdlib"),
                nbformat.v4.new_code_cell('print("JAX runs on:", jax.devices()[0].platform)')]
    nb.cells[2].metadata["tags"] = ["nbval-ignore-output"]
    nb.cells[1].outputs, nb.cells[1].execution_count = [], 1
    nb.cells[2].outputs, nb.cells[2].execution_count = [], 2
    path = folder / "floor.ipynb"
    nbformat.write(nb, path)
    shutil.copy(BOOK / "conftest.py", folder / "conftest.py")
    return path


def run(limit: int | None = None, whole: bool = True, workers: int = 2,
        folder: Path | str = BOOK, lax: bool = False) -> dict[str, Any]:
    """Time the floor, each notebook, and (``whole``) the whole book; see the module.

    ``lax``: execute without comparing outputs (``--nbval-lax``), e.g. on a GPU.
    """
    found = notebooks(Path(folder))
    config = {"notebooks": [p.name for p in found], "workers": workers, "lax": lax,
              "command": "pytest --nbval --nbval-current-env --nbval-sanitize-with "
                         "nbval_sanitize.cfg" + (" --nbval-lax" if lax else "")}
    if not found:
        return harness.skipped("book", TITLE, f"no notebook in {folder} yet", config=config)
    rows, ratios, notes = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        floor_s, floor_ok, floor_line = nbval([floor_notebook(Path(tmp))], rootdir=Path(tmp),
                                             lax=lax)
    rows.append({"case": "notebook", "name": "floor (imports only)", "median_ms": floor_s * 1e3,
                 "seconds": floor_s, "passed": floor_ok, "pytest": floor_line})
    total = 0.0
    for path in found[:limit]:
        seconds, ok, line = nbval([path], lax=lax)
        total += seconds
        rows.append({"case": "notebook", "name": path.stem, "median_ms": seconds * 1e3,
                     "seconds": seconds, "passed": ok, "pytest": line})
        ratios.append(harness.figure(f"{path.stem}: time / floor notebook", seconds / floor_s,
                                     note=f"{seconds:.1f} s"))
        if not ok:
            notes.append(f"{path.name} did not pass nbval: {line}")
    rows.append({"case": "book", "name": "sum of the notebooks, one by one",
                 "median_ms": total * 1e3, "seconds": total})
    if whole:
        seconds, ok, line = nbval(found, workers=workers, lax=lax)
        rows.append({"case": "book", "name": f"whole book, {workers} workers",
                     "median_ms": seconds * 1e3, "seconds": seconds, "passed": ok,
                     "pytest": line})
        ratios.append(harness.figure(f"whole book under nbval ({len(found)} notebooks)",
                                     seconds, harness.target("<=", TARGET_S), unit="s"))
        ratios.append(harness.figure("whole book / its floor (one floor per notebook)",
                                     seconds / (floor_s * len(found) / max(workers, 1))))
        if not ok:
            notes.append(f"the whole book did not pass nbval: {line}")
    notes.append(f"floor notebook: {floor_s:.1f} s (kernel start, import jax and gdlib)")
    return harness.result("book", TITLE, config=config, rows=rows, ratios=ratios, notes=notes)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return harness.main_for(run, QUICK, argv)


if __name__ == "__main__":
    main()
