"""The map under an interactive figure: the surface's window, in greys, with its points marked."""

import base64
import io

import numpy as np
from PIL import Image

from gdlib.problems import surfaces
from gdlib.viz import backdrop


def test_the_image_is_a_grey_png_of_the_asked_size_darker_in_the_valley():
    url = backdrop.image(surfaces.quadratic_bowl(), (80, 60))
    picture = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert picture.mode == "L" and picture.size == (80, 60)
    pixels = np.asarray(picture, dtype=float)
    assert pixels[30, 40] < pixels[2, 2]  # the minimum (centre) darker than a corner


def test_the_map_plot_spans_the_window_and_names_its_marks():
    saddle = surfaces.saddle()
    plot = backdrop.map_plot(saddle, width=200)
    assert (plot.x_range.start, plot.x_range.end) == saddle.window[0]
    assert plot.frame_width == plot.frame_height == 200  # a square window, a square map
    assert [item.label.value for item in backdrop.marks(plot)] == ["global minimum",
                                                                   "saddle point"]


def test_zoomed_keeps_the_function_and_changes_the_window():
    bowl = surfaces.quadratic_bowl()
    near = backdrop.zoomed(bowl, ((-1, 1), (-0.5, 0.5)))
    assert near.window == ((-1.0, 1.0), (-0.5, 0.5)) and near.fn is bowl.fn
    assert backdrop.frame_size(near, 200) == (200, 100)
