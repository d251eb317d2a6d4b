"""Optional dependencies: a missing extra fails with the command that installs it."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from gdlib.optim import extras
from gdlib.problems import data

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_the_message_names_the_package_and_the_extra():
    error = extras.missing("sklearn.datasets", "data", "gdlib.problems.data.digits")
    assert isinstance(error, ModuleNotFoundError) and error.name == "sklearn"
    assert str(error).startswith('gdlib.problems.data.digits needs scikit-learn, which is not '
                                 'installed: pip install "gdlib[data]"')
    assert 'gdlib[book]' in str(error)
    assert 'or "gdlib[book]"' not in str(extras.missing("optax", "book", "a page"))


def test_require_imports_what_is_there():
    assert extras.require("json", "data", "a test").dumps([1]) == "[1]"


def test_require_names_the_extra_of_what_is_not(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # as if scikit-learn were not installed
    with pytest.raises(ModuleNotFoundError, match=re.escape('pip install "gdlib[data]"')):
        extras.require("sklearn.datasets", "data", "a test")


def test_an_error_inside_an_installed_package_is_not_hidden(tmp_path, monkeypatch):
    (tmp_path / "broken_package_for_gdlib").mkdir()
    (tmp_path / "broken_package_for_gdlib" / "__init__.py").write_text("import missing_inner\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="No module named 'missing_inner'"):
        extras.require("broken_package_for_gdlib", "data", "a test")


def test_check_available_imports_nothing(monkeypatch):
    extras.check_available(("json",), "oracles", "a test")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ModuleNotFoundError, match=r"a test needs torch, .*gdlib\[oracles\]"):
        extras.check_available(("optax", "torch"), "oracles", "a test")
    assert "not_a_module_gdlib_needs" not in sys.modules
    with pytest.raises(ModuleNotFoundError, match="not_a_module_gdlib_needs"):
        extras.check_available(("not_a_module_gdlib_needs",), "oracles", "a test")


def test_the_data_sets_without_scikit_learn_say_which_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    for loader in (data.digits, data.diabetes):
        with pytest.raises(ModuleNotFoundError, match=re.escape('pip install "gdlib[data]"')):
            loader()
    assert data.sparse_power_law(__import__("jax").random.key(0), 50, 5).data.x_train.shape == \
        (40, 5)  # the synthetic data needs no extra


def test_the_oracles_without_optax_or_torch_say_which_extra():
    # A module cannot be imported twice in one process: a fresh one, with optax blocked.
    code = ("import sys; sys.modules['optax'] = None\n"
            "try:\n    import gdlib.teach.oracles\n"
            "except ModuleNotFoundError as error:\n    print(error)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "JAX_PLATFORMS": "cpu"}, check=True)
    assert result.stdout.strip() == ('gdlib.teach.oracles needs optax, which is not installed: '
                                     'pip install "gdlib[oracles]" (or "gdlib[book]", '
                                     "everything the book's notebooks use)")


def test_the_extras_are_declared_as_the_modules_use_them():
    optional = PYPROJECT["optional-dependencies"]
    assert optional["oracles"] == ["optax", "torch"]
    assert optional["data"] == ["scikit-learn"]
    assert optional["book"] == ["gdlib[oracles,data]"]
    assert optional["test"][0] == "gdlib[book]" and "pytest" in optional["test"]
    for requirement in [r for group in optional.values() for r in group] + \
            PYPROJECT["dependencies"]:
        assert not re.search(r"[=<>~]", requirement), \
            f"{requirement}: keep gdlib's requirements loose (Colab keeps its own versions)"
    text = (ROOT / "gdlib" / "optim" / "extras.py").read_text()
    for extra in optional:
        assert f"``gdlib[{extra}]``" in text  # the module's docstring lists every extra


def test_every_package_the_library_imports_is_declared():
    # The packages gdlib's modules import at any depth, beyond the standard library.
    declared = {re.split(r"[\[<>=~ ]", r)[0].lower()
                for r in PYPROJECT["dependencies"] + PYPROJECT["optional-dependencies"]["oracles"]
                + PYPROJECT["optional-dependencies"]["data"]}
    module_to_package = {"sklearn": "scikit-learn", "PIL": "pillow", "IPython": "ipython",
                         "jax": "jax"}
    imported = set()
    for path in (ROOT / "gdlib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names
                   and m not in ("gdlib", "__future__", "myst_nb")}  # myst_nb: glue, if there
    assert {module_to_package.get(m, m).lower() for m in third_party} <= declared, third_party
