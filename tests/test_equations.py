"""The equations table lists every optimizer, with every hyperparameter it uses."""

import inspect
import re

from gdlib.optim.optimizers import BY_NAME
from gdlib.teach import equations, oracles


def test_the_table_lists_every_optimizer_in_the_slides_order():
    assert list(equations.UPDATE_EQUATIONS) == list(BY_NAME)


def test_each_equation_shows_every_hyperparameter_of_its_optimizer():
    for name, eq in equations.UPDATE_EQUATIONS.items():
        latex = eq.update + " ".join(eq.state)
        for parameter in inspect.signature(BY_NAME[name]).parameters:
            assert equations.SYMBOLS[parameter] in latex, (name, parameter)


def test_the_latex_has_balanced_braces_and_no_table_breaking_bar():
    for eq in equations.UPDATE_EQUATIONS.values():
        for latex in (eq.update, *eq.state, eq.slides or ""):
            assert "|" not in latex and "$" not in latex
            depth = 0
            for char in latex:
                depth += {"{": 1, "}": -1}.get(char, 0)
                assert depth >= 0, latex
            assert depth == 0, latex


def test_the_slides_table_has_rows_from_sgd_to_adam_only():
    missing = [eq.method for eq in equations.UPDATE_EQUATIONS.values() if eq.slides is None]
    assert missing == ["AdaMax", "Nadam"]
    differs = [eq.method for eq in equations.UPDATE_EQUATIONS.values() if eq.slides]
    assert differs == ["Adadelta", "Adam"]  # the learning rate; ε inside the root


def test_markdown_tables_have_a_row_per_optimizer_and_every_oracle():
    lines = equations.table().splitlines()
    assert len(lines) == 2 + len(BY_NAME)
    for line, eq in zip(lines[2:], equations.UPDATE_EQUATIONS.values(), strict=True):
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        assert len(cells) == 5 and cells[0] == eq.method
        assert cells[3].count("$") == 2 * len(eq.state)
    lines = equations.table(oracles=True).splitlines()
    assert len(lines) == 2 + len(BY_NAME)
    for line, name in zip(lines[2:], BY_NAME, strict=True):
        found = re.findall(r"`((?:optax|torch)\.[^`]+)`", line)
        assert len(found) == len(oracles.ORACLES[name])
    assert "none (ε outside the root)" in lines[2 + list(BY_NAME).index("rmsprop")]
