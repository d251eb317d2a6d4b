"""Open every page of the built book in headless Chromium and check what a reader would see.

Usage: python scripts/check_html.py [_build/html]   (run by `make check-html` after `make book`)

For each page listed in the book's table of contents (and the landing page) it:

* takes a screenshot with Chromium into ``_build/screenshots/`` (look at them: math, plots and
  animations should be there);
* fails on a JavaScript error (an uncaught exception in Chromium's console), except the known,
  harmless ones listed in ``KNOWN_HARMLESS``;
* fails on a missing image, a broken internal link or anchor, a Python traceback or error output,
  a raw object repr such as ``<Figure at 0x...>``, a Markdown table left as raw text, an empty
  cell output, math that MathJax did not typeset, and a page (with its images) over 8 MB.

It also fails on a page whose math MathJax did not typeset (the page's DOM after loading has no
MathJax output although the page has math). MathJax is served with the book, so this holds
offline; without network the CDN scripts (require.js for the widgets) fail to load, which is
reported as a note, not an error: readers online get them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

PAGE_BUDGET_BYTES = 8_000_000
# Errors that do not break rendering, each with the reason it is harmless.
KNOWN_HARMLESS = {
    # sphinx-book-theme 1.x with launch buttons emits the thebe configuration script twice on
    # notebook pages; the second `const` declaration fails, the first one stays in force.
    "Identifier 'THEBE_JS_URL' has already been declared",
}
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--virtual-time-budget=15000", "--window-size=1280,2400",
    "--enable-logging=stderr", "--v=0",
]
CONSOLE = re.compile(r'INFO:CONSOLE[^\]]*\] "(?P<message>.*)", source: (?P<source>\S*)')
REPR = re.compile(r"<[\w.]+(?: object)? at 0x[0-9a-fA-F]+>")
# A Markdown table left as text: its rule row, "|---|" (Sphinx's smartquotes make it "|—|").
RAW_TABLE = re.compile(r"\|\s*:?(?:-{3,}|[\u2013\u2014]+):?\s*\|")


class PageParser(HTMLParser):
    """Collects ids, links, images and the visible text of one page."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.images: list[str] = []
        self.error_outputs = 0
        self.empty_outputs = 0
        self.text: list[str] = []
        self.prose: list[str] = []  # the visible text outside <pre> (printed output, code)
        self._skip = 0
        self._pre = 0
        self._divs: list[bool] = []  # for each open div: is it a cell's output area?
        self._output_content = 0  # text, images, scripts... seen in the open output area

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])
        classes = (attrs.get("class") or "").split()
        if "traceback" in classes or ("output" in classes and "error" in classes):
            self.error_outputs += 1
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "pre":
            self._pre += 1
        if tag == "div":
            is_output = "cell_output" in classes
            if is_output:
                self._output_content = 0
            self._divs.append(is_output)
        if tag in ("img", "script", "svg", "iframe", "video", "table", "input"):
            self._output_content += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag == "pre" and self._pre:
            self._pre -= 1
        if tag == "div" and self._divs and self._divs.pop() and not self._output_content:
            self.empty_outputs += 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)
            if not self._pre:
                self.prose.append(data)
            if data.strip():
                self._output_content += 1


def parse(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def pages(root: Path) -> list[Path]:
    """The landing page and every page of the table of contents, in book order."""
    toc = (Path(__file__).resolve().parent.parent / "_toc.yml").read_text()
    names = re.findall(r"(?:root|file):\s*(\S+)", toc)
    return [root / f"{name}.html" for name in names]


def static_problems(page: Path, root: Path) -> list[str]:
    problems = []
    parsed = parse(page)
    for src in parsed.images:
        if src.startswith(("data:", "http://", "https://")):
            continue
        if not (page.parent / unquote(urlparse(src).path)).exists():
            problems.append(f"missing image {src}")
    for href in parsed.links:
        url = urlparse(href)
        if url.scheme or href.startswith(("mailto:", "//")):
            continue
        target = (page.parent / unquote(url.path)).resolve() if url.path else page
        if not target.exists():
            problems.append(f"broken link {href}")
        elif url.fragment and target.suffix == ".html":
            if url.fragment not in parse(target).ids:
                problems.append(f"broken anchor {href}")
    text = "".join(parsed.text)
    if "Traceback (most recent call last)" in text or parsed.error_outputs:
        problems.append("a traceback or an error output is shown")
    if parsed.empty_outputs:
        problems.append(f"{parsed.empty_outputs} empty cell output(s)")
    if RAW_TABLE.search("".join(parsed.prose)):
        problems.append("a Markdown table is shown as raw text")
    for match in sorted(set(REPR.findall(text))):
        problems.append(f"raw object repr shown: {match}")
    size = page.stat().st_size + sum(
        (page.parent / unquote(urlparse(src).path)).stat().st_size for src in parsed.images
        if not src.startswith(("data:", "http")) and (page.parent / unquote(src)).exists())
    if size > PAGE_BUDGET_BYTES:
        problems.append(f"page weighs {size / 1e6:.1f} MB, over the 8 MB budget")
    return problems


def browser_problems(chromium: str, page: Path, shot: Path) -> tuple[list[str], list[str]]:
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}",
             page.as_uri()], capture_output=True, text=True, timeout=120)
    errors, notes = [], []
    for match in CONSOLE.finditer(result.stderr):
        message = match["message"]
        if not message.startswith("Uncaught"):
            continue
        if any(known in message for known in KNOWN_HARMLESS):
            continue
        (notes if "net::" in message else errors).append(f"JavaScript: {message}")
    if "ERR_NAME_NOT_RESOLVED" in result.stderr or "ERR_INTERNET_DISCONNECTED" in result.stderr:
        notes.append("no network: CDN scripts (MathJax, require.js) did not load")
    if not shot.exists():
        errors.append(f"no screenshot (chromium exit {result.returncode})")
    return errors, notes


def math_problems(chromium: str, page: Path) -> list[str]:
    """An error if the page has math that MathJax (2 or 3) left untypeset."""
    if 'class="math' not in page.read_text(encoding="utf-8"):
        return []
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom",
             page.as_uri()], capture_output=True, text=True, timeout=120)
    if "MathJax-Element" in result.stdout or "<mjx-container" in result.stdout:
        return []
    return ["the page's math was not typeset by MathJax"]


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "_build/html").resolve()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed (make check-html installs it with apt-get)")
        return 2
    shots = root.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    failed = 0
    for page in pages(root):
        if not page.exists():
            print(f"FAIL {page.relative_to(root)}: not built")
            failed += 1
            continue
        name = str(page.relative_to(root)).replace("/", "_").removesuffix(".html")
        errors, notes = browser_problems(chromium, page, shots / f"{name}.png")
        errors += static_problems(page, root) + math_problems(chromium, page)
        status = "FAIL" if errors else "ok  "
        print(f"{status} {page.relative_to(root)}  (screenshot: {shots.name}/{name}.png)")
        for line in errors:
            print(f"     - {line}")
        for line in sorted(set(notes)):
            print(f"     note: {line}")
        failed += bool(errors)
    print(f"{failed} of {len(pages(root))} pages failed the check")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
