"""The book's repository URL: set once in ``_config.yml``, written everywhere it is needed.

Usage:
    python scripts/set_repository.py            # check: every notebook's Colab cell uses it
    python scripts/set_repository.py NEW_URL    # move the book: _config.yml and every use

The URL lives in ``_config.yml`` (``repository: url:``), which gives every page its launch
buttons. A notebook opened on Colab cannot read that file, so each notebook's first code cell
(after the title) installs gdlib from the repository, only on Colab (hidden in the HTML,
skipped by nbval); ``colab_cell`` writes that cell. Given a new URL, this script replaces the
old one in ``_config.yml``, rewrites that cell in every notebook, and replaces the old URL in
the Markdown pages and the README; ``tests/test_notebooks.py`` checks that they agree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "_config.yml"
TEXT_FILES = ("README.md", "book/*.md")
COLAB_TAGS = ["remove-cell", "nbval-skip"]

#: Notebooks that need the whole repository on Colab, not only gdlib (they read files from it).
NEEDS_REPOSITORY = {"performance"}


def repository_url(config: Path | None = None) -> str:
    """The ``repository: url:`` of ``_config.yml``."""
    config = CONFIG if config is None else config
    match = re.search(r"^repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+url:\s*(\S+)", config.read_text(),
                      re.MULTILINE)
    if not match:
        raise ValueError(f"no 'repository: url:' in {config}")
    return match.group(1)


def colab_cell(url: str, notebook: str) -> str:
    """The source of the first cell of ``notebook`` (a name such as ``"momentum"``)."""
    if notebook in NEEDS_REPOSITORY:
        return ("import sys\n\n"
                'if "google.colab" in sys.modules:  # on Colab: the repository, and gdlib from it\n'
                f"    !git clone -q --depth 1 {url} /content/gdbook\n"
                "    !pip install -q /content/gdbook\n"
                "    %cd /content/gdbook/book")
    return ("import sys\n\n"
            'if "google.colab" in sys.modules:  # on Colab: install gdlib, the book\'s library\n'
            f'    !pip install -q "gdlib @ git+{url}"')


def _first_code_cell(notebook):
    return next((cell for cell in notebook.cells if cell.cell_type == "code"), None)


def notebooks() -> list[Path]:
    return sorted((ROOT / "book").glob("*.ipynb"))


def problems(url: str) -> list[str]:
    """Where a notebook's first code cell is not :func:`colab_cell` for ``url``."""
    found = []
    for path in notebooks():
        first = _first_code_cell(nbformat.read(path, as_version=4))
        if first is None or first.source != colab_cell(url, path.stem):
            found.append(f"{path.relative_to(ROOT)}: the first code cell is not the Colab cell "
                         f"for {url}")
        elif first.metadata.get("tags") != COLAB_TAGS:
            found.append(f"{path.relative_to(ROOT)}: the Colab cell is not tagged {COLAB_TAGS}")
    return found


def move(new_url: str) -> list[Path]:
    """Replace the repository URL everywhere; the files changed."""
    old_url = repository_url()
    changed = []
    text_files = [CONFIG] + [p for pattern in TEXT_FILES for p in ROOT.glob(pattern)]
    for path in text_files:
        text = path.read_text()
        if old_url in text and old_url != new_url:
            path.write_text(text.replace(old_url, new_url))
            changed.append(path)
    for path in notebooks():
        notebook = nbformat.read(path, as_version=4)
        cell = nbformat.v4.new_code_cell(colab_cell(new_url, path.stem),
                                         metadata={"tags": list(COLAB_TAGS)})
        first = _first_code_cell(notebook)
        index = notebook.cells.index(first) if first is not None else len(notebook.cells)
        if first is not None and "google.colab" in first.source:
            if first.source == cell.source and first.metadata.get("tags") == COLAB_TAGS:
                continue
            first.source, first.metadata["tags"] = cell.source, list(COLAB_TAGS)
        else:
            notebook.cells.insert(index, cell)
        nbformat.write(notebook, path)
        changed.append(path)
    return changed


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        for path in move(argv[1].rstrip("/")):
            print("updated", path.relative_to(ROOT))
        return 0
    found = problems(repository_url())
    for problem in found:
        print(problem)
    if not found:
        print(f"every notebook installs from {repository_url()} on Colab")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
