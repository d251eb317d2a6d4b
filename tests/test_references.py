"""The references page lists exactly the works the book cites, each once.

``book/references.md`` shows every entry of ``book/references.bib`` (``:all:``), so an entry
that no page cites would appear as a work the book relies on although no page does, and a
citation without an entry breaks the build. Both are caught here, before the build.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
CITE = re.compile(r"\{cite(?::\w+)?\}`([^`]+)`")
ENTRY = re.compile(r"^@\w+\s*\{\s*([^,\s]+)\s*,", re.MULTILINE)


def page_texts() -> dict[str, str]:
    """The Markdown of every page: Markdown files, and the Markdown cells of notebooks."""
    texts = {}
    for path in sorted(BOOK.glob("*.md")):
        texts[path.name] = path.read_text()
    for path in sorted(BOOK.glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        texts[path.name] = "\n".join("".join(c["source"]) for c in cells
                                     if c["cell_type"] == "markdown")
    return texts


def cited_keys(text: str) -> set[str]:
    """The bibliography keys that ``{cite}``, ``{cite:p}``, ``{cite:t}``... roles name."""
    return {key.strip() for match in CITE.finditer(text) for key in match.group(1).split(",")}


def entry_keys() -> list[str]:
    return ENTRY.findall((BOOK / "references.bib").read_text())


def test_every_citation_has_an_entry():
    entries = set(entry_keys())
    missing = {f"{page}: {key}" for page, text in page_texts().items()
               for key in cited_keys(text) - entries}
    assert not missing, f"cited but not in book/references.bib: {sorted(missing)}"


def test_every_entry_is_cited_and_appears_once():
    keys = entry_keys()
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, f"entries listed twice in book/references.bib: {duplicates}"
    cited = set().union(*(cited_keys(t) for t in page_texts().values()))
    uncited = sorted(set(keys) - cited)
    assert not uncited, f"in book/references.bib but cited by no page: {uncited}"


def test_the_parser_finds_each_form_of_citation():
    text = "{cite:p}`a2001, b2002` and {cite:t}`c2003`; {cite}`d2004`; `{cite}` alone"
    assert cited_keys(text) == {"a2001", "b2002", "c2003", "d2004"}
    assert ENTRY.findall("@article{x2001,\n title={T}}\n@misc{ y2002 ,") == ["x2001", "y2002"]


def test_the_bibliography_parses():
    """A missing brace in one entry swallows the entries after it, and the book does not build."""
    database = pytest.importorskip("pybtex.database")
    entries = database.parse_file(str(BOOK / "references.bib")).entries
    assert sorted(entries) == sorted(entry_keys())
