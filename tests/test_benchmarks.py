"""Smoke tests of the benchmarks: tiny sizes, the JSON schema and the figures computed.

No timing is asserted (these machines are noisy); what is checked is that every benchmark
runs, produces the figures the Performance appendix reads, and saves and reloads them.
"""

import doctest
import json
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # benchmarks/ is a folder of the repository, not installed
    sys.path.insert(0, str(ROOT))

from benchmarks import NAMES, harness, report  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def check_schema(res):
    assert res["schema"] == harness.SCHEMA_VERSION
    assert {"benchmark", "title", "environment", "config", "rows", "ratios", "notes",
            "skipped"} <= set(res)
    json.loads(json.dumps(res))  # JSON-ready
    for f in res["ratios"]:
        assert {"what", "value", "unit", "target", "met"} <= set(f)
        if f["value"] is not None:
            assert np.isfinite(f["value"]) and f["value"] >= 0, f
        if f["target"] is not None:
            assert f["met"] in (True, False)


def figures(res):
    return {f["what"]: f for f in res["ratios"]}


def test_ratio_is_the_median_of_same_round_ratios():
    assert harness.ratio([1.0, 3.0, 10.0], [1.0, 1.0, 1.0]) == 3.0
    with pytest.raises(ValueError, match="equally long"):
        harness.ratio([1.0], [1.0, 2.0])


