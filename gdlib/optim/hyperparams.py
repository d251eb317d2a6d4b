"""Checks for hyperparameters, run when an optimizer or schedule is built.

Every check names the parameter, the value it got and the valid range, so a learner who types
``adam(b1=1.2)`` reads what is wrong instead of watching a run turn into NaN. The checks accept
Python numbers, NumPy values and concrete JAX arrays (checked element by element, so a whole
sweep grid is checked at once); values that are being traced inside ``jit`` or ``vmap`` cannot
be inspected and are let through: :func:`gdlib.sweep` checks its grid before tracing.

An optimizer's or a schedule's hyperparameter is one number: its factory is wrapped in
:func:`scalar_hyperparameters`, which refuses an array (``sgd(jnp.array([1e-3, 1e-3]))`` would
otherwise broadcast the parameters to a new shape without a word). A sweep runs several values
at once by building the optimizer once from its whole grid inside :func:`checking_a_grid`, to
check every value, and then once per grid point inside ``vmap``, where each is a scalar again.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import numbers
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import jax
import numpy as np

Schedule = Callable[[Any], Any]


def _concrete(name: str, value: Any) -> np.ndarray | None:
    """Return ``value`` as a float array, ``None`` if it is traced, or raise TypeError."""
    if isinstance(value, jax.core.Tracer):
        return None
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, (str, bytes)):
        kind = type(value).__name__
        raise TypeError(f"{name} must be a real number, got {value!r} of type {kind}")
    if isinstance(value, numbers.Real):
        return np.asarray(float(value))
    try:
        array = np.asarray(value)
    except Exception as error:  # e.g. a list of strings
        raise TypeError(f"{name} must be a real number, got {value!r}") from error
    if array.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must be a real number, got {value!r} of type {type(value).__name__}"
        )
    return array.astype(float)


def _first_bad(array: np.ndarray, ok: np.ndarray) -> float:
    return float(np.ravel(array)[np.argmin(np.ravel(ok))])


def check_range(
    name: str,
    value: Any,
    low: float = -np.inf,
    high: float = np.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> Any:
    """Raise ValueError unless ``low <= value <= high`` (ends open as asked) and finite.

    Returns ``value`` unchanged, so a factory can write ``b1 = check_range("b1", b1, 0, 1, ...)``.

    Example:
        >>> check_range("b1", 0.9, 0.0, 1.0, high_open=True)
        0.9
        >>> check_range("b1", 1.2, 0.0, 1.0, high_open=True)
        Traceback (most recent call last):
        ...
        ValueError: b1 must be in [0.0, 1.0), got 1.2
    """
    array = _concrete(name, value)
    if array is None:
        return value
    ok = np.isfinite(array)
    ok &= (array > low) if low_open else (array >= low)
    ok &= (array < high) if high_open else (array <= high)
    if not np.all(ok):
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        if low == 0 and high == np.inf:
            interval = "a finite number > 0" if low_open else "a finite number >= 0"
            raise ValueError(f"{name} must be {interval}, got {_first_bad(array, ok)}")
        raise ValueError(f"{name} must be in {interval}, got {_first_bad(array, ok)}")
    return value


def check_fraction(name: str, value: Any) -> Any:
    """A decay or momentum coefficient: ``0 <= value < 1``."""
    return check_range(name, value, 0.0, 1.0, high_open=True)


def check_nonnegative(name: str, value: Any) -> Any:
    """A finite number ``>= 0`` (epsilon, decay constants, learning rates)."""
    return check_range(name, value, 0.0)


def check_positive_int(name: str, value: Any) -> int:
    """A whole number ``>= 1`` (a period in steps or epochs)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number >= 1, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value}")
    return int(value)


def as_schedule(learning_rate: float | Schedule, name: str = "learning_rate") -> Schedule:
    """Turn a learning rate into a schedule ``step -> rate``, checking a constant one.

    A callable is taken as a schedule of the step count (0 for the first update); a number
    must be finite and ``>= 0``.

    Example:
        >>> as_schedule(0.1)(5)
        0.1
        >>> as_schedule(-1.0)
        Traceback (most recent call last):
        ...
        ValueError: learning_rate must be a finite number >= 0, got -1.0
    """
    if callable(learning_rate):
        return learning_rate
    check_nonnegative(name, learning_rate)
    return lambda count: learning_rate


_CHECKING_A_GRID = contextvars.ContextVar("gdlib_checking_a_grid", default=False)
Factory = TypeVar("Factory", bound=Callable[..., Any])


@contextlib.contextmanager
def checking_a_grid() -> Iterator[None]:
    """Let optimizer factories take whole arrays of hyperparameters, to check a sweep's grid.

    :func:`gdlib.train.runner.checked_grid` builds the optimizer once from the whole grid
    inside this context, so that every value is checked (and the first bad one named) before
    anything is traced; outside it, an array hyperparameter is refused.

    Example:
        >>> import numpy as np, gdlib
        >>> with checking_a_grid():
        ...     _ = gdlib.sgd(np.array([0.1, 0.2]))  # checked element by element
    """
    token = _CHECKING_A_GRID.set(True)
    try:
        yield
    finally:
        _CHECKING_A_GRID.reset(token)


def check_scalar(name: str, value: Any) -> Any:
    """Raise ValueError if ``value`` is an array of numbers rather than one number.

    Callables (schedules) pass, and so does anything that is not numeric: the range checks
    name their type. A traced value passes if it is a scalar (as each grid point is inside
    ``vmap``). Inside :func:`checking_a_grid` everything passes.

    Example:
        >>> check_scalar("learning_rate", 0.1)
        0.1
        >>> check_scalar("learning_rate", [1e-3, 1e-3])
        Traceback (most recent call last):
        ...
        ValueError: learning_rate must be one number, got an array of shape (2,): to run \
several values at once, give them to a sweep (gdlib.sweep(..., learning_rate=[...]))
    """
    if _CHECKING_A_GRID.get() or callable(value) or value is None:
        return value
    if isinstance(value, jax.core.Tracer):
        shape = value.shape
    else:
        try:
            array = np.asarray(value)
        except Exception:  # ragged or odd: the range check says what is wrong
            return value
        if array.dtype.kind not in "iufc":
            return value
        shape = array.shape
    if shape != ():
        raise ValueError(f"{name} must be one number, got an array of shape {shape}: to run "
                         f"several values at once, give them to a sweep "
                         f"(gdlib.sweep(..., {name}=[...]))")
    return value


def scalar_hyperparameters(factory: Factory) -> Factory:
    """Wrap an optimizer or schedule factory so that every hyperparameter must be one number.

    The wrapped factory has the same name, signature and docstring; each argument goes
    through :func:`check_scalar` before the factory runs (and its own range checks).

    Example:
        >>> @scalar_hyperparameters
        ... def scaled(learning_rate=0.1):
        ...     return learning_rate
        >>> scaled(np.array([0.1, 0.2]))
        Traceback (most recent call last):
        ...
        ValueError: learning_rate must be one number, got an array of shape (2,): to run \
several values at once, give them to a sweep (gdlib.sweep(..., learning_rate=[...]))
    """
    signature = inspect.signature(factory)

    @functools.wraps(factory)
    def build(*args: Any, **kwargs: Any) -> Any:
        if not _CHECKING_A_GRID.get():
            for name, value in signature.bind(*args, **kwargs).arguments.items():
                check_scalar(name, value)
        return factory(*args, **kwargs)

    return build  # type: ignore[return-value]
