"""What every notebook of the book must have: a Colab cell, the device it runs on, exercises."""

import importlib.util
import re
import shutil
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("set_repository",
                                              ROOT / "scripts" / "set_repository.py")
set_repository = importlib.util.module_from_spec(spec)
spec.loader.exec_module(set_repository)

NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
TOC = (ROOT / "_toc.yml").read_text()
CHAPTERS = re.findall(r"file:\s*book/(\S+)", TOC.split("caption: Appendix")[0])


def read(path):
    return nbformat.read(path, as_version=4)


def test_every_notebook_installs_gdlib_on_colab_from_the_configured_repository():
    assert set_repository.problems(set_repository.repository_url()) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_says_which_device_it_runs_on_in_an_ignored_output(path):
    cells = [c for c in read(path).cells
             if c.cell_type == "code" and 'print("JAX runs on:"' in c.source]
    assert cells and "nbval-ignore-output" in cells[0].metadata.get("tags", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_is_stored_executed_without_errors(path):
    for cell in read(path).cells:
        if cell.cell_type != "code" or "nbval-skip" in cell.metadata.get("tags", []):
            continue
        assert cell.execution_count is not None, cell.source[:80]
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source[:80]


def exercise_cells(name):
    """The cells from the line "## Exercises" on, in ``book/NAME.ipynb``."""
    cells = read(ROOT / "book" / f"{name}.ipynb").cells
    start = next(i for i, c in enumerate(cells)
                 if c.cell_type == "markdown" and re.search(r"^## Exercises", c.source, re.M))
    return cells[start:]


def checked_solutions(name):
    """The hidden solutions of ``name``'s exercises that run a gdlib.teach.exercises checker."""
    return [c for c in exercise_cells(name) if "hide-cell" in c.metadata.get("tags", [])
            and "exercises.check" in c.source]


@pytest.mark.parametrize("name", [c for c in CHAPTERS if (ROOT / "book" / f"{c}.ipynb").exists()])
def test_every_chapter_notebook_ends_with_exercises_and_hidden_solutions(name):
    hidden = [c for c in exercise_cells(name) if "hide-cell" in c.metadata.get("tags", [])]
    assert hidden, "solutions are hidden behind a toggle"
    for cell in checked_solutions(name):  # a checked solution passes its own checker
        printed = "".join(o.get("text", "") for o in cell.outputs)
        assert printed.startswith("Passed"), (cell.source[:80], printed)


def test_every_chapter_has_an_exercise_checked_by_gdlib():
    # a chapter is a top-level entry of the "Chapters" part with its sections
    chapters = re.split(r"\n      - file: ", TOC.split("caption: Appendix")[0])[1:]
    for chapter in chapters:
        names = [n for n in re.findall(r"book/(\S+)", chapter)
                 if (ROOT / "book" / f"{n}.ipynb").exists()]
        assert any(checked_solutions(n) for n in names), names


def test_moving_the_repository_rewrites_the_config_the_pages_and_the_colab_cells(
        tmp_path, monkeypatch):
    (tmp_path / "book").mkdir()
    for name in ("_config.yml", "README.md", "book/colab.md", "book/momentum.ipynb",
                 "book/performance.ipynb"):
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.setattr(set_repository, "ROOT", tmp_path)
    monkeypatch.setattr(set_repository, "CONFIG", tmp_path / "_config.yml")
    old = set_repository.repository_url()
    new = "https://github.com/someone/their-gdbook"
    set_repository.move(new)
    assert set_repository.repository_url() == new
    assert set_repository.problems(new) == []
    for name in ("_config.yml", "README.md", "book/colab.md"):
        text = (tmp_path / name).read_text()
        assert old not in text and new in text
    cell = read(tmp_path / "book" / "performance.ipynb").cells
    assert any(f"git clone -q --depth 1 {new}" in c.source for c in cell)
