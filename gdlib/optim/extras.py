"""Optional dependencies: import one, or say which of gdlib's extras installs it.

``pip install gdlib`` installs the library and what every module needs (jax, numpy,
matplotlib, ipywidgets, IPython). A few modules need more, declared as extras in
``pyproject.toml``:

* ``gdlib[oracles]``: optax and PyTorch, the libraries :mod:`gdlib.teach.oracles` compares
  every optimizer with.
* ``gdlib[data]``: scikit-learn, whose bundled real data sets :mod:`gdlib.problems.data` loads.
* ``gdlib[book]``: both, which is what the book's notebooks use (the Colab cell installs it).
* ``gdlib[test]``: the book extra and what the test suite needs (pytest, nbval, ...).

A module that needs an extra asks :func:`require` (or :func:`check_available`) for it, so that
a missing package fails with the command that installs it rather than a bare
``ModuleNotFoundError``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

#: The package to install for a module, where its name differs.
PACKAGES = {"sklearn": "scikit-learn"}


def missing(module: str, extra: str, needed_by: str) -> ModuleNotFoundError:
    """The error for a missing optional ``module``: who needs it, and the extra to install.

    Example:
        >>> print(missing("sklearn.datasets", "data", "gdlib.problems.data.digits"))
        gdlib.problems.data.digits needs scikit-learn, which is not installed: pip install \
"gdlib[data]" (or "gdlib[book]", everything the book's notebooks use)
    """
    top = module.split(".")[0]
    package = PACKAGES.get(top, top)
    also = ' (or "gdlib[book]", everything the book\'s notebooks use)' if extra != "book" else ""
    return ModuleNotFoundError(f'{needed_by} needs {package}, which is not installed: '
                               f'pip install "gdlib[{extra}]"{also}', name=top)


def _absent(module: str) -> bool:
    top = module.split(".")[0]
    if top in sys.modules:  # imported already, or blocked (None) on purpose
        return sys.modules[top] is None
    return importlib.util.find_spec(top) is None


def require(module: str, extra: str, needed_by: str) -> ModuleType:
    """Import ``module``, or raise :func:`missing`'s error if its package is not installed.

    An error *inside* an installed package (one of its own imports failing) is not hidden.

    Example:
        >>> require("json", "data", "an example").__name__
        'json'
        >>> require("not_a_module_gdlib_needs", "oracles", "an example")
        Traceback (most recent call last):
        ...
        ModuleNotFoundError: an example needs not_a_module_gdlib_needs, which is not \
installed: pip install "gdlib[oracles]" (or "gdlib[book]", everything the book's notebooks use)
    """
    if _absent(module):
        raise missing(module, extra, needed_by)
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name and module.split(".")[0] == error.name.split(".")[0]:
            raise missing(module, extra, needed_by) from error
        raise


def check_available(modules: tuple[str, ...], extra: str, needed_by: str) -> None:
    """Raise :func:`missing`'s error for the first of ``modules`` that is not installed,
    without importing any of them (a module can check its extra when it is imported and
    import the packages only when it uses them).

    Example:
        >>> check_available(("json", "math"), "oracles", "an example")
    """
    for module in modules:
        if _absent(module):
            raise missing(module, extra, needed_by)
