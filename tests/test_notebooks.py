"""What every notebook of the book must have: a Colab cell, the device it runs on, exercises."""

import base64
import importlib.util
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from gdlib.viz import page

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


def _copy_of_the_book(tmp_path, monkeypatch):
    (tmp_path / "book").mkdir()
    for name in ("_config.yml", "README.md", "pyproject.toml", "book/colab.md",
                 "book/momentum.ipynb", "book/performance.ipynb"):
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.setattr(set_repository, "ROOT", tmp_path)
    monkeypatch.setattr(set_repository, "CONFIG", tmp_path / "_config.yml")
    monkeypatch.setattr(set_repository, "PYPROJECT", tmp_path / "pyproject.toml")


def test_moving_the_repository_rewrites_the_config_the_pages_and_the_colab_cells(
        tmp_path, monkeypatch):
    _copy_of_the_book(tmp_path, monkeypatch)
    old, ref = set_repository.repository_url(), set_repository.repository_ref()
    new = "https://github.com/someone/their-gdbook"
    set_repository.move(new)
    assert set_repository.repository_url() == new
    assert set_repository.repository_ref() == ref
    assert set_repository.problems(new) == []
    for name in ("_config.yml", "README.md", "book/colab.md", "pyproject.toml"):
        assert old not in (tmp_path / name).read_text()
    for name in ("_config.yml", "book/colab.md", "pyproject.toml"):
        assert new in (tmp_path / name).read_text()
    cell = read(tmp_path / "book" / "performance.ipynb").cells
    assert any(f"git clone -q {new} /content/gdbook\n    !git -C /content/gdbook checkout -q "
               f"{ref}" in c.source for c in cell)


def test_the_colab_cells_install_the_book_extra_at_the_pinned_release():
    url, ref = set_repository.repository_url(), set_repository.repository_ref()
    assert ref == set_repository.release_ref() == f"v{set_repository.version()}"
    cell = set_repository.colab_cell(url, "momentum")
    assert f'!pip install -q "gdlib[book] @ git+{url}@{ref}"' in cell
    assert 'if "google.colab" in sys.modules' in cell  # nowhere else


def test_pinning_another_ref_rewrites_the_config_and_every_cell(tmp_path, monkeypatch):
    _copy_of_the_book(tmp_path, monkeypatch)
    url = set_repository.repository_url()
    changed = set_repository.pin("0123456789abcdef0123456789abcdef01234567")
    assert tmp_path / "_config.yml" in changed
    assert set_repository.repository_ref() == "0123456789abcdef0123456789abcdef01234567"
    assert set_repository.problems(url) == []
    assert "@0123456789abcdef0123456789abcdef01234567" in _first_code(
        tmp_path / "book" / "momentum.ipynb")
    assert f"{url}@0123456789abcdef0123456789abcdef01234567" in (
        tmp_path / "book" / "colab.md").read_text()


def test_the_colab_page_shows_the_pinned_install():
    url, ref = set_repository.repository_url(), set_repository.repository_ref()
    assert f'!pip install -q "gdlib[book] @ git+{url}@{ref}"' in (
        ROOT / "book" / "colab.md").read_text()


def _first_code(path):
    return next(c.source for c in read(path).cells if c.cell_type == "code")


@pytest.mark.parametrize("ref", ["main", "master", "HEAD", "", "v1 ; rm -rf /"])
def test_a_branch_or_an_odd_ref_is_refused(ref):
    with pytest.raises(ValueError, match="the ref must be a release tag"):
        set_repository.check_ref(ref)


def test_the_build_warns_while_the_url_is_the_placeholder(tmp_path, monkeypatch, capsys):
    _copy_of_the_book(tmp_path, monkeypatch)
    monkeypatch.setattr(set_repository, "_git", lambda *args: None)  # no repository to ask
    assert set_repository.repository_url() == set_repository.PLACEHOLDER
    assert set_repository.main(["set_repository.py", "--warn"]) == 0
    printed = capsys.readouterr().err
    assert "WARNING" in printed and "still the placeholder" in printed
    set_repository.move("https://github.com/someone/their-gdbook")
    assert set_repository.build_warnings() == []


def test_the_build_says_when_it_is_not_the_pinned_commit(tmp_path, monkeypatch):
    _copy_of_the_book(tmp_path, monkeypatch)
    set_repository.move("https://github.com/someone/their-gdbook")
    answers = {("rev-parse", "HEAD"): "a" * 40}
    monkeypatch.setattr(set_repository, "_git", lambda *args: answers.get(args))
    (warning,) = set_repository.build_warnings()
    assert f"install gdlib at {set_repository.repository_ref()}" in warning
    assert "is not tagged" in warning
    answers[("rev-parse", "-q", "--verify", f"{set_repository.repository_ref()}^{{commit}}")] = \
        "a" * 40
    assert set_repository.build_warnings() == []


spec = importlib.util.spec_from_file_location("check_html", ROOT / "scripts" / "check_html.py")
check_html = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_html)


def stored_figures(path):
    """The Matplotlib PNGs a notebook stores: (the cell's first line, the PNG's bytes)."""
    for cell in read(path).cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            png = output.get("data", {}).get("image/png")
            if png:
                yield cell.source.splitlines()[0][:60], base64.b64decode(png)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_stored_figure_shows_its_text_at_least_at_the_page_s_small_print(path):
    # What make check-html measures in a browser, from the PNG alone: its smallest text
    # (recorded in the PNG by scripts/figure_text.py) shrunk as the column shrinks a PNG
    # wider than itself. In the book's style (gdlib.viz.page) a figure passes.
    for first_line, png in stored_figures(path):
        chunks = check_html.png_text(png)
        if not chunks.get("Software", "").startswith("Matplotlib"):
            continue
        assert check_html.FIGURE_TEXT_KEY in chunks, f"re-execute {path.name}: {first_line}"
        record = json.loads(chunks[check_html.FIGURE_TEXT_KEY])
        if record["px"] is None:
            continue
        width = int.from_bytes(png[16:20], "big")  # the PNG's IHDR chunk
        shown = record["px"] * min(1.0, page.COLUMN_PX / width)
        assert shown >= page.SMALL_PRINT_PX, (first_line, record["text"], round(shown, 2))
