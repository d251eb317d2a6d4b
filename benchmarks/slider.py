"""Slider: from a change in a live widget to a new picture, for the chapters' live explorers.

Drives the real widgets without a browser: setting a slider's value (or the menu's) runs the
widget's callback as a kernel would (rerun with JAX, move what moves in the figure it keeps,
draw it, encode the picture its image widget sends). Each widget is made as a chapter makes it,
then changed: the first change is timed on its own (nothing may compile there), then
``changes`` more. The latency of a change is split into *recompute* (everything but the
drawing) and *draw* (:meth:`gdlib.viz.live_figure.LiveFigure.refresh`).

The widgets: the introduction's (SGD on a bowl, one slider), the momentum chapter's (two
sliders), the comparison chapter's explorer (a menu of nine optimizers and two sliders; the
menu's every choice and the disabled knob of SGD and Adagrad are timed too) and the
challenges chapter's training curves on real data (one slider that retrains). Peer, in the
same rounds: the previous drawing, the whole figure drawn and encoded as PNG for each change.

Run alone: ``python -m benchmarks.slider`` (``--quick`` for tiny sizes).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")

import jax  # noqa: E402
import numpy as np  # noqa: E402

import gdlib  # noqa: E402
from benchmarks import harness  # noqa: E402
from gdlib.optim.optimizers import BY_NAME  # noqa: E402
from gdlib.problems import data, models, surfaces  # noqa: E402
from gdlib.viz import curves, explorer, widgets  # noqa: E402
from gdlib.viz.live_figure import LiveFigure, png  # noqa: E402

TITLE = "Slider latency"
QUICK = {"changes": 3, "widgets": ("introduction",)}
TARGET_MS = 100.0


def _squared_error(params, x, y):
    return models.mean_squared_error(models.linear(params, x), y)


def make_widget(name: str) -> tuple[Any, dict[str, Any]]:
    """The widget ``name`` as its chapter makes it, and its controls by role."""
    if name == "introduction":
        ui = widgets.live_explorer(surfaces.quadratic_bowl(), gdlib.sgd, 40,
                                   learning_rate=(0.001, 1.0, 0.05))
        return ui, {"rate": ui.children[0]}
    if name == "momentum":
        ui = widgets.live_explorer(surfaces.quadratic_bowl(condition_number=50.0),
                                   gdlib.momentum, 100, learning_rate=(1e-3, 0.2, 0.038),
                                   momentum=(0.0, 0.99, 0.7))
        return ui, {"rate": ui.children[0], "knob": ui.children[1]}
    if name == "comparison":
        ui = explorer.explorer(surfaces.rosenbrock(), 500)
        menu, rate, knob, _ = ui.children
        return ui, {"menu": menu, "rate": rate, "knob": knob}
    if name == "training curves":
        ui = curves.live_explorer(gdlib.sgd, _squared_error,
                                  models.init_linear(jax.random.key(0), 10), data.diabetes(),
                                  jax.random.key(1), 20, 16, optimum=0.4878,
                                  learning_rate=(0.001, 0.5, 0.01), num_points=8)
        return ui, {"rate": ui.children[0]}
    raise ValueError(f"unknown widget {name!r}")


WIDGETS = ("introduction", "momentum", "comparison", "training curves")


def slider_values(slider: Any, changes: int, seed: int = 0) -> list[float]:
    """``changes`` values inside the slider's range (ends excluded), shuffled; on the log
    scale for a logarithmic slider."""
    if hasattr(slider, "base"):  # FloatLogSlider: min and max are exponents
        values = np.logspace(slider.min, slider.max, changes + 2, base=slider.base)[1:-1]
    else:
        values = np.linspace(slider.min, slider.max, changes + 2)[1:-1]
    return [float(v) for v in np.random.default_rng(seed).permutation(values)]


class DrawClock:
    """Times every :meth:`LiveFigure.refresh` while in use (the *draw* part of a change)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __enter__(self) -> DrawClock:
        self._refresh = LiveFigure.refresh
        clock = self

        def timed(figure):
            start = time.perf_counter()
            clock._refresh(figure)
            clock.seconds.append(time.perf_counter() - start)

        LiveFigure.refresh = timed
        return self

    def __exit__(self, *exc: object) -> None:
        LiveFigure.refresh = self._refresh


def change(control: Any, value: Any, clock: DrawClock) -> tuple[float, float]:
    """Set ``control`` to ``value`` as a reader would; (total, draw) seconds, draw 0 if the
    widget drew nothing."""
    drawn = len(clock.seconds)
    start = time.perf_counter()
    control.value = value
    total = time.perf_counter() - start
    draw = sum(clock.seconds[drawn:])
    return total, draw


