"""Slider: from a learning-rate change to a new figure, in the chapters' live widgets.

Drives the real :func:`gdlib.viz.widgets.live_explorer` without a browser: setting the slider's
value runs the widget's callback as a kernel would (recompute with the compiled sweep, move
the lines of the figure it keeps, draw it and encode the PNG its image widget sends). The
latency of one change is split into *recompute* (the sweep alone) and *draw* (the rest).

Peers, in the same process: the previous design, a new figure per change (contour map, path,
loss curve, constrained layout) rendered as Jupyter's inline backend does it
(``IPython.core.pylabtools.print_figure``, which draws twice for ``bbox_inches="tight"``); and
the floor of that design, the same two-panel figure with two plain lines.

Run alone: ``python -m benchmarks.slider`` (``--quick`` for tiny sizes).
"""

from __future__ import annotations

import time
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from IPython.core.pylabtools import print_figure  # noqa: E402

import gdlib  # noqa: E402
from benchmarks import harness  # noqa: E402
from gdlib.problems import surfaces
from gdlib.viz import plotting, widgets  # noqa: E402

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


def slider_values(low: float, high: float, changes: int, seed: int = 0) -> np.ndarray:
    """``changes`` learning rates inside the slider's range (ends excluded), shuffled."""
    values = np.geomspace(low, high, changes + 2)[1:-1]
    return np.random.default_rng(seed).permutation(values)


def explorer_latency(spec: dict[str, Any], changes: int) -> dict[str, list[float]]:
    """Change the learning rate ``changes`` times; seconds per change, and its parts."""
    surface = spec["surface"]()
    explorer = widgets.live_explorer(surface, spec["make_optimizer"], spec["num_steps"],
                                     **spec["ranges"])
    *sliders, image = explorer.children
    slider = sliders[list(spec["ranges"]).index("learning_rate")]
    fixed = {k: [v[2]] for k, v in spec["ranges"].items() if k != "learning_rate"}
    low, high, _ = spec["ranges"]["learning_rate"]
    start = np.asarray(surface.start, np.float32)

    def recompute(lr):
        runs = gdlib.sweep(spec["make_optimizer"], surface, start, spec["num_steps"],
                           max_loss=widgets.MAX_LOSS, learning_rate=[lr], **fixed)
        runs.losses.block_until_ready()

    total, sweep_s, new_figure, floor = [], [], [], []
    slider.value = high  # the first change compiles (see first_call); not timed
    for lr in slider_values(low, high, changes):
        before = image.value
        start_s = time.perf_counter()
        slider.value = float(lr)
        total.append(time.perf_counter() - start_s)
        if image.value == before:
            raise RuntimeError("the widget did not redraw its figure: its callback failed "
                               "(see the log)")
        sweep_s.append(harness.clock(lambda lr=lr: recompute(float(lr))))
        new_figure.append(harness.clock(lambda lr=lr: new_figure_per_change(spec, float(lr))))
        floor.append(harness.clock(floor_figure))  # the peers, in the same round
    draw = [t - s for t, s in zip(total, sweep_s, strict=True)]
    return {"total": total, "recompute": sweep_s, "draw": draw,
            "new figure per change": new_figure, "its matplotlib floor": floor}


def new_figure_per_change(spec: dict[str, Any], lr: float) -> None:
    """The previous design of the widget: recompute, build a new figure, render it inline."""
    surface = spec["surface"]()
    fixed = {k: [v[2]] for k, v in spec["ranges"].items() if k != "learning_rate"}
    runs = gdlib.sweep(spec["make_optimizer"], surface, np.asarray(surface.start, np.float32),
                       spec["num_steps"], max_loss=widgets.MAX_LOSS, learning_rate=[lr],
                       **fixed)
    one = gdlib.Trajectory(runs.params[0], runs.losses[0], runs.diverged_at[0])
    fig, (ax_path, ax_loss) = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
    plotting.contour(surface, ax_path)
    plotting.path(ax_path, one)
    plotting.loss_curve(ax_loss, one, min_value=surface.min_value)
    fig.suptitle(f"η = {lr:.3g}")
    print_figure(fig, "png")
    plt.close(fig)


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
        parts = explorer_latency(EXPLORERS[name], changes)
        for part, times in parts.items():
            rows.append(harness.row(name, part, [max(t, 0.0) for t in times]))
        median_ms = float(np.median(parts["total"])) * 1e3
        ratios.append(harness.figure(f"{name}: change -> new figure", median_ms,
                                     harness.target("<=", 100.0), unit="ms"))
        ratios.append(harness.figure(f"{name}: latency / new figure per change",
                                     harness.ratio(parts["total"],
                                                   parts["new figure per change"])))
        ratios.append(harness.figure(f"{name}: latency / its matplotlib floor",
                                     harness.ratio(parts["total"],
                                                   parts["its matplotlib floor"])))
        ratios.append(harness.figure(f"{name}: recompute share",
                                     float(np.median(parts["recompute"])) * 1e3 / median_ms,
                                     unit="of total"))
    config = {"changes": changes, "backend": matplotlib.get_backend(),
              "widgets": {k: {"num_steps": EXPLORERS[k]["num_steps"],
                              "sliders": list(EXPLORERS[k]["ranges"])} for k in explorers}}
    notes = ["Latency = the slider's callback: gdlib.sweep for the new value, the kept figure "
             "redrawn with its lines moved, a PNG for the image widget. The browser's transfer "
             "and paint are not included."]
    return harness.result("slider", TITLE, config=config, rows=rows, ratios=ratios, notes=notes)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return harness.main_for(run, QUICK, argv)


if __name__ == "__main__":
    main()
