"""The optimizer explorer reruns the chosen optimizer in one compiled program."""

import inspect

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import gdlib  # noqa: E402
from gdlib.optim.optimizers import BY_NAME  # noqa: E402
from gdlib.problems import surfaces
from gdlib.viz import explorer  # noqa: E402


def test_every_optimizer_has_a_knob_that_it_takes_and_starting_values():
    assert list(explorer.KNOBS) == list(BY_NAME) == list(explorer.STARTING_VALUES)
    for name, knob in explorer.KNOBS.items():
        parameters = inspect.signature(BY_NAME[name]).parameters
        assert knob is None or knob in parameters
        assert (explorer.STARTING_VALUES[name][1] is None) == (knob is None)
        BY_NAME[name](**explorer.hyperparams(name, *(v or 0.5 for v in
                                                      explorer.STARTING_VALUES[name])))


@pytest.fixture
def titles(shown_titles):
    return shown_titles


def test_the_menu_and_sliders_rerun_the_chosen_optimizer(titles):
    ui = explorer.explorer(surfaces.quadratic_bowl(), 30)
    menu, rate, knob, _ = ui.children
    assert titles[-1].startswith("sgd: η = 0.02: loss") and knob.disabled
    drawn = len(titles)
    menu.value = "adam"
    assert len(titles) == drawn + 1  # one picture per choice, not one per slider it moves
    assert titles[-1].startswith("adam: η = 0.05, β₁ = 0.9: loss")
    assert knob.description == "β₁" and not knob.disabled
    knob.value = 0.5
    assert titles[-1].startswith("adam: η = 0.05, β₁ = 0.5: ")
    menu.value = "adadelta"
    assert knob.description == "ρ" and titles[-1].startswith("adadelta: η = 1, ρ = 0.95: ")


@pytest.mark.parametrize("name", list(BY_NAME))
def test_no_slider_extreme_raises(titles, name):
    ui = explorer.explorer(surfaces.rosenbrock(), 40, names=[name])
    _, rate, knob, _ = ui.children
    for value in (rate.min, rate.max):
        rate.value = 10**value
        for k in (knob.min, knob.max):
            knob.value = k
            assert titles[-1].startswith(f"{name}: η = ")
    assert "diverged at step" in titles[-1] or "loss" in titles[-1]


def test_one_compiled_program_runs_every_optimizer_as_gdlib_run_does():
    bowl = surfaces.quadratic_bowl()  # not chaotic: float32 rounding stays small
    run = explorer.compiled_lineup(bowl, 60)
    start = np.asarray(bowl.start, np.float32)
    for name in BY_NAME:
        rate, knob = explorer.STARTING_VALUES[name]
        ours = run(name, rate, knob if knob is not None else 0.0)
        optimizer = BY_NAME[name](**explorer.hyperparams(name, rate, knob or 0.0))
        theirs = gdlib.run(optimizer, bowl, start, 60, max_loss=explorer.MAX_LOSS)
        np.testing.assert_allclose(ours.losses, theirs.losses, rtol=1e-4, atol=1e-6)
        assert int(ours.diverged_at) == int(theirs.diverged_at)
    with pytest.raises(ValueError, match="learning_rate"):
        run("adam", -1.0, 0.9)


def test_the_menu_does_not_recompile_and_a_disabled_knob_reruns_nothing(titles):
    ui = explorer.explorer(surfaces.quadratic_bowl(), 30, names=["sgd", "adam"])
    menu, _, knob, _ = ui.children
    drawn = len(titles)
    knob.value = 0.3  # SGD has no knob
    assert len(titles) == drawn
    import jax

    with jax.log_compiles():
        menu.value = "adam"
        knob.value = 0.5
    assert len(titles) == drawn + 2
