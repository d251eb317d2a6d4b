"""Shared fixtures: float64 for exactness tests."""

import jax
import pytest


@pytest.fixture
def x64():
    """Run the test with 64-bit JAX types, restoring the previous setting afterwards."""
    with jax.enable_x64(True):
        yield


@pytest.fixture
def shown_titles(monkeypatch):
    """The figure title after every redraw of a live widget (:class:`gdlib.LiveFigure`)."""
    from gdlib.viz.live_figure import LiveFigure

    titles = []
    refresh = LiveFigure.refresh

    def spy(self):
        refresh(self)
        titles.append(self.figure.get_suptitle())

    monkeypatch.setattr(LiveFigure, "refresh", spy)
    return titles
