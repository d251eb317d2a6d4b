"""Tables and plots of saved benchmark results, for the book's Performance appendix.

Everything here reads the JSON files that ``make bench`` writes (``benchmarks/results``) and
draws on a Matplotlib ``Axes``; nothing is measured. A result that was skipped (a benchmark
that could not run) is drawn as its reason, so a page never fails for a missing number.

Example:
    >>> from benchmarks import harness
    >>> r = harness.result("demo", "Demo", ratios=[harness.figure("a / b", 0.5,
    ...                                                           harness.target("<=", 1.0))])
    >>> print(markdown_table([r]).splitlines()[2])
    | Demo | a / b | 0.5x | <= 1x | yes |
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import NullFormatter, ScalarFormatter

from benchmarks import NAMES, harness
from gdlib.viz import page

Result = dict[str, Any]
COLORS = {"gdlib": "C0", "optax": "C1", "torch fused": "C2", "torch foreach": "C4",
          "torch default": "C5", "memory bound": "0.3"}


def load(folder: Path | str = harness.RESULTS) -> dict[str, Result]:
    """Every saved result, in the order of :data:`benchmarks.NAMES`, then any others."""
    found = harness.load(folder)
    return {name: found[name] for name in [*NAMES, *sorted(set(found) - set(NAMES))]
            if name in found}


def _value(f: dict[str, Any]) -> str:
    return harness._fmt(f["value"], f["unit"])


def markdown_table(results: list[Result]) -> str:
    """Every headline figure as a Markdown table: benchmark, figure, value, target, met."""
    lines = ["| benchmark | figure | value | target | met |", "|---|---|---|---|---|"]
    for res in results:
        if res.get("skipped"):
            lines.append(f"| {res['title']} | skipped: {res['skipped']} | | | |")
            continue
        for f in res["ratios"]:
            goal = f["target"]
            target = f"{goal['op']} {harness._fmt(goal['value'], f['unit'])}" if goal else ""
            met = {True: "yes", False: "**no**", None: ""}[f["met"]]
            lines.append(f"| {res['title']} | {f['what']} | {_value(f)} | {target} | {met} |")
    return "\n".join(lines)


def describe(res: Result) -> str:
    """Where and when a result was measured, in one line."""
    env = res["environment"]
    devices = sorted(set(env.get("devices", [])))
    return (f"{res['title']}: {env['time'][:10]}, commit {env.get('commit')}, {env['cpu']} "
            f"({env['cores']} cores, load average {env['load_average'][0]}), "
            f"JAX {env['jax']} on {env['backend']} ({', '.join(devices)})")


def rows(res: Result, case: str | None = None) -> list[dict[str, Any]]:
    """The result's measurements, those of one ``case`` if given."""
    return [r for r in res.get("rows", []) if case is None or r["case"] == case]


def _skipped(ax: Axes, res: Result | None, title: str) -> bool:
    if res is not None and not res.get("skipped"):
        return False
    reason = "not measured yet" if res is None else f"skipped: {res['skipped']}"
    ax.text(0.5, 0.5, reason, ha="center", va="center", wrap=True, transform=ax.transAxes)
    ax.set(title=title, xticks=[], yticks=[])
    return True


def _plain_ticks(axis) -> None:
    """Plain numbers on a log axis (100, 1000, not 10^2), no labels on minor ticks."""
    axis.set_major_formatter(ScalarFormatter())
    axis.set_minor_formatter(NullFormatter())


def _axes(ax: Axes | None, height: float) -> Axes:
    """``ax``, or the axes of a new figure one column wide (:mod:`gdlib.viz.page`)."""
    if ax is not None:
        return ax
    return plt.figure(figsize=(page.COLUMN_INCHES, height), layout="constrained").gca()


def _legend_below(ax: Axes, handles: list | None = None, ncols: int = 2) -> None:
    """The legend under the figure, in ``ncols`` columns: beside the axes it would take the
    plot's width, over them it would hide bars (a figure drawn with a constrained layout)."""
    handles = handles if handles is not None else ax.get_legend_handles_labels()[0]
    ax.figure.legend(handles=handles, loc="outside lower center", ncols=ncols, frameon=False)


