"""Slider: from a learning-rate change to a new figure, in the chapters' live widgets.

Drives the real :func:`gdlib.widgets.live_explorer` without a browser: setting the slider's
value runs the widget's callback as a kernel would (recompute with the compiled sweep, draw a
new figure), and ``plt.show()`` renders the figure to PNG exactly as Jupyter's inline backend
does (``IPython.core.pylabtools.print_figure``). The latency of one change is split into
*recompute* (the sweep alone), *encode* (the PNG) and *draw* (the rest: a new figure, its
contour map, the path and loss curve).

Peers, in the same process: the floor that matplotlib sets (the same two-panel figure with
two lines, built and encoded), and the same change with the figure and its contour map kept
and only the lines updated (how much a widget could save by not redrawing the map).

Run alone: ``python -m benchmarks.slider`` (``--quick`` for tiny sizes).
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Iterator
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from IPython.core.pylabtools import print_figure  # noqa: E402

import gdlib  # noqa: E402
from benchmarks import harness  # noqa: E402
from gdlib import plotting, surfaces, widgets  # noqa: E402

TITLE = "Slider latency"
QUICK = {"changes": 3, "explorers": ("bowl + sgd",)}

#: The widgets measured: the chapters' live explorers (surface, optimizer, steps, sliders).
EXPLORERS: dict[str, dict[str, Any]] = {
    "bowl + sgd": {"surface": lambda: surfaces.quadratic_bowl(condition_number=10.0),
                   "make_optimizer": gdlib.sgd, "num_steps": 40,
                   "ranges": {"learning_rate": (0.001, 1.0, 0.05)}},
    "rosenbrock + momentum": {"surface": surfaces.rosenbrock, "make_optimizer": gdlib.momentum,
                              "num_steps": 300,
                              "ranges": {"learning_rate": (1e-5, 1e-2, 1e-3),
                                         "momentum": (0.0, 0.99, 0.9)}},
    "beale + adam": {"surface": surfaces.beale, "make_optimizer": gdlib.adam, "num_steps": 300,
                     "ranges": {"learning_rate": (1e-3, 1.0, 0.05)}},
}


class Renders:
    """Stands in for the inline backend: ``plt.show()`` renders every open figure to PNG."""

    def __init__(self) -> None:
        self.count = 0
        self.encode_s: list[float] = []
        self.nbytes = 0

    def show(self, *args: Any, **kwargs: Any) -> None:
        start = time.perf_counter()
        for number in plt.get_fignums():
            fig = plt.figure(number)
            self.nbytes += len(print_figure(fig, "png"))
            plt.close(fig)
            self.count += 1
        self.encode_s.append(time.perf_counter() - start)


@contextlib.contextmanager
def inline_renders() -> Iterator[Renders]:
    """Replace ``plt.show`` by :meth:`Renders.show` for the duration of the block."""
    renders = Renders()
    original = plt.show
    plt.show = renders.show
    try:
        yield renders
    finally:
        plt.show = original
        plt.close("all")


def slider_values(low: float, high: float, changes: int, seed: int = 0) -> np.ndarray:
    """``changes`` learning rates inside the slider's range (ends excluded), shuffled."""
    values = np.geomspace(low, high, changes + 2)[1:-1]
    return np.random.default_rng(seed).permutation(values)


def explorer_latency(spec: dict[str, Any], changes: int) -> dict[str, list[float]]:
    """Change the learning rate ``changes`` times; seconds per change, and its parts."""
    surface = spec["surface"]()
    with contextlib.redirect_stdout(io.StringIO()):  # clear_output's escape codes
        explorer = widgets.live_explorer(surface, spec["make_optimizer"], spec["num_steps"],
                                         **spec["ranges"])
    slider = next(w for w in explorer.kwargs_widgets if w._kwarg == "learning_rate")
    fixed = {w._kwarg: w.value for w in explorer.kwargs_widgets if w._kwarg != "learning_rate"}
    low, high, _ = spec["ranges"]["learning_rate"]
    start = np.asarray(surface.start, np.float32)

    def recompute(lr):
        runs = gdlib.sweep(spec["make_optimizer"], surface, start, spec["num_steps"],
                           max_loss=widgets.MAX_LOSS, learning_rate=[lr],
                           **{k: [v] for k, v in fixed.items()})
        runs.losses.block_until_ready()

    total, sweep_s, encode, floor = [], [], [], []
    with inline_renders() as renders, contextlib.redirect_stdout(io.StringIO()):
        slider.value = high  # the first change compiles (see first_call); not timed
        for lr in slider_values(low, high, changes):
            before = renders.count
            start_s = time.perf_counter()
            slider.value = float(lr)
            total.append(time.perf_counter() - start_s)
            if renders.count != before + 1:
                raise RuntimeError(f"the widget drew {renders.count - before} figures for one "
                                   "change: its callback failed (see the log)")
            encode.append(renders.encode_s[-1])
            sweep_s.append(harness.clock(lambda lr=lr: recompute(float(lr))))
            floor.append(harness.clock(floor_figure))  # the peer, in the same round
    draw = [t - s - e for t, s, e in zip(total, sweep_s, encode, strict=True)]
    return {"total": total, "recompute": sweep_s, "encode": encode, "draw": draw,
            "matplotlib floor": floor}


