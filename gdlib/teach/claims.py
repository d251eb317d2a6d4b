r"""What a page says, taken from the run: numbers glued into the prose, conclusions checked.

A number in the book's prose is never typed: the cell that computes it *glues* it, at the
precision the computation determines, and the Markdown inserts it with myst-nb's role,
``{glue:text}`name```. A conclusion the prose draws from a run is *checked* by the cell after
the run: :func:`check` prints ``Checked: <the claim>`` where it holds and raises
:class:`ClaimError`, naming the claim, where the run no longer supports it, so that ``make
test`` fails on a stale sentence instead of printing a different digit.

On Colab, where myst-nb is not installed, :func:`glue` only formats and returns its value;
the checks run the same everywhere.

Example:
    >>> loss = glue("final_loss", 0.43312, ".3f")  # in the prose: {glue:text}`final_loss`
    >>> loss
    '0.433'
    >>> check("the loss fell below a half", 0.43312 < 0.5)
    Checked: the loss fell below a half.
    >>> check("the loss fell below a tenth", 0.43312 < 0.1, f"it is {0.43312:.3f}")
    Traceback (most recent call last):
    ...
    gdlib.teach.claims.ClaimError: The run no longer supports the claim "the ..." (it is 0.433).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

try:  # the book's build has myst-nb; Colab does not
    from myst_nb import glue as _myst_glue
except ImportError:  # pragma: no cover - exercised by `make test-latest`, which has no myst-nb
    _myst_glue = None


class ClaimError(AssertionError):
    """A conclusion that the page draws and that its run no longer supports."""


def _scalar(value: Any) -> Any:
    """A Python scalar from a NumPy or JAX scalar (or 0-d array); anything else unchanged."""
    if hasattr(value, "shape") and getattr(value, "shape", None) == () and hasattr(value, "item"):
        return value.item()
    return value


def formatted(value: Any, fmt: str | None = None) -> str:
    """``value`` as the prose shows it: ``format(value, fmt)``, or exactly for int and str.

    A float needs a format: how many of its digits the computation determines is the
    caller's to say (``".3f"``, ``".2g"``, ``".1%"``, ``",d"``, ...).

    Example:
        >>> formatted(0.4331, ".1%"), formatted(3452, ",d"), formatted(7)
        ('43.3%', '3,452', '7')
        >>> formatted(0.4331)
        Traceback (most recent call last):
        ...
        TypeError: a float is glued with a format that says how many digits it determines, ...
    """
    value = _scalar(value)
    if fmt is not None:
        return format(value, fmt)
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        raise TypeError("glue a condition with check(), not glue()")
    if isinstance(value, numbers.Integral):
        return str(int(value))
    raise TypeError("a float is glued with a format that says how many digits it determines, "
                    f"e.g. glue(name, {value!r}, \".3f\")")


def glue(name: str, value: Any, fmt: str | None = None) -> str:
    """Glue ``value``, formatted, under ``name`` for the prose; return the formatted text.

    The page inserts it with ``{glue:text}`name```. What is stored (and what nbval compares)
    is the formatted text alone, so a glued number is exactly as portable as its format.

    Args:
        name: the name the Markdown refers to; unique in the notebook.
        value: an int, a str, or a number with ``fmt``.
        fmt: a format specification (``".3f"``, ``".1%"``, ``",d"``), required for floats.

    Example:
        >>> glue("steps", 3452, ",d")
        '3,452'
    """
    text = formatted(value, fmt)
    if _myst_glue is not None:
        _myst_glue(name, text, display=False)
    return text


def check(claim: str, holds: Any, evidence: str = "") -> None:
    """Print ``Checked: <claim>.`` if ``holds``; otherwise raise :class:`ClaimError`.

    Args:
        claim: the conclusion, in the words of the prose (without a final full stop).
        holds: whether the run supports it: a bool, or a NumPy or JAX boolean scalar.
        evidence: what to show when it does not hold (the numbers that decided); printed
            only in the error, so that a passing check prints the same on every machine.

    Example:
        >>> check("momentum reaches the tolerance first", 12 < 40)
        Checked: momentum reaches the tolerance first.
    """
    holds = _scalar(holds)
    if not isinstance(holds, bool | np.bool_):
        raise TypeError(f"check() needs a boolean for {claim!r}, got {type(holds).__name__}")
    if not holds:
        detail = f" ({evidence})" if evidence else ""
        raise ClaimError(f'The run no longer supports the claim "{claim}"{detail}.')
    print(f"Checked: {claim}.")