def plot_step(res: Result | None, ax: Axes | None = None) -> Axes:
    """Milliseconds per optimizer step, by library, for each optimizer (log scale)."""
    ax = _axes(ax, 4.2)
    if _skipped(ax, res, "Optimizer step"):
        return ax
    names = ["gdlib", "optax", "torch fused", "torch foreach", "torch default", "memory bound"]
    cases = list(dict.fromkeys(r["case"] for r in rows(res) if r["case"] != "copy"))
    width = 0.8 / len(names)
    shortest = np.inf
    for i, name in enumerate(names):
        values = [next((r["median_ms"] for r in rows(res, c) if r["name"] == name), np.nan)
                  for c in cases]
        shortest = np.nanmin([shortest, *values])
        ax.bar(np.arange(len(cases)) + (i - len(names) / 2 + 0.5) * width, values, width,
               label=name, color=COLORS[name])
    ax.set_xticks(np.arange(len(cases)), cases)
    ax.set_yscale("log")
    ax.set_ylim(bottom=shortest / 2)  # every bar shows, the shortest as well
    low, high = ax.get_ylim()
    ticks = [m * 10.0**e for e in range(-3, 6) for m in (1, 2, 5) if low <= m * 10.0**e <= high]
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.yaxis.set_minor_formatter(NullFormatter())
    params = res["config"]["num_params"]
    ax.set(ylabel="ms per step (median)",
           title=f"One step on {params / 1e6:g} million float32 parameters")
    _legend_below(ax, ncols=3)
    return ax


def plot_sweep(res: Result | None, axes: tuple[Axes, Axes] | None = None) -> tuple[Axes, Axes]:
    """Left: the sweep three ways (log scale); right: time against the number of configs."""
    if axes is None:  # one above the other, each the column's width (its own layout)
        fig = plt.figure(figsize=(page.COLUMN_INCHES, 5.6), layout="constrained")
        axes = tuple(panel.subplots() for panel in fig.subfigures(2, 1))
    ax_bar, ax_scale = axes
    if _skipped(ax_bar, res, "Sweep"):
        _skipped(ax_scale, res, "Sweep scaling")
        return ax_bar, ax_scale
    sweeps = rows(res, "sweep")
    ax_bar.barh([r["name"] for r in sweeps], [r["median_ms"] for r in sweeps],
                color=["C0", "C1", "C3", "C3"][:len(sweeps)])
    ax_bar.set_xscale("log")
    ax_bar.invert_yaxis()
    cfg = res["config"]
    ax_bar.set(xlabel="ms (median)",
               title=f"{cfg['num_configs']:,} learning rates x {cfg['num_steps']} steps")
    scaling = rows(res, "scaling")
    configs = np.array([r["configs"] for r in scaling], float)
    ms = np.array([r["median_ms"] for r in scaling])
    ax_scale.loglog(configs, ms, "o-", label="gdlib.sweep")
    ax_scale.loglog(configs, ms[0] * configs / configs[0], ":", color="0.5",
                    label="proportional to the count")
    ax_scale.set(xlabel="configurations in one call", ylabel="ms (median)",
                 title=f"Growth ({cfg['scaling_steps']} steps each)")
    ax_scale.legend()
    return ax_bar, ax_scale


