"""Check an installed gdlib: every module imports, and a missing extra is named, not guessed.

Usage (``make test-install`` runs it in two fresh environments, from outside the checkout so
that the installed package, not the source tree, is imported):

    python scripts/check_install.py                      # gdlib alone: pip install gdlib
    python scripts/check_install.py --extras book,test   # pip install "gdlib[book,test]"

Every module of the installed package is imported. A module that needs an extra that is not
installed must fail with a ``ModuleNotFoundError`` that names that extra; with the extra, the
module imports and a small comparison (the oracles) or load (the data sets) runs.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

#: Modules that cannot be imported without an extra.
NEEDS_AT_IMPORT = {"gdlib.teach.oracles": "oracles"}
#: What each extra brings, as pyproject.toml declares it (book and test include the others).
IMPLIES = {"oracles": {"oracles"}, "data": {"data"}, "book": {"oracles", "data", "book"},
           "test": {"oracles", "data", "book", "test"}}


def expect_missing(action, extra: str, what: str) -> None:
    try:
        action()
    except ModuleNotFoundError as error:
        if f'"gdlib[{extra}]"' not in str(error):
            raise AssertionError(f"{what} fails without naming gdlib[{extra}]: {error}") from error
        print(f"  {what}: names gdlib[{extra}] ({error})")
    else:
        raise AssertionError(f"{what} worked without the {extra} extra")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extras", default="", help="the extras installed, comma-separated")
    args = parser.parse_args(argv)
    extras = set().union(*(IMPLIES[e] for e in args.extras.split(",") if e))

    import gdlib

    location = Path(gdlib.__file__).resolve()
    if "site-packages" not in location.parts:
        raise AssertionError(f"gdlib imported from {location}, not from an installed package")
    names = sorted(m.name for m in pkgutil.walk_packages(gdlib.__path__, "gdlib."))
    print(f"gdlib from {location.parent}, extras {sorted(extras) or 'none'}: "
          f"{len(names)} modules")
    for name in names:
        extra = NEEDS_AT_IMPORT.get(name)
        if extra and extra not in extras:
            expect_missing(lambda name=name: importlib.import_module(name), extra, name)
        else:
            importlib.import_module(name)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gdlib.viz import page

    plt.style.use(page.STYLE)  # a data file of the package (pyproject's package-data)
    assert plt.rcParams["font.size"] == page.FONT_POINTS, plt.rcParams["font.size"]
    print(f"  the book's Matplotlib style, {page.STYLE!r}, ships with the package")

    from gdlib.problems import data

    if "data" in extras:
        assert data.digits().x_train.shape == (1438, 64)
        print("  gdlib.problems.data.digits() loads scikit-learn's digits")
    else:
        expect_missing(data.digits, "data", "gdlib.problems.data.digits()")
    if "oracles" in extras:
        from gdlib.teach import oracles

        oracles.check("adam", learning_rate=0.1)
        print("  gdlib.teach.oracles.check('adam') agrees with optax and torch.optim")
    print(f"every module of gdlib imports with extras {sorted(extras) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