def full_redraw(ui: Any) -> Callable[[], None]:
    """The previous drawing of the same figure: everything drawn, then PNG."""
    image = ui.children[-1]
    figure = next(f for f in _live_figures if f.image is image)

    def draw() -> None:
        figure.figure.canvas.draw()
        png(np.asarray(figure.figure.canvas.buffer_rgba()))

    return draw


_live_figures: list[LiveFigure] = []


def widget_latency(name: str, changes: int) -> dict[str, list[float]]:
    """Time the widget's first change, then ``changes`` more of each kind it has."""
    original_init = LiveFigure.__init__

    def remember(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        _live_figures.append(self)

    LiveFigure.__init__ = remember
    try:
        start = time.perf_counter()
        ui, controls = make_widget(name)
        made = time.perf_counter() - start
    finally:
        LiveFigure.__init__ = original_init
    parts: dict[str, list[float]] = {"made (compiles ahead)": [made]}
    peer = full_redraw(ui)
    with DrawClock() as clock:
        rate = controls["rate"]
        total, draw = change(rate, slider_values(rate, 1, seed=1)[0], clock)
        parts["first move"] = [total]
        for kind in ("rate", "knob"):
            if kind not in controls:
                continue
            if name == "comparison":
                controls["menu"].value = "momentum"  # a knob that is used
            for value in slider_values(controls[kind], changes):
                total, draw = change(controls[kind], value, clock)
                parts.setdefault("move", []).append(total)
                parts.setdefault("draw", []).append(draw)
                parts.setdefault("recompute", []).append(max(total - draw, 0.0))
                parts.setdefault("previous drawing (full redraw + PNG)", []).append(
                    harness.clock(peer))
        if "menu" in controls:
            menu = controls["menu"]
            for option in [*BY_NAME, *BY_NAME]:  # each optimizer, twice
                if option != menu.value:
                    parts.setdefault("menu change", []).append(change(menu, option, clock)[0])
            menu.value = "sgd"
            knob = controls["knob"]
            for value in slider_values(knob, changes):
                total, draw = change(knob, value, clock)
                parts.setdefault("disabled knob (SGD)", []).append(total)
    return parts


def percentile(times: list[float], q: float) -> float:
    """The ``q``-th percentile of ``times`` (the time within which that share of changes came)."""
    return float(np.percentile(np.asarray(times), q))


def run(changes: int = 20, widgets: tuple[str, ...] = WIDGETS) -> dict[str, Any]:
    """Latency of every kind of change in each widget; see the module docstring."""
    rows, ratios = [], []
    for name in widgets:
        parts = widget_latency(name, changes)
        for part, times in parts.items():
            rows.append(harness.row(name, part, times, max_ms=max(times) * 1e3,
                                    p90_ms=percentile(times, 90) * 1e3))
        goal = harness.target("<=", TARGET_MS)
        ratios.append(harness.figure(f"{name}: first move", parts["first move"][0] * 1e3, goal,
                                     unit="ms"))
        ratios.append(harness.figure(f"{name}: move (median)",
                                     float(np.median(parts["move"])) * 1e3, goal, unit="ms"))
        ratios.append(harness.figure(f"{name}: move (9 in 10 within)",
                                     percentile(parts["move"], 90) * 1e3, goal, unit="ms"))
        ratios.append(harness.figure(f"{name}: move (slowest)", max(parts["move"]) * 1e3,
                                     unit="ms"))
        if "menu change" in parts:
            ratios.append(harness.figure(f"{name}: menu change (9 in 10 within)",
                                         percentile(parts["menu change"], 90) * 1e3, goal,
                                         unit="ms"))
            ratios.append(harness.figure(f"{name}: menu change (slowest)",
                                         max(parts["menu change"]) * 1e3, unit="ms"))
            ratios.append(harness.figure(f"{name}: disabled knob (slowest)",
                                         max(parts["disabled knob (SGD)"]) * 1e3,
                                         harness.target("<=", 1.0), unit="ms"))
        ratios.append(harness.figure(f"{name}: move / previous drawing",
                                     harness.ratio(parts["move"], parts[
                                         "previous drawing (full redraw + PNG)"])))
    config = {"changes": changes, "backend": matplotlib.get_backend(), "widgets": list(widgets),
              "target_ms": TARGET_MS}
    notes = ["Latency = the widget's callback: the rerun with JAX (nothing compiles: the "
             "widgets compile ahead, when they are made), the figure's moving parts drawn over "
             "its kept background, a JPEG for the image widget. The browser's transfer and "
             "paint are not included (on Colab the network's round trip adds to it).",
             "The targets apply to the first move, the median and the time within which 9 "
             "changes in 10 came; the slowest single change is reported without a target: on "
             "a shared machine it is set by whatever else runs (see the load average)."]
    return harness.result("slider", TITLE, config=config, rows=rows, ratios=ratios, notes=notes)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return harness.main_for(run, QUICK, argv)


if __name__ == "__main__":
    main()