def plot_slider(res: Result | None, ax: Axes | None = None) -> Axes:
    """Latency of the live widgets' changes: for each widget the first move, the median move
    (split into recompute and draw) and the slowest move and menu change, beside the target
    and the previous drawing (the whole figure redrawn and encoded as PNG per change)."""
    ax = _axes(ax, 5.6)
    if _skipped(ax, res, "Slider"):
        return ax
    widgets = list(res["config"]["widgets"])

    def part(widget: str, name: str, key: str = "median_ms") -> float:
        return next((r[key] for r in rows(res, widget) if r["name"] == name), np.nan)

    labels, y = [], 0
    for widget in widgets:
        bars = [("first move", part(widget, "first move"), "C2"),
                ("slowest move", part(widget, "move", "max_ms"), "C4")]
        if not np.isnan(part(widget, "menu change")):
            bars.append(("slowest menu change", part(widget, "menu change", "max_ms"), "C5"))
        recompute, draw = part(widget, "recompute"), part(widget, "draw")
        ax.barh(y, recompute, color="C0", label="recompute (median move)" if y == 0 else None)
        ax.barh(y, draw, left=recompute, color="C1", label="draw (median move)" if y == 0
                else None)
        ax.plot(part(widget, "previous drawing (full redraw + PNG)"), y, "k|", ms=14, mew=2,
                label="previous drawing" if y == 0 else None)
        labels.append(f"{widget}: median move")
        y += 1
        for name, value, color in bars:
            ax.barh(y, value, color=color, label=name if name not in
                    ax.get_legend_handles_labels()[1] else None)
            labels.append(f"{widget}: {name}")
            y += 1
    ax.axvline(res["config"].get("target_ms", 100.0), color="C3", ls="--", label="target")
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set(xlabel="ms from a change to a new picture", title="Live widgets: time per change")
    _legend_below(ax)
    return ax


def plot_first_call(res: Result | None, ax: Axes | None = None) -> Axes:
    """First-call time (trace, compile, run) of gdlib's entry points and their peers."""
    ax = _axes(ax, 4.4)
    if _skipped(ax, res, "First call"):
        return ax
    measured = [r for r in rows(res) if "first_call_ms" in r]
    labels = [r["case"] for r in measured]  # gdlib or its peer: the bar's colour
    ax.barh(labels, [r["first_call_ms"] for r in measured],
            color=["C0" if r["name"] == "gdlib" else "C1" for r in measured])
    imports = rows(res, "import")
    for r in imports:
        ax.axvline(r["median_ms"], ls=":" if "jax" in r["name"] else "--", color="0.4",
                   label=r["name"])
    ax.set_xscale("log")
    _plain_ticks(ax.xaxis)
    ax.invert_yaxis()
    ax.set(xlabel="ms", title="First call: trace + compile + run")
    from matplotlib.patches import Patch

    handles, _ = ax.get_legend_handles_labels()
    _legend_below(ax, [Patch(color="C0", label="gdlib"),
                       Patch(color="C1", label="the same in plain JAX or optax"), *handles])
    return ax


def plot_data_parallel(res: Result | None, ax: Axes | None = None) -> Axes:
    """Speed-up against the number of devices, with the ideal line and the core count."""
    ax = _axes(ax, 4.2)
    if _skipped(ax, res, "Data-parallel step"):
        return ax
    devices = res["config"]["devices"]
    lowest = 1.0
    for kind, color, label in [("train", "C0", "a whole training loop"),
                               ("sharded_step", "C1", "one sharded step")]:
        one = next(r["median_ms"] for r in rows(res) if r["name"] == f"{kind}, 1 devices")
        times = [next(r["median_ms"] for r in rows(res) if r["name"] == f"{kind}, {n} devices")
                 for n in devices]
        speedups = one / np.array(times)
        lowest = min(lowest, float(speedups.min()))
        ax.plot(devices, speedups, "o-", color=color, label=label)
    ax.plot(devices, devices, ":", color="0.5", label="ideal (twice the devices, half the time)")
    cores = res["environment"]["cores"]
    if res["config"].get("child_backend") == "cpu":
        ax.axvline(cores, color="C3", ls="--", label=f"{cores} cores")
    ax.set(xscale="log", yscale="log", xlabel="devices", ylabel="speed-up over 1 device",
           title="Data-parallel step (same global batch)")
    ticks = [t for t in (0.125, 0.25, 0.5, 1, 2, 4, 8, 16) if lowest / 1.5 <= t <= max(devices)]
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(devices, [str(n) for n in devices])
    ax.xaxis.set_minor_formatter(NullFormatter())
    _legend_below(ax)
    return ax


