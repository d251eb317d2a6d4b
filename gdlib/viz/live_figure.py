"""A matplotlib figure that a widget redraws in place, fast enough to follow a slider.

The live explorers (:func:`gdlib.viz.widgets.live_explorer`, :func:`gdlib.viz.explorer.explorer`,
:func:`gdlib.viz.curves.live_explorer`) used to build a new figure for every move of a slider and
hand it to the inline backend. Most of that time went into matplotlib, not JAX: a new figure,
its contour map, the constrained layout, and ``bbox_inches="tight"``, which draws the figure
twice (see the benchmarks' slider latency). A :class:`LiveFigure` is built once; a move of the
slider changes the data of its lines and calls :meth:`LiveFigure.refresh`, which draws once
with the layout computed on the first draw and sends a quickly compressed PNG to an
``ipywidgets.Image``.

The figure is made without :mod:`matplotlib.pyplot`, so the inline backend never shows it a
second time below the widget, and closing other figures does not close it.

Example:
    >>> import numpy as np
    >>> live = LiveFigure(figsize=(4, 3))
    >>> ax = live.figure.add_subplot()
    >>> (line,) = ax.plot([0, 1], [0, 1])
    >>> live.refresh()
    >>> line.set_ydata([1, 0]); live.refresh()
    >>> live.image.format, live.image.value[:4] == b"\\x89PNG", live.refreshes
    ('png', True, 2)
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


class LiveFigure:
    """A figure shown as an ``ipywidgets.Image`` and redrawn by :meth:`refresh`.

    Args:
        figsize: the size in inches, as in :func:`matplotlib.pyplot.figure`.
        dpi: pixels per inch of the image.
        layout: the layout engine for the first draw (then frozen, so later draws are cheap).

    Attributes:
        figure: the :class:`matplotlib.figure.Figure` to draw on.
        image: the ``ipywidgets.Image`` that shows it; put it in a widget box.
        refreshes: how many times the image was redrawn.
    """

    def __init__(self, figsize: tuple[float, float] = (9, 3.6), dpi: int = 100,
                 layout: str | None = "constrained") -> None:
        import ipywidgets

        self.figure = Figure(figsize=figsize, dpi=dpi, layout=layout)
        FigureCanvasAgg(self.figure)
        self.image = ipywidgets.Image(format="png", layout=ipywidgets.Layout(
            width=f"{figsize[0] * dpi:.0f}px", max_width="100%", height="auto"))
        self.refreshes = 0

    def subplots(self, *args: Any, **kwargs: Any) -> Any:
        """:meth:`matplotlib.figure.Figure.subplots` on this figure."""
        return self.figure.subplots(*args, **kwargs)

    def refresh(self) -> None:
        """Draw the figure and send it to the image as PNG.

        The first call computes the layout; later calls keep it, since sliders change data,
        not the figure's structure.
        """
        canvas = self.figure.canvas
        canvas.draw()
        if self.refreshes == 0:
            self.figure.set_layout_engine("none")
        self.image.value = png(np.asarray(canvas.buffer_rgba()))
        self.refreshes += 1


def png(rgba: np.ndarray, compress_level: int = 1) -> bytes:
    """Encode an ``(height, width, 4)`` uint8 image as PNG, favouring speed over size.

    Level 1 is about as fast as the draw itself and makes files about 5% larger than
    matplotlib's default level 6.
    """
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="png", compress_level=compress_level)
    return buffer.getvalue()
