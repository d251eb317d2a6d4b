"""The book's repository and the release its Colab cells install: set once, written everywhere.

Usage:
    python scripts/set_repository.py              # check: every Colab cell uses them
    python scripts/set_repository.py NEW_URL      # move the book to another repository
    python scripts/set_repository.py --ref REF    # pin another tag or commit
    python scripts/set_repository.py --warn       # what `make book` prints before a build

The URL and the ref live in ``_config.yml`` (``repository: url:`` and ``repository: branch:``),
which give every page its launch buttons: a reader's "open in Colab" opens the notebook at that
ref. A notebook on Colab cannot read that file, so each notebook's first code cell (after the
title) installs gdlib from the same repository *at the same ref*, only on Colab (hidden in the
HTML, skipped by nbval); :func:`colab_cell` writes that cell. The ref is a tag or a commit,
never a branch: a branch moves, and whoever can push to it would run code in every reader's
session. It defaults to the release tag ``v<version>`` of ``pyproject.toml``.

To publish a release: set ``version`` in ``pyproject.toml``, run this script with ``--ref
v<version>`` (and the URL of a repository you own, once), commit, tag that commit
``v<version>``, push the tag, and build the book from it. ``make book`` warns loudly while the
URL is still the unpublished placeholder, and says when the commit it builds is not the ref
the cells install. ``tests/test_notebooks.py`` checks that everything agrees.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "_config.yml"
PYPROJECT = ROOT / "pyproject.toml"
TEXT_FILES = ("README.md", "book/*.md", "pyproject.toml")
COLAB_TAGS = ["remove-cell", "nbval-skip"]

#: The repository in the sources as they ship: nobody publishes it, so whoever registered it
#: would run code in every reader's Colab session. `make book` warns while it is still there.
PLACEHOLDER = "https://github.com/gdbook/gdbook"

#: Notebooks that need the whole repository on Colab, not only gdlib (they read files from it).
NEEDS_REPOSITORY = {"performance"}

_REPOSITORY = r"^repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+{key}:[ \t]*(\S+)"


def _setting(key: str, config: Path | None = None) -> re.Match:
    config = CONFIG if config is None else config
    match = re.search(_REPOSITORY.format(key=key), config.read_text(), re.MULTILINE)
    if not match:
        raise ValueError(f"no 'repository: {key}:' in {config}")
    return match


def repository_url(config: Path | None = None) -> str:
    """The ``repository: url:`` of ``_config.yml``."""
    return _setting("url", config).group(1)


def repository_ref(config: Path | None = None) -> str:
    """The ``repository: branch:`` of ``_config.yml``: the tag or commit the book pins."""
    return _setting("branch", config).group(1)


def version() -> str:
    """gdlib's ``version`` in ``pyproject.toml``."""
    match = re.search(r'^version\s*=\s*"([^"]+)"', PYPROJECT.read_text(), re.MULTILINE)
    if not match:
        raise ValueError(f"no version in {PYPROJECT}")
    return match.group(1)


def release_ref() -> str:
    """The default ref: the release tag of gdlib's version, e.g. ``v0.1.0``."""
    return f"v{version()}"


def check_ref(ref: str) -> str:
    """A tag or a commit hash, not a branch that moves under the readers."""
    if ref in ("main", "master", "HEAD") or not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z._/-]*",
                                                             ref):
        raise ValueError(f"the ref must be a release tag (such as {release_ref()}) or a commit, "
                         f"got {ref!r}: a branch moves, so a reader would install whatever it "
                         "holds that day")
    return ref


def colab_cell(url: str, notebook: str, ref: str | None = None) -> str:
    """The source of the first cell of ``notebook`` (a name such as ``"momentum"``).

    It installs ``gdlib[book]`` (gdlib and what the notebooks import) at ``ref``. gdlib's
    dependencies are not pinned, so pip keeps what Colab has installed (its CUDA build of jax,
    its PyTorch) and adds only what is missing.
    """
    ref = check_ref(repository_ref() if ref is None else ref)
    if notebook in NEEDS_REPOSITORY:
        return ("import sys\n\n"
                'if "google.colab" in sys.modules:  # on Colab: the repository, and gdlib from it\n'
                f"    !git clone -q {url} /content/gdbook\n"
                f"    !git -C /content/gdbook checkout -q {ref}\n"
                '    !pip install -q "/content/gdbook[book]"\n'
                "    %cd /content/gdbook/book")
    return ("import sys\n\n"
            'if "google.colab" in sys.modules:  # on Colab: install gdlib, the book\'s library\n'
            f'    !pip install -q "gdlib[book] @ git+{url}@{ref}"')


