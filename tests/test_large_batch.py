"""Large-batch SGD runs: the warm-up schedule and many runs of SGD in one call."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gdlib
from gdlib.parallel import large_batch


def test_warmup_rises_linearly_then_stays():
    rates = large_batch.warmup_rates(0.5, 4.0, 7, 20)
    np.testing.assert_allclose(rates[:8], 0.5 + 3.5 * np.arange(8) / 7)
    assert np.all(rates[7:] == 4.0) and rates.shape == (20,)


def test_sgd_runs_match_gdlib_sgd_step_by_step():
    loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)  # noqa: E731
    x = jax.random.normal(jax.random.key(0), (2, 30, 8, 3))
    y = x @ jnp.array([1.0, -1.0, 2.0])
    rates = np.stack([np.full(30, 0.05), large_batch.warmup_rates(0.01, 0.1, 10, 30)])
    got = large_batch.sgd_runs(loss, jnp.zeros(3), x, y, rates)
    for run in range(2):
        w = jnp.zeros(3)
        for t in range(30):
            opt = gdlib.sgd(float(rates[run, t]))
            updates, _ = opt.update(jax.grad(loss)(w, x[run, t], y[run, t]), opt.init(w))
            w = gdlib.apply_updates(w, updates)
        np.testing.assert_allclose(got[run], w, rtol=1e-5, atol=1e-6)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="num_steps"):
        large_batch.warmup_rates(0.1, 0.2, 1, 0)
    with pytest.raises(ValueError, match="peak"):
        large_batch.warmup_rates(0.1, -0.2, 1, 5)
