"""Shared fixtures: float64 for exactness tests."""

import jax
import pytest


@pytest.fixture
def x64():
    """Run the test with 64-bit JAX types, restoring the previous setting afterwards."""
    with jax.enable_x64(True):
        yield
