"""Bad hyperparameters are refused when the optimizer is built, with a message that helps."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gdlib
from gdlib.optim.hyperparams import (
    as_schedule,
    check_positive_int,
    check_range,
    checking_a_grid,
)
from gdlib.optim.optimizers import BY_NAME

FRACTIONS = {  # parameter -> optimizers that take it; valid range [0, 1)
    "momentum": ["momentum", "nesterov"],
    "rho": ["adadelta"],
    "decay": ["rmsprop"],
    "b1": ["adam", "adamax", "nadam"],
    "b2": ["adam", "adamax", "nadam"],
}
BAD_FRACTIONS = [-0.1, 1.0, 1.5, math.nan, math.inf]
BAD_RATES = [-0.01, math.nan, math.inf, -math.inf]
WRONG_TYPES = ["0.1", None, True, [0.1, "a"], 1j]


def _cases(names, values):
    return [(name, value) for name in names for value in values]


@pytest.mark.parametrize("name,value", _cases(list(BY_NAME), BAD_RATES))
def test_bad_learning_rate(name, value):
    with pytest.raises(ValueError, match=r"learning_rate must be a finite number >= 0, got"):
        BY_NAME[name](learning_rate=value)


@pytest.mark.parametrize("name,value", _cases(list(BY_NAME), WRONG_TYPES))
def test_learning_rate_of_the_wrong_type(name, value):
    with pytest.raises(TypeError, match="learning_rate must be a real number"):
        BY_NAME[name](learning_rate=value)


@pytest.mark.parametrize("parameter,optimizer,value", [
    (p, o, v) for p, optimizers in FRACTIONS.items() for o in optimizers for v in BAD_FRACTIONS])
def test_fraction_outside_0_1(parameter, optimizer, value):
    with pytest.raises(ValueError) as error:
        BY_NAME[optimizer](**{parameter: value})
    message = str(error.value)
    assert message.startswith(f"{parameter} must be in [0.0, 1.0)")
    assert message.endswith(f"got {value}")


@pytest.mark.parametrize("parameter,optimizer,value", [
    (p, o, v) for p, optimizers in FRACTIONS.items() for o in optimizers for v in WRONG_TYPES])
def test_fraction_of_the_wrong_type(parameter, optimizer, value):
    with pytest.raises(TypeError, match=f"{parameter} must be a real number"):
        BY_NAME[optimizer](**{parameter: value})


@pytest.mark.parametrize("name", [n for n in BY_NAME if "eps" in
                                  __import__("inspect").signature(BY_NAME[n]).parameters])
def test_negative_eps(name):
    with pytest.raises(ValueError, match=r"eps must be .*, got -1e-08"):
        BY_NAME[name](eps=-1e-8)


def test_adadelta_needs_a_positive_eps():
    with pytest.raises(ValueError, match=r"eps must be a finite number > 0, got 0.0"):
        gdlib.adadelta(eps=0.0)


@pytest.mark.parametrize("value", [0.0, 0.5, np.float32(0.25), jnp.array(0.9), 0])
def test_good_values_pass_unchanged(value):
    assert check_range("b1", value, 0.0, 1.0, high_open=True) is value


def test_a_whole_grid_is_checked_and_the_bad_entry_named():
    with pytest.raises(ValueError, match=r"momentum must be in \[0.0, 1.0\), got 1.2"), \
            checking_a_grid():
        gdlib.momentum(learning_rate=np.array([0.1, 0.2]), momentum=np.array([0.5, 1.2]))
    with pytest.raises(ValueError, match=r"momentum must be in \[0.0, 1.0\), got 1.2"):
        gdlib.sweep(gdlib.momentum, lambda theta: jnp.sum(theta**2), jnp.ones(2), 3,
                    learning_rate=[0.1, 0.2], momentum=[0.5, 1.2])


def test_traced_values_are_not_inspected():
    # inside jit a value is abstract: the factory must build, and sweep checks grids beforehand
    assert jax.jit(lambda b1: gdlib.adam(b1=b1).init(jnp.zeros(2)).mu)(0.5).shape == (2,)


def test_schedule_is_accepted_as_learning_rate():
    assert as_schedule(lambda count: 0.5 / (1 + count))(1) == 0.25


@pytest.mark.parametrize("value,error", [(0, ValueError), (-3, ValueError), (2.5, TypeError),
                                         ("10", TypeError), (True, TypeError)])
def test_positive_int(value, error):
    with pytest.raises(error, match="every must be a whole number >= 1"):
        check_positive_int("every", value)


# Found by mutation testing (tests/mutation).
@pytest.mark.parametrize("value", [[[1.0], [1.0, 2.0]], object()])
def test_a_value_numpy_cannot_read_is_a_type_error_naming_the_parameter(value):
    with pytest.raises(TypeError, match="learning_rate must be a real number"):
        check_range("learning_rate", value, 0.0)


def test_a_range_is_closed_unless_asked_and_unbounded_by_default():
    assert check_range("x", 1.0, 0.0, 1.0) == 1.0  # both ends belong to [0, 1]
    assert check_range("x", 0.0, 0.0, 1.0) == 0.0
    assert check_range("x", -5.0) == -5.0 and check_range("x", 1e300) == 1e300
    with pytest.raises(ValueError, match=r"x must be in \(0.0, 1.0\], got 0.0"):
        check_range("x", 0.0, 0.0, 1.0, low_open=True)
    with pytest.raises(ValueError, match=r"x must be in \[0.0, 1.0\), got 1.0"):
        check_range("x", 1.0, 0.0, 1.0, high_open=True)


def test_the_ends_are_keyword_only():
    with pytest.raises(TypeError):
        check_range("x", 0.5, 0.0, 1.0, True)  # low_open given by position
    assert check_range(name="x", value=0.5, low=0.0) == 0.5


def test_one_is_a_positive_int():
    assert check_positive_int("every", 1) == 1 and check_positive_int("every", 2) == 2


# One number per hyperparameter (found by mutation testing: the checks are also tested here,
# not only through the optimizers).
def test_check_scalar_refuses_arrays_and_passes_everything_else():
    from gdlib.optim.hyperparams import check_scalar

    for value in (0.1, np.float32(0.5), jnp.array(2.0), 3, None, abs, "0.1", [[1.0], [1.0, 2.0]]):
        assert check_scalar("x", value) is value  # numbers, schedules, and what is not numeric
    for value in ([0.1, 0.2], np.ones(3), jnp.ones((1,))):
        with pytest.raises(ValueError, match=r"x must be one number, got an array of shape"):
            check_scalar("x", value)
    with checking_a_grid():
        assert check_scalar("x", np.ones(3)).shape == (3,)
    with pytest.raises(ValueError, match="x must be one number"):  # the context is over
        check_scalar("x", np.ones(3))
    assert jax.jit(lambda v: check_scalar("x", v) * 2)(1.5) == 3.0  # a scalar tracer passes
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        jax.jit(lambda v: check_scalar("x", v))(jnp.ones(2))


def test_scalar_hyperparameters_wraps_a_factory_that_stays_itself():
    from gdlib.optim.hyperparams import scalar_hyperparameters

    def factory(learning_rate=0.1, decay=0.5):
        """Doc."""
        return learning_rate, decay

    wrapped = scalar_hyperparameters(factory)
    assert wrapped.__name__ == "factory" and wrapped.__doc__ == "Doc."
    assert str(__import__("inspect").signature(wrapped)) == "(learning_rate=0.1, decay=0.5)"
    assert wrapped(0.2, decay=0.3) == (0.2, 0.3)
    with pytest.raises(ValueError, match="decay must be one number"):
        wrapped(0.2, np.array([0.3, 0.4]))
    with pytest.raises(ValueError, match="learning_rate must be one number"):
        wrapped([0.2, 0.3])
    with checking_a_grid():
        assert wrapped([0.2, 0.3])[0] == [0.2, 0.3]
