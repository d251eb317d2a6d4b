"""The contour map under an interactive figure: drawn once by Matplotlib, shown by Bokeh.

The map is the part of a figure that never moves, and the part that costs the most to
describe as vectors (hundreds of contour polygons). So :func:`image` draws it with the same
code as the book's still figures (:func:`gdlib.viz.plotting.contour`, in light greys so that
the coloured paths stand out) into a small PNG, and :func:`map_plot` lays that picture under
a Bokeh plot whose axes are the surface's coordinates; the paths, the minima and the saddle
points on top of it are vectors.

Example:
    >>> from gdlib.problems import surfaces
    >>> url = image(surfaces.saddle(), (120, 120))
    >>> url.startswith("data:image/png;base64,")
    True
"""

from __future__ import annotations

import base64
import dataclasses
import io
from typing import Any

import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gdlib.optim.hyperparams import check_positive_int
from gdlib.problems.surfaces import Surface
from gdlib.viz import web
from gdlib.viz.plotting import contour

Window = tuple[tuple[float, float], tuple[float, float]]

#: The opacity of the grey map: the valleys mid-grey, the plateaus white, so that every colour
#: of :mod:`gdlib.viz.palette` (black included) stands out on it.
ALPHA = 0.6


def zoomed(surface: Surface, window: Window | None) -> Surface:
    """``surface`` with another plotting window (the same function and points)."""
    if window is None:
        return surface
    (x0, x1), (y0, y1) = window
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"window must be ((xmin, xmax), (ymin, ymax)) with min < max, "
                         f"got {window}")
    return dataclasses.replace(surface, window=((float(x0), float(x1)), (float(y0), float(y1))))


def image(surface: Surface, size: tuple[int, int], *, levels: int = 20, n: int = 161) -> str:
    """The contour map of ``surface`` over its window, ``size = (width, height)`` pixels, as a
    PNG data URL: the map and nothing else (no axes, no margins), for :func:`map_plot`."""
    width, height = (check_positive_int("size", s) for s in size)
    fig = Figure(figsize=(width / 100, height / 100), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    contour(surface, ax, n=n, levels=levels, marks=False, cmap="Greys_r", alpha=ALPHA)
    ax.set_aspect("auto")
    ax.set_axis_off()
    fig.canvas.draw()
    # Greys only: one channel of 64 levels compresses to a fraction of the RGBA picture.
    grey = PIL.Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("L")
    grey = grey.point(lambda v: min(255, 4 * round(v / 4)))
    buffer = io.BytesIO()
    grey.save(buffer, format="png", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def short_name(surface: Surface) -> str:
    """A title for a map of ``surface``: its name without arguments, in words.

    Example:
        >>> from gdlib.problems import surfaces
        >>> short_name(surfaces.quadratic_bowl(condition_number=50.0))
        'quadratic bowl'
    """
    return surface.name.split("(")[0].replace("_", " ")


def frame_size(surface: Surface, width: int) -> tuple[int, int]:
    """The plot area for a map ``width`` pixels wide: the window's own aspect ratio (square
    windows give square maps), but never more than twice as wide as high."""
    (x0, x1), (y0, y1) = surface.window
    ratio = min(max((x1 - x0) / (y1 - y0), 0.5), 2.0)
    return width, int(round(width / ratio))


def map_plot(surface: Surface, *, width: int = 300, title: str | None = None,
             resolution: float = 1.5, tools: str = "pan,wheel_zoom,box_zoom,reset") -> Any:
    """A Bokeh plot of ``surface``'s window with its contour map underneath, minima as stars
    (gold: global) and saddle points as crosses, ready for paths to be drawn on it.

    Args:
        surface: the test function (its ``window`` is the plot's range).
        width: the width of the plot area in CSS pixels.
        title: the plot's title (default: :func:`short_name`).
        resolution: pixels of the map image per CSS pixel (1.5: sharp enough on most
            screens, and a third of the bytes of 2).
        tools: Bokeh's tools to offer (zooming keeps the paths sharp: they are vectors).

    Returns:
        A ``bokeh.plotting.figure``; :func:`marks` gives its markers' legend entries.
    """
    from bokeh.models import ColumnDataSource, Range1d
    from bokeh.plotting import figure

    frame_width, frame_height = frame_size(surface, width)
    (x0, x1), (y0, y1) = surface.window
    plot = figure(frame_width=frame_width, frame_height=frame_height, tools=tools,
                  x_range=Range1d(x0, x1, bounds=(x0, x1)),
                  y_range=Range1d(y0, y1, bounds=(y0, y1)),
                  title=title or short_name(surface), tags=["gdlib-map"])
    pixels = (int(frame_width * resolution), int(frame_height * resolution))
    web.glyph(plot, ColumnDataSource({"url": [image(surface, pixels)]}), "ImageURL", url="url",
              x=x0, y=y1, w=x1 - x0, h=y1 - y0, anchor="top_left")
    plot.xaxis.axis_label = "θ₁"
    plot.yaxis.axis_label = "θ₂"
    plot.grid.visible = False
    points = [(p, any(np.allclose(p, g) for g in surface.global_minima)) for p in surface.minima]
    marks = [("global minimum", [p for p, is_global in points if is_global],
              {"marker": "star", "size": 17, "fill_color": "gold", "line_color": "black"}),
             ("local minimum", [p for p, is_global in points if not is_global],
              {"marker": "star", "size": 15, "fill_color": "white", "line_color": "black"}),
             ("saddle point", list(surface.saddles),
              {"marker": "x", "size": 12, "line_color": "black", "line_width": 2.5})]
    for name, where, look in marks:
        if where:
            xy = np.array(where, dtype=np.float64).reshape(-1, 2)
            source = ColumnDataSource({"x": xy[:, 0], "y": xy[:, 1]})
            web.glyph(plot, source, "Scatter", x="x", y="y", name=name, tags=["gdlib-mark"],
                      **look)
    return web.style(plot)


def marks(plot: Any, legend_plot: Any = None) -> list[Any]:
    """Legend entries for the markers :func:`map_plot` drew on ``plot`` (minima, saddle
    points), for a legend in ``legend_plot`` (default: ``plot``)."""
    # In the order drawn (plot.select would return them in no fixed order).
    return [web.legend_item(r.name, legend_plot or plot, [r])
            for r in plot.renderers if "gdlib-mark" in r.tags]