def test_compare_times_every_candidate_every_round():
    calls = []
    times = harness.compare({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                            rounds=5, warmup=1)
    assert len(times["a"]) == len(times["b"]) == 5
    assert calls.count("a") == calls.count("b") == 6


def test_figure_checks_its_target():
    assert harness.figure("x", 1.1, harness.target("<=", 1.05))["met"] is False
    assert harness.figure("x", 2000.0, harness.target(">=", 1000.0))["met"] is True
    assert harness.figure("x", 1.0)["met"] is None
    with pytest.raises(ValueError, match="op"):
        harness.target("<", 1.0)


def test_step_quick():
    from benchmarks import step

    res = step.run(**step.QUICK)
    check_schema(res)
    f = figures(res)
    for case in ("adam", "momentum", "adagrad"):
        assert f"{case}: gdlib / optax" in f
        assert f[f"{case}: gdlib / optax"]["target"] == {"op": "<=", "value": 1.05}
    assert f["adam: gdlib / torch fused"]["target"] == {"op": "<=", "value": 1.0}
    gd = [r for r in res["rows"] if r["name"] == "gdlib"]
    assert all(r["float64"] is False and r["compilations"] == 1 for r in gd)


def test_step_minimum_bytes():
    from benchmarks import step

    assert step.min_bytes(1, state_arrays=2) == 7 * 4  # Adam: read p, g, m, v; write p, m, v
    assert step.min_bytes(1, state_arrays=1) == 5 * 4


def test_sweep_quick_and_its_peers_agree():
    from benchmarks import sweep

    res = sweep.run(**sweep.QUICK)
    check_schema(res)
    f = figures(res)
    assert f["gdlib / hand-written jit(vmap(scan))"]["target"]["value"] == 1.2
    assert f["numpy loop / gdlib (speed-up)"]["target"] == {"op": ">=", "value": 1000.0}
    assert "gdlib's and the hand-written sweep's losses agree: True" in res["notes"]
    assert [r["configs"] for r in res["rows"] if r["case"] == "scaling"] == [1, 10]


def test_numpy_sweeps_match_gdlib():
    import gdlib
    from benchmarks import sweep

    surface = gdlib.problems.surfaces.rosenbrock()
    lrs = np.array([1e-4, 5e-4], np.float32)
    start = np.asarray(surface.start, np.float32)
    runs = gdlib.sweep(gdlib.momentum, surface, start, 50, learning_rate=lrs, momentum=0.9)
    expected = np.asarray(runs.final_loss())
    np.testing.assert_allclose(sweep.numpy_sweep(lrs, start, 50), expected, rtol=1e-3)
    np.testing.assert_allclose(sweep.numpy_vectorized(lrs, start, 50), expected, rtol=1e-3)


def test_slider_quick_times_every_kind_of_change():
    from benchmarks import slider

    res = slider.run(changes=2, widgets=("introduction", "comparison"))
    check_schema(res)
    f = figures(res)
    for name in ("introduction", "comparison"):
        for what in ("first move", "move (median)", "move (9 in 10 within)"):
            assert f[f"{name}: {what}"]["unit"] == "ms"
            assert f[f"{name}: {what}"]["target"] == {"op": "<=", "value": 100.0}
    assert f["comparison: disabled knob (slowest)"]["target"]["value"] == 1.0
    parts = {r["name"] for r in res["rows"] if r["case"] == "comparison"}
    assert {"made (compiles ahead)", "first move", "move", "draw", "recompute", "menu change",
            "disabled knob (SGD)", "previous drawing (full redraw + PNG)"} <= parts
    menu = next(r for r in res["rows"] if r["name"] == "menu change")
    assert menu["rounds"] == 2 * 9  # every optimizer, twice
    assert not plt.get_fignums()


def test_the_maintainers_table_keeps_the_figures_with_targets(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- targets: start -->\nold\n<!-- targets: end -->\nafter\n")
    report.write_readme(readme, harness.RESULTS)
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("after\n") and "old" not in text
    assert "| benchmark | figure | value | target | met |" in text
    assert "<= 100 ms" in text and "| Slider latency | introduction: first move |" in text


def test_first_call_quick():
    from benchmarks import first_call

    res = first_call.run(**first_call.QUICK)
    check_schema(res)
    f = figures(res)
    assert "import gdlib / import jax" in f
    assert f["gdlib.sweep (momentum, rosenbrock): first / next call"]["value"] > 1


def test_data_parallel_quick():
    from benchmarks import data_parallel

    res = data_parallel.run(**data_parallel.QUICK)
    check_schema(res)
    if res["skipped"]:
        assert "data_parallel" in res["skipped"]
    else:
        assert res["config"]["devices"] == [1, 2]
        assert "train: speed-up on 2 devices" in figures(res)


def test_book_without_notebooks_is_skipped(tmp_path):
    from benchmarks import book

    res = book.run(folder=tmp_path)
    check_schema(res)
    assert res["skipped"].startswith("no notebook")


def test_suite_times_a_part_cold_then_warm(monkeypatch):
    from benchmarks import suite

    calls = []
    monkeypatch.setattr(suite, "make", lambda part, cache: calls.append(part) or (2.0, True, ""))
    res = suite.run(parts=("lint", "unit"))
    check_schema(res)
    assert calls == ["lint", "unit", "lint", "unit"]
    assert figures(res)["warm / cold"]["value"] == 1.0
    with pytest.raises(ValueError, match="parts must be among"):
        suite.run(parts=("everything",))


def test_runner_saves_and_the_report_reads(tmp_path, capsys):
    from benchmarks.__main__ import main

    assert main(["--only", "sweep", "--quick", "--out", str(tmp_path)]) == 0
    assert "gdlib / hand-written" in capsys.readouterr().out
    results = report.load(tmp_path)
    assert list(results) == ["sweep"]
    table = report.markdown_table(list(results.values()))
    assert "| Hyperparameter sweep | gdlib / hand-written" in table
    assert report.describe(results["sweep"]).startswith("Hyperparameter sweep: ")


def test_every_plot_draws_a_missing_or_skipped_result():
    skipped = harness.skipped("x", "X", "not available yet")
    for plot in (report.plot_step, report.plot_slider, report.plot_first_call,
                 report.plot_data_parallel, report.plot_book):
        for res in (None, skipped):
            ax = plot(res)
            assert ax.texts
            plt.close(ax.figure)
    ax_bar, _ = report.plot_sweep(skipped)
    assert "not available yet" in ax_bar.texts[0].get_text()
    plt.close("all")


def test_committed_results_plot():
    results = report.load()
    if not results:
        pytest.skip("no results committed yet: run make bench")
    for name, res in results.items():
        check_schema(res)
        assert name in NAMES
    report.plot_step(results.get("step"))
    report.plot_sweep(results.get("sweep"))
    report.plot_slider(results.get("slider"))
    report.plot_first_call(results.get("first_call"))
    report.plot_data_parallel(results.get("data_parallel"))
    report.plot_book(results.get("book"))
    plt.close("all")


@pytest.mark.parametrize("name", ["harness", "report", "step", "sweep"])
def test_docstring_examples(name):
    module = __import__(f"benchmarks.{name}", fromlist=[name])
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    failed, attempted = doctest.testmod(module, optionflags=flags)
    assert attempted > 0 and failed == 0
