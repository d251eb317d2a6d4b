"""Record, in every PNG figure a notebook shows, how small its smallest text is.

scripts/execute_notebooks.py runs :func:`install` in each kernel it starts (an ipykernel
``exec_lines`` entry, so nothing lands in the notebook or its namespace). From then on the
PNGs that IPython makes of matplotlib figures (the inline backend's figure printing,
``IPython.core.pylabtools.print_figure``) carry a PNG tEXt chunk, ``KEY``, whose value is
JSON: the font size in PNG pixels of the smallest text the figure actually drew (visible,
non-empty ``Text`` artists, as :func:`gdlib.viz.page.drawn_texts` finds them),
that size in points, the dpi, and the text itself. A figure that draws no text records
``{"px": null}``.

scripts/check_html.py reads the chunk back from the book's images and, knowing how wide the
browser shows each image, fails a figure whose smallest text the reader sees smaller than
the page's own small print. nbval does not compare PNG outputs, so the chunk changes no test.

The same hook stores each PNG compactly (:func:`compact`: opaque figures without an alpha
channel, recompressed), the same pixels in fewer bytes for a reader who downloads the page.
"""

from __future__ import annotations

import base64
import json

KEY = "gdlib:smallest-text"


def record(sizes: list[tuple[float, str]], dpi: float) -> dict:
    """The chunk's value for texts drawn at ``sizes`` (points, text) in a PNG of ``dpi``."""
    if not sizes:
        return {"px": None}
    points, text = min(sizes, key=lambda item: (item[0], item[1]))
    return {"px": round(points * dpi / 72, 2), "pt": round(points, 2), "dpi": round(dpi, 2),
            "text": text[:60]}


def compact(png: bytes) -> bytes:
    """The same PNG in fewer bytes: without its alpha channel when every pixel is opaque (a
    figure on a white background), recompressed with Pillow's ``optimize``; the same pixels,
    text chunks and resolution (about 12 % less for the book's figures).

    Example:
        >>> import io
        >>> from PIL import Image
        >>> buffer = io.BytesIO()
        >>> Image.new("RGBA", (4, 4), "white").save(buffer, "png")
        >>> Image.open(io.BytesIO(compact(buffer.getvalue()))).mode
        'RGB'
    """
    import io

    from PIL import Image, PngImagePlugin

    image = Image.open(io.BytesIO(png))
    info = PngImagePlugin.PngInfo()
    for key, value in image.text.items():
        info.add_text(key, value)
    extra = {"dpi": image.info["dpi"]} if "dpi" in image.info else {}
    if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, "png", optimize=True, pnginfo=info, **extra)
    return out.getvalue()


def install() -> None:
    """Make IPython's PNGs of matplotlib figures carry ``KEY`` (idempotent)."""
    import IPython.core.pylabtools as pylabtools

    if getattr(pylabtools.print_figure, "_records_text", False):
        return
    print_figure = pylabtools.print_figure

    def recording_print_figure(fig, fmt="png", *args, **kwargs):
        if fmt not in ("png", "retina") or "metadata" in kwargs:
            return print_figure(fig, fmt, *args, **kwargs)
        from gdlib.viz.page import drawn_texts  # the texts the PNG will show

        dpi = kwargs.get("dpi", fig.dpi) * (2 if fmt == "retina" else 1)
        value = json.dumps(record(drawn_texts(fig), dpi), ensure_ascii=True, sort_keys=True)
        encode = kwargs.pop("base64", False)
        data = print_figure(fig, fmt, *args, metadata={KEY: value}, base64=False, **kwargs)
        if data is None:  # an empty figure: no output
            return None
        data = compact(data) if fmt == "png" else data
        return base64.b64encode(data).decode("ascii") if encode else data

    recording_print_figure._records_text = True
    pylabtools.print_figure = recording_print_figure
