"""gdlib's folders are layers: a module imports only from its own layer and the layers below.

optim <- problems <- train <- {viz, parallel, teach}; the three top folders do not import each
other. ``gdlib/__init__.py`` sits above them all and re-exports the public names.
"""

import ast
from pathlib import Path

import pytest

import gdlib

GDLIB = Path(gdlib.__file__).parent
RANK = {"optim": 0, "problems": 1, "train": 2, "viz": 3, "parallel": 3, "teach": 3}
MODULES = sorted(p for p in GDLIB.glob("*/*.py"))


def imported_layers(path: Path) -> set[str]:
    """The gdlib layers a module's code imports (at any depth, in functions too)."""
    layers = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "gdlib":
                if len(parts) == 1 or parts[1] not in RANK:
                    layers.add("gdlib")  # the top-level package: above every layer
                else:
                    layers.add(parts[1])
    return layers


def test_every_module_sits_in_a_layer():
    assert {p.parent.name for p in MODULES} == set(RANK)
    assert not [p.name for p in GDLIB.glob("*.py") if p.name != "__init__.py"]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}.{p.stem}")
def test_a_module_imports_only_its_own_layer_and_those_below(path):
    own = path.parent.name
    for layer in imported_layers(path):
        assert layer != "gdlib", f"{own}/{path.name} imports the top-level gdlib package"
        assert layer == own or RANK[layer] < RANK[own], (
            f"{own}/{path.name} imports gdlib.{layer}, a layer above or beside it")


@pytest.mark.parametrize("layer", sorted(RANK))
def test_each_layer_lists_its_modules(layer):
    """A newcomer reads a layer's docstring for what is in it: every module is named there."""
    package = __import__(f"gdlib.{layer}", fromlist=["__doc__"])
    missing = [p.stem for p in MODULES if p.parent.name == layer and p.stem != "__init__"
               and f"gdlib.{layer}.{p.stem}`" not in package.__doc__]
    assert not missing, f"gdlib/{layer}/__init__.py does not list {missing}"


def test_the_check_catches_an_import_from_a_layer_above(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from gdlib.viz import race\n")
    assert imported_layers(module) == {"viz"}
    module.write_text("from gdlib import adam\n")
    assert imported_layers(module) == {"gdlib"}


def test_the_public_names_still_work():
    for name in gdlib.__all__:
        assert getattr(gdlib, name) is not None
    assert gdlib.schedules.exponential and gdlib.surfaces.rosenbrock