def plot_book(res: Result | None, ax: Axes | None = None) -> Axes:
    """Seconds per notebook under nbval, the floor notebook, and the whole book."""
    ax = _axes(ax, 4)
    if _skipped(ax, res, "Book"):
        return ax
    notebooks = rows(res, "notebook")
    ax.barh([r["name"] for r in notebooks], [r["seconds"] for r in notebooks],
            color=["0.6" if r["name"].startswith("floor") else "C0" for r in notebooks])
    whole = [r for r in rows(res, "book") if r["name"].startswith("whole")]
    title = "Each notebook under nbval"
    if whole:
        title += f";\nthe whole book, two at a time: {whole[0]['seconds']:.0f} s"
    ax.invert_yaxis()
    ax.set(xlabel="seconds", title=title)
    return ax


def value(res: Result | None, what: str) -> float:
    """The headline figure ``what`` of a result (NaN if it was not measured)."""
    for f in (res or {}).get("ratios", []):
        if f["what"] == what and f["value"] is not None:
            return float(f["value"])
    return float("nan")


def measured(res: Result | None, case: str, name: str, key: str = "median_ms") -> float:
    """One measurement of a result: ``key`` of the row (``case``, ``name``), NaN if absent."""
    for r in (res or {}).get("rows", []):
        if r["case"] == case and r["name"] == name and key in r:
            return float(r[key])
    return float("nan")


def targets(res: Result | None) -> list[dict[str, Any]]:
    """The figures of a result that have a target, with whether it was met."""
    return [f for f in (res or {}).get("ratios", []) if f["target"] is not None]


def readme_table(results: list[Result]) -> str:
    """The maintainers' table for ``benchmarks/README.md``: every figure that has a target."""
    kept = [{**res, "ratios": targets(res)} for res in results if targets(res) or
            res.get("skipped")]
    return markdown_table(kept)


def write_readme(path: Path | str, folder: Path | str = harness.RESULTS) -> None:
    """Replace the table between the markers in ``path`` (``benchmarks/README.md``) with the
    saved results' targets and whether they were met."""
    path = Path(path)
    text = path.read_text()
    start, end = "<!-- targets: start -->", "<!-- targets: end -->"
    if start not in text or end not in text:
        raise ValueError(f"{path} has no {start} ... {end} markers")
    results = list(load(folder).values())
    when = ", ".join(sorted({describe(r).split(": ", 1)[1].split(",")[0] for r in results}))
    table = (f"{start}\n_Measured {when} (see `benchmarks/results/`)._\n\n"
             f"{readme_table(results)}\n{end}")
    head, rest = text.split(start, 1)
    path.write_text(head + table + rest.split(end, 1)[1])


def print_figures(res: Result | None) -> None:
    """Print a result's headline figures, one a line (or why there are none)."""
    if res is None or res.get("skipped"):
        print("not measured yet" if res is None else f"skipped: {res['skipped']}")
        return
    for f in res["ratios"]:
        print(f"{f['what']}: {_value(f)}")


def print_rows(res: Result | None, cases: tuple[str, ...] | None = None,
               unit: str = "ms") -> None:
    """Print a result's measurements (median), those of some ``cases`` if given."""
    if res is None or res.get("skipped"):
        print("not measured yet" if res is None else f"skipped: {res['skipped']}")
        return
    for r in rows(res):
        if "median_ms" in r and (cases is None or r["case"] in cases):
            value = r["median_ms"] / 1e3 if unit == "s" else r["median_ms"]
            print(f"{r['name']:>48}: {value:9.2f} {unit}")


def print_notes(res: Result | None) -> None:
    """Print a result's notes."""
    for note in (res or {}).get("notes", []):
        print(note)


if __name__ == "__main__":  # python -m benchmarks.report benchmarks/README.md
    import sys

    write_readme(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "README.md")
