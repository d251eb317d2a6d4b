"""Animations for the static HTML, drawn fast: the still parts once, then only what moves.

``FuncAnimation.to_jshtml`` redraws the whole figure for every frame (contour fills, tick
labels, layout): about half a second a frame for a two-panel contour picture on a laptop CPU.
:func:`render` instead draws the figure once without its moving artists, keeps that picture,
and for each frame pastes it back and draws only the moving artists on top (Matplotlib's
*blitting*). :func:`to_html` then wraps the finished pictures in the same player that
``to_jshtml`` makes (slider and play buttons, JPEG frames, no kernel, no network).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from tempfile import TemporaryDirectory

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation, HTMLWriter
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from gdlib.optim.hyperparams import check_positive_int, check_range


def render(fig: Figure, moving: Sequence[Artist], update: Callable[[int], object],
           num_frames: int) -> list[np.ndarray]:
    """Draw ``num_frames`` pictures of ``fig``: the still parts once, ``moving`` every frame.

    Args:
        fig: a figure on the Agg canvas, fully set up (limits, labels, legend).
        moving: the artists that ``update`` changes; they must be artists of ``fig``.
        update: ``update(k)`` sets the moving artists for frame ``k``.
        num_frames: how many frames.

    Returns:
        One RGB array of shape ``(height, width, 3)`` per frame. The figure is closed.

    Example:
        >>> fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
        >>> ax.set(xlim=(0, 3), ylim=(0, 3))
        [(0.0, 3.0), (0.0, 3.0)]
        >>> (dot,) = ax.plot([], [], "o")
        >>> pictures = render(fig, [dot], lambda k: dot.set_data([k], [k]), 3)
        >>> len(pictures), pictures[0].shape
        (3, (100, 100, 3))
        >>> bool((pictures[0] != pictures[1]).any())
        True
    """
    num_frames = check_positive_int("num_frames", num_frames)
    for artist in moving:
        artist.set_animated(True)
    fig.canvas.draw()  # lays the figure out and draws everything that does not move
    fig.set_layout_engine("none")  # keep that layout: a frame must not shift the axes
    background = fig.canvas.copy_from_bbox(fig.bbox)
    pictures = []
    for k in range(num_frames):
        fig.canvas.restore_region(background)
        update(k)
        for artist in moving:
            fig.draw_artist(artist)
        pictures.append(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
    plt.close(fig)
    return pictures


def to_html(pictures: Sequence[np.ndarray], *, interval_ms: int = 400, quality: int = 70,
            default_mode: str = "once"):
    """Wrap pictures of equal size in Matplotlib's JavaScript player, with JPEG frames.

    The same player as ``FuncAnimation.to_jshtml`` (``matplotlib.animation.HTMLWriter``), with
    the JPEG quality under control: at 70 a frame of a contour picture takes about half the
    bytes it takes at Pillow's default, with no visible loss.

    Args:
        pictures: RGB arrays of one shape ``(height, width, 3)``, e.g. from :func:`render`.
        interval_ms: the time between frames when playing.
        quality: the JPEG quality, from 1 to 95.
        default_mode: what the player does at the end: "once", "loop" or "reflect".

    Returns:
        ``IPython.display.HTML`` that works offline in a static page.

    Example:
        >>> pictures = [np.full((20, 30, 3), level, np.uint8) for level in (0, 128, 255)]
        >>> html = to_html(pictures).data
        >>> html.count("data:image/jpeg;base64,")
        3
    """
    from IPython.display import HTML

    if not pictures:
        raise ValueError("to_html needs at least one picture")
    quality = int(check_range("quality", quality, 1, 95))
    height, width = np.shape(pictures[0])[:2]
    dpi = 100
    fig = plt.figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    image = ax.imshow(pictures[0], interpolation="none", aspect="auto")

    def show(k):
        image.set_data(pictures[k])
        return [image]

    animation = FuncAnimation(fig, show, frames=len(pictures), interval=interval_ms, blit=False)
    writer = HTMLWriter(fps=1000 / interval_ms, embed_frames=True, default_mode=default_mode)
    writer.frame_format = "jpeg"
    with TemporaryDirectory() as folder:
        path = Path(folder, "animation.html")
        animation.save(str(path), writer=writer, dpi=dpi,
                       savefig_kwargs={"pil_kwargs": {"quality": quality}})
        html = path.read_text()
    plt.close(fig)
    # The writer breaks each frame's base64 text into lines ending in a backslash (a string
    # continuation in JavaScript); one line per frame is the same string, and lets a pattern
    # such as nbval's sanitizer see each frame whole.
    return HTML(html.replace("\\\n", ""))
