"""A matplotlib figure that a widget redraws in place, fast enough to follow a slider.

The live explorers (:func:`gdlib.viz.widgets.live_explorer`, :func:`gdlib.viz.explorer.explorer`,
:func:`gdlib.viz.curves.live_explorer`) keep one :class:`LiveFigure`. When a slider moves, JAX
recomputes the run in a millisecond or two; what a reader waits for is the drawing. So the
figure draws its still parts once (the contour map, the axes, their ticks and labels) and keeps
that picture; a move pastes it back and draws only the artists that move (a path, a loss
curve, a title: Matplotlib's *blitting*), then sends the picture to an ``ipywidgets.Image`` as
JPEG, which encodes several times faster than PNG and travels in a third of the bytes.
Measured by ``benchmarks/slider.py``: a move costs a few milliseconds of drawing instead of a
full redraw of a contour map (tens to hundreds of milliseconds).

The figure is made without :mod:`matplotlib.pyplot`, so the inline backend never shows it a
second time below the widget, and closing other figures does not close it.

Example:
    >>> import numpy as np
    >>> live = LiveFigure(figsize=(4, 3))
    >>> ax = live.figure.add_subplot()
    >>> ax.set(xlim=(0, 1), ylim=(0, 1))
    [(0.0, 1.0), (0.0, 1.0)]
    >>> (line,) = ax.plot([0, 1], [0, 1])
    >>> live.moving(line)
    >>> live.refresh()
    >>> before = live.image.value
    >>> line.set_ydata([1, 0]); live.refresh()
    >>> live.image.format, live.image.value[:2] == b"\\xff\\xd8", live.image.value != before
    ('jpeg', True, True)
    >>> live.refreshes, live.full_draws
    (2, 1)
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gdlib.viz import page


class LiveFigure:
    """A figure shown as an ``ipywidgets.Image`` and redrawn by :meth:`refresh`.

    Args:
        figsize: the size in inches, as in :func:`matplotlib.pyplot.figure`.
        dpi: pixels per inch of the image.
        layout: the layout engine for the first draw (then frozen, so later draws are cheap).
        quality: the JPEG quality of the image sent to the widget.

    Attributes:
        figure: the :class:`matplotlib.figure.Figure` to draw on.
        image: the ``ipywidgets.Image`` that shows it; put it in a widget box.
        refreshes: how many times the image was redrawn.
        full_draws: how many of those drew the whole figure (the others only what moves).
    """

    def __init__(self, figsize: tuple[float, float] = (page.COLUMN_INCHES, 3.4), dpi: int = 100,
                 layout: str | None = "constrained", quality: int = 90) -> None:
        import ipywidgets

        self.figure = Figure(figsize=figsize, dpi=dpi, layout=layout)
        FigureCanvasAgg(self.figure)
        self.image = ipywidgets.Image(format="jpeg", layout=ipywidgets.Layout(
            width=f"{figsize[0] * dpi:.0f}px", max_width="100%", height="auto"))
        self.quality = int(quality)
        self.refreshes = 0
        self.full_draws = 0
        self._moving: list[Artist] = []
        self._background: Any = None

    def subplots(self, *args: Any, **kwargs: Any) -> Any:
        """:meth:`matplotlib.figure.Figure.subplots` on this figure."""
        return self.figure.subplots(*args, **kwargs)

    def moving(self, *artists: Artist) -> None:
        """Declare ``artists`` as the ones that change from one refresh to the next: they are
        drawn on every refresh, everything else only on the first (or after
        :meth:`invalidate`)."""
        for artist in artists:
            artist.set_animated(True)
            self._moving.append(artist)
        self._background = None

    def invalidate(self) -> None:
        """Draw the whole figure again on the next refresh (after changing a still part)."""
        self._background = None

    def refresh(self) -> None:
        """Draw what changed and send the figure to the image as JPEG.

        The first call lays the figure out and draws its still parts; later calls keep that
        layout and that picture, and draw only the artists given to :meth:`moving`.
        """
        canvas = self.figure.canvas
        if self._background is None:
            canvas.draw()  # lays out and draws everything but the moving artists
            self.figure.set_layout_engine("none")  # a refresh must not move the axes
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            self.full_draws += 1
        else:
            canvas.restore_region(self._background)
        for artist in self._moving:
            self.figure.draw_artist(artist)
        self.image.value = jpeg(np.asarray(canvas.buffer_rgba()), self.quality)
        self.refreshes += 1


def jpeg(rgba: np.ndarray, quality: int = 90) -> bytes:
    """Encode an ``(height, width, 4)`` uint8 picture as JPEG (about 10 ms for a 900 x 360
    figure, where PNG takes 30 to 50 ms; at quality 90 lines stay sharp)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), np.ascontiguousarray(rgba)).convert(
        "RGB").save(buffer, format="jpeg", quality=quality)
    return buffer.getvalue()


def png(rgba: np.ndarray, compress_level: int = 1) -> bytes:
    """Encode an ``(height, width, 4)`` uint8 image as PNG, favouring speed over size.

    Level 1 is about as fast as the draw itself and makes files about 5% larger than
    matplotlib's default level 6.
    """
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="png", compress_level=compress_level)
    return buffer.getvalue()
