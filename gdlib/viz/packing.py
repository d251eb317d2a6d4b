r"""Runs packed small for a web page: 16-bit codes, differences along time, decoded in the browser.

An interactive figure of the book carries every run it can show: a 20 x 20 grid of learning
rates and momenta is 400 paths. As float32 that is several hundred kilobytes of a page; as
16-bit codes of the differences between successive steps (small numbers, which the page's
compression then squeezes) about a fifth of it, with a resolution far below a pixel.

* :func:`quantize` and :func:`dequantize`: values in ``[low, high]`` to the codes
  ``0 .. 65534`` and back (:data:`MISSING`, 65535, for NaN and values outside the range).
* :func:`differences` and :func:`cumulate`: each series as its first code, then the change
  from step to step, modulo :math:`2^{16}` (so :data:`MISSING` survives the round trip).
* :func:`pack` does both for a stack of runs; :data:`DECODE_JS` is the same decoding in
  JavaScript, for the figures' callbacks.

A value ``v`` is stored as the code :math:`\operatorname{round}((v - \mathrm{low}) /
\mathrm{step})` with :math:`\mathrm{step} = (\mathrm{high} - \mathrm{low}) / 65534`: the error
is at most half a step.

Example:
    >>> codes = pack(np.array([[0.0, 0.5, 0.25, np.nan]]), low=0.0, high=1.0)
    >>> codes.dtype, codes.tolist()
    (dtype('uint16'), [[0, 32767, 49153, 49151]])
    >>> unpack(codes, low=0.0, high=1.0).round(4).tolist()
    [[0.0, 0.5, 0.25, nan]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: The code of a value that is not shown: NaN (a diverged run) or outside the range.
MISSING = 65535
#: The largest code of a value.
TOP = MISSING - 1


def _checked_range(low: float, high: float) -> tuple[float, float]:
    low, high = float(low), float(high)
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"low and high must be finite with low < high, got {low} and {high}")
    return low, high


def quantize(values: Any, low: float, high: float) -> np.ndarray:
    """The codes of ``values``: 0 for ``low``, :data:`TOP` for ``high``, :data:`MISSING` for
    NaN and for values outside ``[low, high]``.

    Example:
        >>> quantize([0.0, 1.0, 2.0, np.nan], 0.0, 1.0).tolist()
        [0, 65534, 65535, 65535]
    """
    low, high = _checked_range(low, high)
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        inside = np.isfinite(values) & (values >= low) & (values <= high)
    scaled = np.where(inside, (values - low) / (high - low) * TOP, 0.0)
    return np.where(inside, np.rint(scaled), MISSING).astype(np.uint16)


def dequantize(codes: Any, low: float, high: float) -> np.ndarray:
    """The values that ``codes`` stand for (NaN for :data:`MISSING`).

    Example:
        >>> dequantize(np.array([0, 65534, 65535], np.uint16), 0.0, 2.0).tolist()
        [0.0, 2.0, nan]
    """
    low, high = _checked_range(low, high)
    codes = np.asarray(codes)
    return np.where(codes == MISSING, np.nan, low + codes * ((high - low) / TOP))


def differences(codes: Any) -> np.ndarray:
    """Each series (the last axis) as its first code, then the step-to-step changes mod 2^16.

    Example:
        >>> differences(np.array([10, 12, 11, 65535], np.uint16)).tolist()
        [10, 2, 65535, 65524]
    """
    codes = np.asarray(codes, dtype=np.int64)
    before = np.concatenate([np.zeros_like(codes[..., :1]), codes[..., :-1]], axis=-1)
    return np.mod(codes - before, 65536).astype(np.uint16)


def cumulate(changes: Any) -> np.ndarray:
    """The inverse of :func:`differences`.

    Example:
        >>> cumulate(np.array([10, 2, 65535, 65524], np.uint16)).tolist()
        [10, 12, 11, 65535]
    """
    changes = np.asarray(changes, dtype=np.int64)
    return np.mod(np.cumsum(changes, axis=-1), 65536).astype(np.uint16)


def pack(values: Any, low: float, high: float) -> np.ndarray:
    """:func:`quantize`, then :func:`differences` along the last axis (time)."""
    return differences(quantize(values, low, high))


def unpack(packed: Any, low: float, high: float) -> np.ndarray:
    """What the page shows for :func:`pack` ``(values, low, high)``: the values to half a step,
    NaN where they were missing (the Python twin of :data:`DECODE_JS`)."""
    return dequantize(cumulate(packed), low, high)


def pack_log(values: Any, low_exponent: float, high_exponent: float) -> np.ndarray:
    """:func:`pack` of ``log10(values)``: positive values over many decades (a loss gap).
    Values that are not positive are missing (a log scale cannot show them).

    Example:
        >>> [float(f"{v:.3g}") for v in unpack_log(pack_log([1e-3, 1.0, 0.0], -12, 4), -12, 4)]
        [0.001, 1.0, nan]
    """
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(values > 0, np.log10(np.where(values > 0, values, 1.0)), np.nan)
    return pack(logs, low_exponent, high_exponent)


def unpack_log(packed: Any, low_exponent: float, high_exponent: float) -> np.ndarray:
    """The inverse of :func:`pack_log`: each value to within a relative error of
    :math:`10^{h/2} - 1`, for the code step :math:`h` in decades (0.03 % over 16 decades)."""
    return 10.0 ** unpack(packed, low_exponent, high_exponent)


#: The range of packed coordinates around a map's window: the window and one window's width
#: on every side (a path that leaves it is cut there, far outside the picture).
MARGIN = 1.0
#: The range of packed gaps :math:`J(\theta) - J^\star`, as powers of ten (float32 goes down
#: to about 1e-38; a run that passes the top has diverged).
GAP_EXPONENTS = (-40.0, 10.0)


def pack_paths(window: tuple[tuple[float, float], tuple[float, float]], xy: Any, gaps: Any
               ) -> tuple[np.ndarray, list[float]]:
    r"""Runs on a 2-D surface packed for a page: codes of shape ``(runs, 3, steps + 1)`` (the
    two coordinates and the gap of each step) and the ranges they were packed with,
    ``[x_low, x_high, y_low, y_high, gap_low_exponent, gap_high_exponent]`` (numbers from the
    window and the constants above, so the same on every machine).

    Args:
        window: the map's ``((xmin, xmax), (ymin, ymax))``.
        xy: positions, shape ``(runs, steps + 1, 2)``, NaN after a divergence.
        gaps: :math:`J(\theta_t) - J^\star`, shape ``(runs, steps + 1)``.

    Example:
        >>> xy = np.array([[[0.0, 0.0], [0.5, -0.5], [np.nan, np.nan]]])
        >>> codes, box = pack_paths(((-1, 1), (-1, 1)), xy, np.array([[1.0, 0.1, np.nan]]))
        >>> codes.shape, box
        ((1, 3, 3), [-3.0, 3.0, -3.0, 3.0, -40.0, 10.0])
        >>> unpack(codes[0, 0], *box[:2]).round(4).tolist()
        [0.0, 0.5, nan]
    """
    (x0, x1), (y0, y1) = window
    dx, dy = MARGIN * (x1 - x0), MARGIN * (y1 - y0)
    box = [float(x0 - dx), float(x1 + dx), float(y0 - dy), float(y1 + dy), *GAP_EXPONENTS]
    xy = np.asarray(xy, dtype=np.float64)
    gaps = np.asarray(gaps, dtype=np.float64)
    if xy.ndim != 3 or xy.shape[-1] != 2 or gaps.shape != xy.shape[:2]:
        raise ValueError(f"xy must have shape (runs, steps, 2) and gaps (runs, steps), got "
                         f"{xy.shape} and {gaps.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(gaps > 0, np.log10(np.where(gaps > 0, gaps, 1.0)), np.nan)
    codes = np.stack([quantize(xy[..., 0], box[0], box[1]), quantize(xy[..., 1], box[2], box[3]),
                      quantize(logs, box[4], box[5])], axis=1)
    return differences(codes), box


#: ``gdlibDecode(codes, offset, count, low, high, log)``: the values of one packed series
#: ``codes[offset:offset + count]`` as a Float64Array, NaN where missing; ``log`` for
#: :func:`pack_log`. Paste it at the top of a callback's code.
DECODE_JS = """
function gdlibDecode(codes, offset, count, low, high, log) {
  const out = new Float64Array(count), step = (high - low) / 65534;
  let v = 0;
  for (let t = 0; t < count; t++) {
    v = (v + codes[offset + t]) & 0xffff;
    out[t] = v === 65535 ? NaN : (log ? Math.pow(10, low + step * v) : low + step * v);
  }
  return out;
}
"""
