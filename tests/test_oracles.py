"""gdlib.teach.oracles: optax and torch agree with every optimizer, and a wrong mapping fails."""

import inspect

import jax
import numpy as np
import optax
import pytest

import gdlib
from gdlib.optim.optimizers import BY_NAME
from gdlib.teach import oracles

# Not the defaults, and ε large enough that its place (inside or outside a root) shows.
SETTINGS = {
    "sgd": dict(learning_rate=0.05),
    "momentum": dict(learning_rate=0.05, momentum=0.8),
    "nesterov": dict(learning_rate=0.05, momentum=0.8),
    "adagrad": dict(learning_rate=0.3, eps=1e-2),
    "adadelta": dict(rho=0.8, eps=1e-3, learning_rate=0.5),
    "rmsprop": dict(learning_rate=0.02, decay=0.8, eps=1e-2),
    "adam": dict(learning_rate=0.05, b1=0.8, b2=0.95, eps=1e-3),
    "adamax": dict(learning_rate=0.05, b1=0.8, b2=0.95, eps=1e-3),
    "nadam": dict(learning_rate=0.05, b1=0.8, b2=0.95, eps=1e-3),
}


def test_every_optimizer_has_oracles_that_name_its_hyperparameters():
    assert list(oracles.ORACLES) == list(BY_NAME)
    for name, table in oracles.ORACLES.items():
        assert table, name
        names = set(inspect.signature(BY_NAME[name]).parameters)
        for oracle in table:
            oracle.label.format(**{k: "x" for k in names})  # no unknown field
            assert oracle.label.startswith(("optax.", "torch.optim."))


@pytest.mark.parametrize("name", list(BY_NAME))
def test_gdlib_equals_every_oracle_in_float64(name):
    comparison = oracles.check(name, **SETTINGS[name])
    assert comparison.moved > 0.1
    assert len(comparison.differences) == len(oracles.ORACLES[name])
    assert comparison.largest() < 1e-12
    text = str(comparison)
    assert text.startswith(f"gdlib.{name}(") and all(label in text
                                                      for label in comparison.differences)


def test_check_fails_when_an_oracle_is_wrong(monkeypatch):
    wrong = oracles.Oracle("optax.adam({learning_rate}) with eps inside the root",
                           lambda learning_rate, b1, b2, eps: optax.adam(
                               learning_rate, b1=b1, b2=b2, eps=0.0, eps_root=eps))
    monkeypatch.setitem(oracles.ORACLES, "adam", (wrong,))
    with pytest.raises(AssertionError, match="eps inside the root by"):
        oracles.check("adam", **SETTINGS["adam"])


def test_check_refuses_a_run_that_does_not_move():
    with pytest.raises(AssertionError, match="hardly moved"):
        oracles.check("sgd", learning_rate=0.0)


def test_hyperparameters_fill_in_the_defaults_and_reject_unknown_names():
    assert oracles.hyperparameters("adadelta", rho=0.5) == {
        "learning_rate": 1.0, "rho": 0.5, "eps": 1e-6}
    with pytest.raises(TypeError, match="not \\['momentum'\\]"):
        oracles.hyperparameters("adam", momentum=0.9)
    with pytest.raises(ValueError, match="name must be one of"):
        oracles.hyperparameters("lion")


def test_trajectories_are_float64_whatever_the_global_setting():
    assert not jax.config.jax_enable_x64
    problem = oracles.problem(seed=3)
    thetas = oracles.trajectory(gdlib.sgd(0.1), problem, 5)
    # by hand: θ_{t} = θ_{t-1} - 0.1 ∇J(θ_{t-1}) in float64
    theta = problem.start
    for t in range(1, 6):
        theta = theta - 0.1 * problem.gradient(theta)
        np.testing.assert_allclose(thetas[t], theta, rtol=1e-15, atol=1e-15)


def test_problem_is_reproducible_and_its_gradient_is_the_loss_gradient():
    a, b = oracles.problem(seed=1), oracles.problem(seed=1)
    np.testing.assert_array_equal(a.matrix, b.matrix)
    assert np.all(np.linalg.eigvalsh(a.matrix) > 0.49)
    theta, h = a.start, 1e-6
    numeric = [(a.loss(theta + h * e) - a.loss(theta - h * e)) / (2 * h) for e in np.eye(6)]
    np.testing.assert_allclose(a.gradient(theta), numeric, rtol=1e-6)
    tiny = oracles.problem(seed=1, scale=1e-6)
    np.testing.assert_allclose(tiny.gradient(theta), 1e-6 * a.gradient(theta), rtol=1e-12)


def test_difference_sees_a_small_change_and_torch_runs_alike():
    import torch

    assert oracles.difference(gdlib.adam(0.05), gdlib.adam(0.05)) == 0.0
    assert oracles.difference(gdlib.adam(0.05), gdlib.adam(0.0501)) > 1e-4
    same = oracles.difference(gdlib.sgd(0.1), lambda p: torch.optim.SGD(p, lr=0.1))
    assert same < 1e-14


def test_distance_is_the_length_of_the_whole_move():
    problem = oracles.problem(seed=4)
    thetas = oracles.trajectory(gdlib.adam(0.05), problem, 20)
    assert oracles.distance(gdlib.adam(0.05), problem, 20) == pytest.approx(
        np.linalg.norm(thetas[-1] - thetas[0]), rel=1e-12)


def test_a_checked_comparison_prints_its_bound_not_digits_of_rounding_error():
    checked = oracles.check("adam", learning_rate=0.05)
    assert "below 1e-12" in str(checked) and "e-1" not in str(checked).replace("1e-12", "")
    unchecked = oracles.compare("adam", learning_rate=0.05)
    assert unchecked.tolerance is None and "below" not in str(unchecked)


def test_the_table_has_a_row_per_oracle_and_fails_like_check(monkeypatch):
    text = oracles.table({"momentum": {"learning_rate": 0.05, "momentum": 0.8},
                          "adagrad": {"learning_rate": 0.3, "eps": 1e-2}})
    rows = text.splitlines()[2:]
    assert len(rows) == len(oracles.ORACLES["momentum"]) + len(oracles.ORACLES["adagrad"])
    assert all(row.endswith("| 50 | below 1e-12 |") for row in rows)
    assert rows[0].startswith("| `gdlib.momentum(learning_rate=0.05, momentum=0.8)` |")
    wrong = oracles.ORACLES["adagrad"][0]._replace(build=lambda **h: __import__("optax").sgd(0.3))
    monkeypatch.setitem(oracles.ORACLES, "adagrad", [wrong])
    with pytest.raises(AssertionError, match="adagrad differs"):
        oracles.table({"adagrad": {"learning_rate": 0.3, "eps": 1e-2}})
