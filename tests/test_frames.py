"""Blitted frames look like full redraws, and the player works offline with JPEG frames."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gdlib.viz import frames  # noqa: E402


def scene():
    """A figure with still parts (a filled contour, labels) and two moving artists."""
    fig, ax = plt.subplots(figsize=(3, 2), dpi=60)
    x = np.linspace(-1, 1, 30)
    ax.contourf(x, x, np.add.outer(x**2, x**2), levels=8)
    ax.set(xlim=(-1, 1), ylim=(-1, 1), title="still")
    (line,) = ax.plot([], [], "r-")
    label = ax.text(-0.9, 0.8, "")
    return fig, line, label


def pose(line, label, k):
    line.set_data([-1, 0.2 * k], [-1, 0.5 - 0.3 * k])
    label.set_text(f"frame {k}")


def test_each_frame_equals_a_full_redraw_of_the_same_state():
    fig, line, label = scene()
    pictures = frames.render(fig, [line, label], lambda k: pose(line, label, k), 3)
    assert len(pictures) == 3 and pictures[0].shape == (120, 180, 3)
    for k, picture in enumerate(pictures):
        fig, line, label = scene()
        pose(line, label, k)
        fig.canvas.draw()
        reference = np.asarray(fig.canvas.buffer_rgba())[..., :3]
        plt.close(fig)
        assert np.mean(np.abs(picture.astype(int) - reference.astype(int))) < 0.5
    assert np.abs(pictures[0].astype(int) - pictures[2].astype(int)).max() > 100  # they differ


def test_the_player_holds_one_jpeg_per_picture_on_one_line_and_needs_no_network():
    pictures = [np.full((20, 30, 3), level, np.uint8) for level in (0, 100, 200, 255)]
    html = frames.to_html(pictures, interval_ms=250).data
    assert html.count("data:image/jpeg;base64,") == 4
    assert "<script src" not in html and "require(" not in html
    for line in html.splitlines():
        if "data:image/jpeg;base64," in line:
            assert line.rstrip().endswith('"')  # each frame whole on its line


def test_quality_is_checked_and_changes_the_size():
    pictures = [np.random.default_rng(0).integers(0, 255, (40, 40, 3), dtype=np.uint8)]
    with pytest.raises(ValueError, match="quality must be in"):
        frames.to_html(pictures, quality=0)
    small = len(frames.to_html(pictures, quality=20).data)
    large = len(frames.to_html(pictures, quality=90).data)
    assert small < large
    with pytest.raises(ValueError, match="at least one picture"):
        frames.to_html([])
