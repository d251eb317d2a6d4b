"""Runs packed for a page come back to within half a code step, NaN where they were missing."""

import numpy as np
import pytest

from gdlib.viz import packing


def test_round_trip_is_within_half_a_step_and_keeps_nan():
    rng = np.random.default_rng(0)
    values = rng.uniform(-3, 5, size=(4, 50))
    values[1, 20:] = np.nan
    back = packing.unpack(packing.pack(values, -3, 5), -3, 5)
    step = 8 / packing.TOP
    assert np.all(np.isnan(back) == np.isnan(values))
    assert np.nanmax(np.abs(back - values)) <= step / 2 + 1e-12


def test_values_outside_the_range_are_missing_not_clipped():
    assert packing.quantize([-1.1, 1.1, np.inf], -1, 1).tolist() == [packing.MISSING] * 3


def test_differences_and_cumulate_are_inverse_for_any_codes():
    codes = np.random.default_rng(1).integers(0, 65536, size=(3, 200)).astype(np.uint16)
    assert np.array_equal(packing.cumulate(packing.differences(codes)), codes)


def test_a_smooth_path_packs_into_small_differences():
    path = np.linspace(0, 1, 1000) ** 2
    changes = packing.pack(path, 0, 1).astype(np.int32)
    small = np.minimum(changes[1:], 65536 - changes[1:])
    assert small.max() < 200  # what the page's compression squeezes


def test_log_packing_keeps_a_relative_error_below_a_tenth_of_a_percent():
    gaps = np.geomspace(1e-30, 1e5, 300)
    back = packing.unpack_log(packing.pack_log(gaps, *packing.GAP_EXPONENTS),
                              *packing.GAP_EXPONENTS)
    assert np.max(np.abs(back / gaps - 1)) < 1e-3
    assert np.isnan(packing.unpack_log(packing.pack_log([0.0, -1.0], -3, 3), -3, 3)).all()


def test_pack_paths_checks_shapes_and_ranges():
    with pytest.raises(ValueError, match="shape"):
        packing.pack_paths(((0, 1), (0, 1)), np.zeros((2, 5)), np.zeros((2, 5)))
    with pytest.raises(ValueError, match="low < high"):
        packing.quantize([0.0], 1.0, 1.0)


def test_the_javascript_decoder_mirrors_unpack():
    js = packing.DECODE_JS
    assert "& 0xffff" in js and "65535 ? NaN" in js and "(high - low) / 65534" in js
