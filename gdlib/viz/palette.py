"""One colour per optimizer, the same in every picture of the book, still or interactive.

A reader who has followed "Adam" in red through one race should find it red in the next one,
in the 3-D view and in the interactive figures. Every drawing in :mod:`gdlib.viz` takes its
colours from :func:`color`; :data:`COLORS` is the table.

The colours are Matplotlib's ``tab10`` (the defaults a reader has seen elsewhere), with SGD,
the baseline, in black. They are chosen to stand out from the light grey contour maps the
paths are drawn over.

Example:
    >>> color("Adam"), color("adam")
    ('#d62728', '#d62728')
    >>> color("η = 0.1") == color("η = 0.1")  # any other label gets a fixed colour of its own
    True
"""

from __future__ import annotations

import hashlib

#: The nine optimizers of the slides, by the names :func:`gdlib.viz.race.lineup` gives them.
COLORS: dict[str, str] = {
    "SGD": "#000000", "Momentum": "#1f77b4", "NAG": "#17becf", "Adagrad": "#2ca02c",
    "Adadelta": "#bcbd22", "RMSprop": "#8c564b", "Adam": "#d62728", "AdaMax": "#ff7f0e",
    "Nadam": "#e377c2",
}

#: The factory names of :data:`gdlib.optim.optimizers.BY_NAME`, mapped to the names above.
FACTORY_NAMES: dict[str, str] = {
    "sgd": "SGD", "momentum": "Momentum", "nesterov": "NAG", "adagrad": "Adagrad",
    "adadelta": "Adadelta", "rmsprop": "RMSprop", "adam": "Adam", "adamax": "AdaMax",
    "nadam": "Nadam",
}

#: Colours for labels that are not optimizers (e.g. one optimizer at several rates).
OTHERS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f", "#bcbd22", "#17becf")


def color(name: str) -> str:
    """The colour of optimizer ``name`` (slide name or factory name), or a fixed one for any
    other label, chosen from :data:`OTHERS` by a hash of the label (the same in every run)."""
    name = FACTORY_NAMES.get(name, name)
    if name in COLORS:
        return COLORS[name]
    digest = hashlib.sha256(name.encode()).digest()
    return OTHERS[digest[0] % len(OTHERS)]


def colors(names: list[str]) -> list[str]:
    """A colour for each label: the optimizers' own, and for the others :data:`OTHERS` in
    order, so that a few labels that are not optimizers never share a colour.

    Example:
        >>> colors(["Adam", "η = 0.1", "η = 0.2"])
        ['#d62728', '#1f77b4', '#ff7f0e']
    """
    result, others = [], iter(OTHERS * (1 + len(names) // len(OTHERS)))
    for name in names:
        known = FACTORY_NAMES.get(name, name)
        result.append(COLORS[known] if known in COLORS else next(others))
    return result