def _first_code_cell(notebook):
    return next((cell for cell in notebook.cells if cell.cell_type == "code"), None)


def notebooks() -> list[Path]:
    return sorted((ROOT / "book").glob("*.ipynb"))


def problems(url: str, ref: str | None = None) -> list[str]:
    """Where a notebook's first code cell is not :func:`colab_cell` for ``url`` and ``ref``."""
    ref = repository_ref() if ref is None else ref
    found = []
    for path in notebooks():
        first = _first_code_cell(nbformat.read(path, as_version=4))
        if first is None or first.source != colab_cell(url, path.stem, ref):
            found.append(f"{path.relative_to(ROOT)}: the first code cell is not the Colab cell "
                         f"for {url} at {ref}")
        elif first.metadata.get("tags") != COLAB_TAGS:
            found.append(f"{path.relative_to(ROOT)}: the Colab cell is not tagged {COLAB_TAGS}")
    return found


def _write_cells(url: str, ref: str) -> list[Path]:
    changed = []
    for path in notebooks():
        notebook = nbformat.read(path, as_version=4)
        cell = nbformat.v4.new_code_cell(colab_cell(url, path.stem, ref),
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


def move(new_url: str, ref: str | None = None) -> list[Path]:
    """Replace the repository URL everywhere (and the ref, if given); the files changed."""
    old_url = repository_url()
    changed = []
    text_files = [CONFIG] + [p for pattern in TEXT_FILES for p in ROOT.glob(pattern)]
    for path in text_files:
        text = path.read_text()
        if old_url in text and old_url != new_url:
            path.write_text(text.replace(old_url, new_url))
            changed.append(path)
    if ref is not None:
        changed += [p for p in pin(ref) if p not in changed]
    return changed + [p for p in _write_cells(new_url, repository_ref()) if p not in changed]


def pin(ref: str) -> list[Path]:
    """Make ``ref`` the ref of ``_config.yml`` and of every Colab cell; the files changed."""
    ref = check_ref(ref)
    match = _setting("branch")
    old, text = match.group(1), CONFIG.read_text()
    changed = []
    if old != ref:
        CONFIG.write_text(text[:match.start(1)] + ref + text[match.end(1):])
        changed.append(CONFIG)
        pinned = f"{repository_url()}@{old}"  # the pages that show an install command
        for path in [p for pattern in TEXT_FILES for p in ROOT.glob(pattern)]:
            if pinned in path.read_text():
                path.write_text(path.read_text().replace(pinned, f"{repository_url()}@{ref}"))
                changed.append(path)
    return changed + _write_cells(repository_url(), ref)


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                check=False)
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def build_warnings() -> list[str]:
    """What a build should warn about: the placeholder URL, a ref that is not this build."""
    url, ref = repository_url(), repository_ref()
    found = []
    if url.rstrip("/") == PLACEHOLDER:
        found.append(
            f"The repository URL is still the placeholder {PLACEHOLDER}, which nobody here "
            "owns: every page's Colab cell would install and run code from it in the reader's "
            "session. Before publishing, run `python scripts/set_repository.py "
            "https://github.com/YOU/gdbook` with a repository you own.")
    head, tagged = _git("rev-parse", "HEAD"), _git("rev-parse", "-q", "--verify",
                                                   f"{ref}^{{commit}}")
    if head and tagged != head and not head.startswith(ref):
        found.append(
            f"The Colab cells install gdlib at {ref}, but this build is from commit "
            f"{head[:12]}, which {'is not' if tagged else 'is not tagged, and there is no'} "
            f"{ref}: publish this HTML only from the commit tagged {ref} (or pin this one with "
            "`python scripts/set_repository.py --ref ...`).")
    return found


def main(argv: list[str]) -> int:
    args = list(argv[1:])
    if args and args[0] == "--warn":
        found = build_warnings()
        if found:
            bar = "!" * 98
            print(f"\n{bar}\n!! WARNING" + "".join(f"\n!! {w}" for w in found) + f"\n{bar}\n",
                  file=sys.stderr)
        return 0
    ref = None
    if "--ref" in args:
        index = args.index("--ref")
        if index + 1 >= len(args):
            print("--ref needs a tag or a commit", file=sys.stderr)
            return 2
        ref = args[index + 1]
        del args[index:index + 2]
    try:
        if args:
            changed = move(args[0].rstrip("/"), ref)
        elif ref is not None:
            changed = pin(ref)
        else:
            found = problems(repository_url())
            for problem in found:
                print(problem)
            if not found:
                print(f"every notebook installs from {repository_url()} at {repository_ref()} "
                      "on Colab")
            return 1 if found else 0
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    for path in changed:
        print("updated", path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
