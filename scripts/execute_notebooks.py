"""Re-execute notebooks in place, so that their stored outputs are reproducible.

Usage: python scripts/execute_notebooks.py [NOTEBOOK_OR_FOLDER ...]   (default: book/)

The book is built from the outputs stored in the notebooks and nbval compares fresh runs with
them, so those outputs must come from a known state: a fresh kernel of the interpreter running
this script (kernel name ``python3``, whatever kernels the user has installed), on the CPU
(``JAX_PLATFORMS=cpu``), cells in order (execution counts 1, 2, 3, ...), and no timing or
other run-specific metadata. Widget state is stored, so that the HTML shows widgets; the
random ids of widget models and of ``FuncAnimation.to_jshtml()`` animations are replaced by
ids derived from the notebook's name and their order. Run twice, it writes the same files,
as long as the notebooks print nothing volatile themselves (memory addresses, timings, temporary
paths: see nbval_sanitize.cfg).

A cell that raises stops the run with an error, unless the cell is tagged ``raises-exception``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
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
        if model_id in state and model_id not in order:
            order[model_id] = None
            for ref in HEX_ID.findall(json.dumps(state[model_id], sort_keys=True)):
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


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    clean_metadata(nb)
    km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=CurrentEnvKernelSpecManager())
    client = NotebookClient(
        nb,
        km=km,
        kernel_name=KERNEL_NAME,
        timeout=CELL_TIMEOUT_S,
        record_timing=False,
        store_widget_state=True,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    client.execute()
    nb.metadata.get("language_info", {}).pop("version", None)  # 3.11.7 vs 3.11.9: no diff
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    merge_adjacent_streams(nb)
    nb = stable_ids(nb, seed=path.name)
    nbformat.validate(nb)
    nbformat.write(nb, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["book"], help="notebooks or folders")
    args = parser.parse_args(argv)
    for path in notebooks(args.paths):
        print(f"executing {path}", flush=True)
        execute(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