def kept_figure_latency(spec: dict[str, Any], changes: int, *, freeze_layout: bool = False
                        ) -> list[float]:
    """The same changes with one figure kept: recompute, move the lines, encode the PNG.

    With ``freeze_layout``, the constrained layout is computed once, on the first draw, and
    then kept (``fig.set_layout_engine("none")``).
    """
    surface = spec["surface"]()
    start = np.asarray(surface.start, np.float32)
    fixed = {k: [v[2]] for k, v in spec["ranges"].items() if k != "learning_rate"}
    low, high, value = spec["ranges"]["learning_rate"]

    def runs_for(lr):
        return gdlib.sweep(spec["make_optimizer"], surface, start, spec["num_steps"],
                           max_loss=widgets.MAX_LOSS, learning_rate=[lr], **fixed)

    fig, (ax_path, ax_loss) = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
    plotting.contour(surface, ax_path)
    first = runs_for(value)
    one = gdlib.Trajectory(first.params[0], first.losses[0], first.diverged_at[0])
    line = plotting.path(ax_path, one)
    curve = plotting.loss_curve(ax_loss, one, min_value=surface.min_value)
    print_figure(fig, "png")
    if freeze_layout:
        fig.set_layout_engine("none")
    times = []
    for lr in slider_values(low, high, changes):
        t0 = time.perf_counter()
        runs = runs_for(float(lr))
        xy = np.asarray(runs.params[0])
        line.set_data(xy[:, 0], xy[:, 1])
        gap = np.asarray(runs.losses[0], dtype=float) - surface.min_value
        curve.set_data(np.arange(gap.size), np.where(gap > 0, gap, np.nan))
        fig.suptitle(f"η = {float(lr):.3g}")
        print_figure(fig, "png")
        times.append(time.perf_counter() - t0)
    plt.close(fig)
    return times


def floor_figure() -> None:
    """Build and encode the widget's two-panel figure with two plain lines: no JAX, no map."""
    x = np.linspace(0, 1, 300)
    fig, (ax_path, ax_loss) = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
    ax_path.plot(x, x**2)
    ax_loss.semilogy(x, np.exp(-x))
    fig.suptitle("η = 0.1")
    print_figure(fig, "png")
    plt.close(fig)


def run(changes: int = 30, explorers: tuple[str, ...] = tuple(EXPLORERS)) -> dict[str, Any]:
    """Median latency of a learning-rate change for each widget; see the module docstring."""
    rows, ratios = [], []
    for name in explorers:
        spec = EXPLORERS[name]
        parts = explorer_latency(spec, changes)
        kept = kept_figure_latency(spec, changes)
        frozen = kept_figure_latency(spec, changes, freeze_layout=True)
        for part, times in parts.items():
            rows.append(harness.row(name, part, [max(t, 0.0) for t in times]))
        rows.append(harness.row(name, "figure kept, lines moved", kept))
        rows.append(harness.row(name, "figure and layout kept", frozen))
        median_ms = float(np.median(parts["total"])) * 1e3
        ratios.append(harness.figure(f"{name}: change -> new figure", median_ms,
                                     harness.target("<=", 100.0), unit="ms"))
        ratios.append(harness.figure(f"{name}: latency / matplotlib floor",
                                     harness.ratio(parts["total"], parts["matplotlib floor"])))
        ratios.append(harness.figure(f"{name}: recompute share",
                                     float(np.median(parts["recompute"])) * 1e3 / median_ms,
                                     unit="of total"))
        ratios.append(harness.figure(f"{name}: figure kept / new figure",
                                     float(np.median(kept)) * 1e3 / median_ms))
        ratios.append(harness.figure(f"{name}: figure and layout kept", float(np.median(frozen))
                                     * 1e3, harness.target("<=", 100.0), unit="ms",
                                     note="a possible redesign of live_explorer, not gdlib's"))
    config = {"changes": changes, "backend": matplotlib.get_backend(),
              "figure_dpi": plt.rcParams["figure.dpi"],
              "widgets": {k: {"num_steps": EXPLORERS[k]["num_steps"],
                              "sliders": list(EXPLORERS[k]["ranges"])} for k in explorers}}
    notes = ["Latency = the slider's callback: gdlib.sweep for the new value, a new figure "
             "(contour map, path, loss curve), PNG encoding as the inline backend does it. "
             "The browser's transfer and paint are not included."]
    return harness.result("slider", TITLE, config=config, rows=rows, ratios=ratios, notes=notes)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return harness.main_for(run, QUICK, argv)


if __name__ == "__main__":
    main()
