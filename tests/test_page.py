"""The book's style fits its figures to the page: text no smaller than the page's small
print once the figure is shown in the text column, for the library's own figures too."""

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402

import gdlib  # noqa: E402
from gdlib.problems import surfaces  # noqa: E402
from gdlib.viz import curves, landscape, page, phase, plotting, race, web  # noqa: E402

TEXT_SIZES = ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize",
              "ytick.labelsize", "legend.fontsize", "legend.title_fontsize",
              "figure.titlesize", "figure.labelsize")


@pytest.fixture(autouse=True)
def book_style():
    with plt.style.context(page.STYLE):
        yield
    plt.close("all")


def test_the_style_ships_with_gdlib_and_draws_one_column_wide():
    width, _ = plt.rcParams["figure.figsize"]
    assert width == page.COLUMN_INCHES <= page.COLUMN_PX / page.DPI
    assert plt.rcParams["figure.dpi"] == page.DPI
    assert plt.rcParams["font.size"] == page.FONT_POINTS


@pytest.mark.parametrize("key", TEXT_SIZES)
def test_every_text_size_of_the_style_is_at_least_the_page_s_small_print(key):
    value = plt.rcParams[key]
    points = FontProperties(size=plt.rcParams["font.size"] if value is None else value
                            ).get_size_in_points()
    assert page.shown_text_px(points, page.COLUMN_INCHES) >= page.SMALL_PRINT_PX, (key, value)


def test_a_figure_wider_than_the_column_is_shown_shrunk():
    assert page.shown_text_px(11, 5.0) == pytest.approx(11 * 100 / 72)
    assert page.shown_text_px(11, 13.76) == pytest.approx(11 * 100 / 72 / 2)
    assert page.shown_text_px(11, 6.88, dpi=200) == pytest.approx(11 * 200 / 72 / 2)


def test_the_smallest_text_shown_finds_a_small_legend_and_a_wide_figure():
    fig, ax = plt.subplots()
    ax.plot([0, 1], label="small")
    ax.legend(fontsize=8)
    px, text = page.smallest_text_shown(fig)
    assert text == "small" and px == pytest.approx(8 * 100 / 72, rel=0.02)
    wide, _ = plt.subplots(figsize=(10, 3))
    px, _ = page.smallest_text_shown(wide)
    assert px < page.SMALL_PRINT_PX  # 11-point text, shrunk to the column


def _library_figures():
    bowl = surfaces.quadratic_bowl()
    runs = race.race(bowl, race.lineup(sgd_rate=0.1, adaptive_rate=0.1, momentum=0.9), 30)
    yield "race.draw", race.draw(bowl, runs)
    yield "race.draw_3d", race.draw_3d(bowl, runs).figure
    yield "plotting.contour", plotting.contour(bowl).figure
    yield "landscape.surface_3d", landscape.surface_3d(surfaces.saddle()).figure
    diagram = phase.diagram(gdlib.momentum, bowl, 30, learning_rate=[0.1, 0.5],
                            momentum=[0.0, 0.9])
    yield "phase.plot", phase.plot(diagram).figure
    values = np.geomspace(1e-3, 1.0, 5)
    finals = np.array([1.0, 0.1, 0.01, np.nan, np.nan])
    fig = curves._figure(values, finals, np.isnan(finals), "learning_rate", (1e-3, 10.0), 20)[0]
    yield "curves", fig


def test_the_library_s_figures_show_their_text_at_least_at_the_page_s_small_print():
    for name, fig in _library_figures():
        px, text = page.smallest_text_shown(fig)
        assert px >= page.SMALL_PRINT_PX, (name, text, px)


def test_the_interactive_figures_text_is_at_least_the_page_s_small_print():
    for what, size in web.FONT.items():
        assert float(size.removesuffix("px")) >= page.SMALL_PRINT_PX, what
    widget_px = re.fullmatch(r"--bokeh-font-size: (\d+)px", web.WIDGET_STYLE).group(1)
    assert float(widget_px) >= page.SMALL_PRINT_PX
