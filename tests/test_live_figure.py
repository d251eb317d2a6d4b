"""A live figure draws its still parts once and then only what moves."""

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from gdlib.viz.live_figure import LiveFigure, jpeg  # noqa: E402


def test_moves_redraw_only_the_moving_artists_until_invalidated():
    live = LiveFigure(figsize=(3, 2))
    ax = live.figure.add_subplot()
    ax.set(xlim=(0, 1), ylim=(0, 1))
    ax.plot([0, 1], [1, 0], color="gray")  # still
    (line,) = ax.plot([0, 1], [0, 1])
    live.moving(line)
    live.refresh()
    first = bytes(live.image.value)
    line.set_ydata([0.5, 0.5])
    live.refresh()
    assert live.full_draws == 1 and bytes(live.image.value) != first
    live.invalidate()
    live.refresh()
    assert live.full_draws == 2 and live.refreshes == 3


def test_jpeg_encodes_a_picture():
    picture = np.zeros((20, 30, 4), np.uint8)
    picture[..., 3] = 255
    assert jpeg(picture)[:2] == b"\xff\xd8"
