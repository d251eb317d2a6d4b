"""The page the book's figures are shown on, and the Matplotlib style that fits them to it.

A figure in the rendered book is an image scaled to the width of the text column: at a
1280-pixel window, sphinx-book-theme's column is :data:`COLUMN_PX` wide, and its small print
(code, captions, the footer) is :data:`SMALL_PRINT_PX` high. A Matplotlib figure ``w`` inches
wide at 100 dpi is ``100 w`` pixels; wider than the column, it is shrunk, and so is its text.
Text of ``s`` points is shown at :func:`shown_text_px` pixels. The book's style,
``gdlib.viz.book`` (:data:`STYLE`), draws figures one column wide with text of
:data:`FONT_POINTS` points, so that the smallest text a figure draws is no smaller than the
page's small print; ``scripts/check_html.py`` measures it in the built book.

Example:
    >>> import matplotlib.pyplot as plt
    >>> plt.style.use(STYLE)
    >>> round(shown_text_px(plt.rcParams["font.size"], plt.rcParams["figure.figsize"][0]), 1)
    15.3
    >>> shown_text_px(10, 10.0) < SMALL_PRINT_PX  # Matplotlib's defaults in a 10-inch figure
    True
"""

from __future__ import annotations

#: The width of sphinx-book-theme's text column, in CSS pixels, in a 1280-pixel window.
COLUMN_PX = 688
#: The page's own small print, in CSS pixels: 0.875 of the theme's 16-pixel body text.
SMALL_PRINT_PX = 14.0
#: The resolution of the book's PNG figures (Matplotlib's default).
DPI = 100
#: The widest a figure may be drawn and shown at its natural size, in inches: one column
#: less a little room for what a tight bounding box adds.
COLUMN_INCHES = 6.8
#: The size of the book's text in figures, in points: 15.3 pixels at 100 dpi.
FONT_POINTS = 11
#: The name to pass to :func:`matplotlib.pyplot.style.use` (the file ``book.mplstyle``).
STYLE = "gdlib.viz.book"


def shown_text_px(points: float, width_inches: float, dpi: float = DPI) -> float:
    """How high text of ``points`` points looks, in CSS pixels, in a figure ``width_inches``
    wide drawn at ``dpi``: ``points · dpi / 72``, times ``COLUMN_PX / (width · dpi)`` when the
    figure is wider than the column and so shown shrunk.

    Example:
        >>> round(shown_text_px(10, 6.0), 2), round(shown_text_px(10, 10.0), 2)
        (13.89, 9.56)
    """
    natural_px = width_inches * dpi
    scale = min(1.0, COLUMN_PX / natural_px)
    return points * dpi / 72 * scale


def smallest_text_shown(fig) -> tuple[float, str]:
    """The smallest text ``fig`` draws, as high as a reader sees it in the book, in CSS
    pixels, and that text: what ``scripts/check_html.py`` measures in the built page, for a
    figure saved as the notebooks save it (a tight bounding box at the figure's dpi).

    Example:
        >>> import matplotlib.pyplot as plt
        >>> with plt.style.context(STYLE):
        ...     fig, ax = plt.subplots()
        ...     _ = ax.set_title("a title")
        >>> px, text = smallest_text_shown(fig)
        >>> px >= SMALL_PRINT_PX, text
        (True, '0.0')
        >>> plt.close(fig)
    """
    drawn = drawn_texts(fig)
    if not drawn:
        return float("inf"), ""
    points, text = min(drawn)
    width_inches = fig.get_tightbbox(fig.canvas.get_renderer()).width
    return shown_text_px(points, width_inches, fig.dpi), text


def drawn_texts(fig) -> list[tuple[float, str]]:
    """``(size in points, text)`` of every non-empty, visible text ``fig`` draws (tick labels,
    legend entries, titles, axis labels, annotations), found by drawing it once without
    making pixels; texts outside the view or hidden are not drawn and not listed.

    Example:
        >>> from matplotlib.figure import Figure
        >>> fig = Figure()
        >>> _ = fig.text(0.5, 0.5, "shown", fontsize=12)
        >>> _ = fig.text(0.1, 0.1, "hidden", fontsize=6, visible=False)
        >>> drawn_texts(fig)
        [(12.0, 'shown')]
    """
    from matplotlib.text import Text

    drawn: list[tuple[float, str]] = []
    draw = Text.draw

    def recording_draw(self, renderer, *args, **kwargs):
        if self.get_visible() and self.get_text().strip():
            drawn.append((float(self.get_fontsize()), self.get_text().strip()))
        return draw(self, renderer, *args, **kwargs)

    Text.draw = recording_draw
    try:
        fig.draw_without_rendering()
    finally:
        Text.draw = draw
    return drawn
