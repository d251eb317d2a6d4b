"""Re-execute notebooks in place, so that their stored outputs are reproducible.

Usage: python scripts/execute_notebooks.py [--check] [-j N] [NOTEBOOK_OR_FOLDER ...]
(default: book/)

The book is built from the outputs stored in the notebooks and nbval compares fresh runs with
them, so those outputs must come from a known state: a fresh kernel of the interpreter running
this script (kernel name ``python3``, whatever kernels the user has installed), on the CPU
(``JAX_PLATFORMS=cpu``), cells in order (execution counts 1, 2, 3, ...), and no timing or
other run-specific metadata. Widget state is not stored (live widgets need a kernel, and the
pages remove their outputs); the random ids of widget models and of
``FuncAnimation.to_jshtml()`` animations are replaced by ids derived from the notebook's name
and their order. Run twice, it writes the same files,
as long as the notebooks print nothing volatile themselves (memory addresses, timings, temporary
paths: see nbval_sanitize.cfg).

Each kernel first runs scripts/figure_text.py's ``install()``: every PNG figure then records
the size of its smallest text in a PNG tEXt chunk, which ``make check-html`` checks against the
width at which the book shows the figure. Nothing else in the notebook changes.

A cell that raises stops that notebook (which is then not written) and makes the script fail,
unless the cell is tagged ``raises-exception``.

With ``--check`` nothing is written: each notebook runs, and the script fails if a cell raises
(a claim the run no longer supports among them) or writes anything to stderr (a warning). This
is how ``make test-latest`` runs the book on the newest versions of its dependencies, where
digits may differ from the stored outputs but every claim must still hold. ``-j N`` runs N
notebooks at a time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# Before anything starts a kernel: the kernel inherits this environment.
os.environ["JAX_PLATFORMS"] = "cpu"
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")

import ipykernel.kernelspec  # noqa: E402
import nbformat  # noqa: E402
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

KERNEL_NAME = "python3"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL_NAME}
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CELL_TIMEOUT_S = 600
# Run in each kernel before the first cell: PNG figures then record the size of their
# smallest text (scripts/figure_text.py), which scripts/check_html.py checks in the book.
FIGURE_TEXT_HOOK = (f"__import__('runpy').run_path("
                    f"{str(Path(__file__).resolve().parent / 'figure_text.py')!r})['install']()")


class CurrentEnvKernelSpecManager(KernelSpecManager):
    """Resolve ``python3`` to ipykernel in this interpreter, never to a user-installed kernel."""

    def get_kernel_spec(self, kernel_name):
        if kernel_name == KERNEL_NAME:
            spec = ipykernel.kernelspec.get_kernel_dict()
            return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES, **spec)
        return super().get_kernel_spec(kernel_name)


def notebooks(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif path.suffix == ".ipynb":
            found.append(path)
        else:
            raise SystemExit(f"not a notebook or folder: {name}")
    return found


def clean_metadata(nb: nbformat.NotebookNode) -> None:
    """Drop what a previous run or an editor left: timings, widget state, stale outputs."""
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("papermill", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.cells:
        for key in ("execution", "ExecuteTime", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None


HEX_ID = re.compile(r"[0-9a-f]{32}")
# The ids that FuncAnimation.to_jshtml() gives its elements: anim<id>, _anim_img<id>, ...
ANIMATION_ID = re.compile(r"anim(?:_img|_slider|_loop_select|_radio\d_)?([0-9a-f]{32})")


def random_ids(nb: nbformat.NotebookNode) -> list[str]:
    """The random ids in a run's outputs, in an order that does not depend on their values.

    Widget models come in the order the outputs display them, each followed by the models it
    refers to (layout, style, children), depth first; then the models never displayed.
    Animation ids come in the order of the outputs that hold them.
    """
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    order: dict[str, None] = {}

    def visit(model_id: str) -> None:
        if model_id and model_id not in order:
            order[model_id] = None
            for ref in HEX_ID.findall(json.dumps(state.get(model_id, {}), sort_keys=True)):
                visit(ref)

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                visit(data[WIDGET_VIEW].get("model_id", ""))
            html = data.get("text/html", "")
            for animation_id in ANIMATION_ID.findall("".join(html)):
                order.setdefault(animation_id, None)
    for model_id in sorted(
        state, key=lambda m: (HEX_ID.sub("", json.dumps(state[m], sort_keys=True)), m)
    ):
        visit(model_id)
    return list(order)


def stable_ids(nb: nbformat.NotebookNode, seed: str) -> nbformat.NotebookNode:
    """Replace the random ids of widget models and animations by ids derived from ``seed``."""
    ids = random_ids(nb)
    if not ids:
        return nb
    text = json.dumps(nb)
    for number, old in enumerate(ids):
        text = text.replace(old, hashlib.sha256(f"{seed}:{number}".encode()).hexdigest()[:32])
    return nbformat.from_dict(json.loads(text))


def merge_adjacent_streams(nb: nbformat.NotebookNode) -> None:
    """Join consecutive stdout (or stderr) outputs: how a print is split depends on timing."""
    for cell in nb.cells:
        merged: list[nbformat.NotebookNode] = []
        for output in cell.get("outputs", []):
            previous = merged[-1] if merged else None
            if (
                output.output_type == "stream"
                and previous is not None
                and previous.output_type == "stream"
                and previous.name == output.name
            ):
                previous.text += output.text
            else:
                merged.append(output)
        if cell.cell_type == "code":
            cell.outputs = merged


def stderr_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """What the cells of an executed notebook wrote to stderr (warnings among them)."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append(f"cell {index}: {output.text.strip()[:500]}")
    return found


def execute(path: Path, check: bool = False) -> list[str]:
    """Run ``path`` in a fresh kernel; write it back, or (``check``) return its stderr."""
    nb = nbformat.read(path, as_version=4)
    clean_metadata(nb)
    km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=CurrentEnvKernelSpecManager())
    client = NotebookClient(
        nb,
        km=km,
        kernel_name=KERNEL_NAME,
        timeout=CELL_TIMEOUT_S,
        record_timing=False,
        # Live widgets need a kernel: the pages remove their outputs, and their state (the
        # last image a widget drew, tens of kB) would only weigh the page down.
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent.resolve())}},
        extra_arguments=[f"--IPKernelApp.exec_lines={FIGURE_TEXT_HOOK}"],
    )
    client.execute()
    if check:
        return stderr_outputs(nb)
    nb.metadata.get("language_info", {}).pop("version", None)  # 3.11.7 vs 3.11.9: no diff
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    merge_adjacent_streams(nb)
    nb = stable_ids(nb, seed=path.name)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return []


def run_one(path: Path, check: bool) -> tuple[Path, list[str]]:
    print(f"{'checking' if check else 'executing'} {path}", flush=True)
    try:
        return path, execute(path, check)
    except Exception as error:  # a cell raised (CellExecutionError) or the kernel died
        return path, [f"{type(error).__name__}: {str(error).strip()[-3000:]}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["book"], help="notebooks or folders")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; fail on an error or on output to stderr")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="notebooks run at a time")
    args = parser.parse_args(argv)
    paths = notebooks(args.paths)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda p: run_one(p, args.check), paths))
    failed = [(path, problems) for path, problems in results if problems]
    for path, problems in failed:
        print(f"\n{path}:", *problems, sep="\n  ", file=sys.stderr)
    if failed:
        print(f"\n{len(failed)} of {len(paths)} notebooks failed", file=sys.stderr)
        return 1
    done = "ran without errors or warnings" if args.check else "executed"
    print(f"{len(paths)} notebooks {done}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
