"""Explore an optimizer's two main knobs: live with a kernel, precomputed without one.

* :func:`explorer`: a menu of optimizers and two sliders, the learning rate and the optimizer's
  "momentum" knob (γ for Momentum and NAG, ρ for Adadelta, γ for RMSprop's decay, β₁ for the
  Adam family). Every change reruns the optimizer with JAX in one program compiled ahead for
  all of them (:func:`compiled_lineup`), and redraws only what moves.

For the static HTML, :func:`gdlib.viz.widgets.explorable` draws the same picture precomputed
over a grid of values in one vmapped call, with a slider per hyperparameter.

A diverged run says so in its title; no value the sliders reach raises an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from gdlib.optim.optimizers import BY_NAME
from gdlib.problems.surfaces import Surface
from gdlib.train.runner import Trajectory
from gdlib.viz import page
from gdlib.viz.live_figure import LiveFigure
from gdlib.viz.plotting import contour, loss_curve, path
from gdlib.viz.widgets import MAX_LOSS, SYMBOLS, _move, live_limits, title

#: The hyperparameter that plays the part of momentum in each optimizer (None: there is none).
KNOBS: dict[str, str | None] = {
    "sgd": None, "momentum": "momentum", "nesterov": "momentum", "adagrad": None,
    "adadelta": "rho", "rmsprop": "decay", "adam": "b1", "adamax": "b1", "nadam": "b1",
}

#: A learning rate and knob value to start each optimizer from, suited to the test surfaces.
STARTING_VALUES: dict[str, tuple[float, float | None]] = {
    "sgd": (0.02, None), "momentum": (0.02, 0.9), "nesterov": (0.02, 0.9),
    "adagrad": (0.5, None), "adadelta": (1.0, 0.95), "rmsprop": (0.02, 0.9),
    "adam": (0.05, 0.9), "adamax": (0.05, 0.9), "nadam": (0.05, 0.9),
}


def hyperparams(name: str, learning_rate: float, knob: float) -> dict[str, float]:
    """The keyword arguments for optimizer ``name`` from the two slider values.

    Example:
        >>> hyperparams("adam", 0.01, 0.8)
        {'learning_rate': 0.01, 'b1': 0.8}
        >>> hyperparams("sgd", 0.01, 0.8)
        {'learning_rate': 0.01}
    """
    if name not in KNOBS:
        raise ValueError(f"name must be one of {list(KNOBS)}, got {name!r}")
    values = {"learning_rate": float(learning_rate)}
    if KNOBS[name] is not None:
        values[KNOBS[name]] = float(knob)
    return values


FIGSIZE = (page.COLUMN_INCHES, 3.4)


def _draw_map(surface: Surface, ax: Axes) -> None:
    contour(surface, ax, n=121, levels=20)


def compiled_lineup(surface: Surface, num_steps: int, names: Any = None, *, start: Any = None,
                    max_loss: float = MAX_LOSS) -> Callable[[str, float, float], Trajectory]:
    r"""One compiled program that runs any of the optimizers ``names`` on ``surface``.

    The explorer's menu switches between optimizers, and each one compiled on its own costs
    a reader half a second at the first choice. Here every optimizer's loop is a branch of
    one ``lax.switch``, traced and compiled once, ahead of time; the optimizer's position in
    the menu, the learning rate and the knob (:data:`KNOBS`) are its arguments. Only the
    chosen branch runs. Each call first builds the optimizer from the concrete values, so a
    bad value raises the optimizer's usual ``ValueError``.

    Returns:
        ``run(name, learning_rate, knob) -> Trajectory`` (``knob`` is ignored by SGD and
        Adagrad).

    Example:
        >>> from gdlib.problems import surfaces
        >>> run = compiled_lineup(surfaces.quadratic_bowl(), 30, ["sgd", "adam"])
        >>> run("adam", 0.1, 0.9).describe() == run("adam", 0.1, 0.9).describe()
        True
        >>> run("sgd", 0.1, 0.0).losses.shape
        (31,)
    """
    import jax
    from jax import lax

    from gdlib.train.compilation import QUICK_CPU_OPTIONS
    from gdlib.train.runner import _check_max_loss, _trajectory

    names = list(BY_NAME if names is None else names)
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise ValueError(f"names must be among {list(BY_NAME)}, got {unknown}")
    start = np.asarray(surface.start if start is None else start, dtype=np.float32)
    max_loss = _check_max_loss(max_loss)

    def branch(name):
        def one(learning_rate, knob):
            optimizer = BY_NAME[name](**{k: (learning_rate if k == "learning_rate" else knob)
                                         for k in hyperparams(name, 1.0, 0.0)})
            return _trajectory(optimizer, surface, start, num_steps, max_loss)
        return one

    def program(index, learning_rate, knob):
        return lax.switch(index, [branch(n) for n in names], learning_rate, knob)

    # A few hundred steps on two coordinates run in microseconds even when XLA optimizes
    # little, and compiling nine loops is what the reader would wait for.
    options = QUICK_CPU_OPTIONS if jax.default_backend() == "cpu" else None
    scalar = np.float32(0.0)
    compiled = jax.jit(program, compiler_options=options).lower(
        np.int32(0), scalar, scalar).compile()

    def run(name: str, learning_rate: float, knob: float) -> Trajectory:
        BY_NAME[name](**hyperparams(name, learning_rate, knob))  # checks the values
        return compiled(np.int32(names.index(name)), np.float32(learning_rate),
                        np.float32(knob))

    return run


def explorer(surface: Surface, num_steps: int, *, names: Any = None,
             learning_rate: tuple[float, float] = (1e-4, 2.0),
             knob: tuple[float, float] = (0.0, 0.99), start: Any = None,
             max_loss: float = MAX_LOSS):
    """A menu of optimizers and two sliders that rerun the chosen one on ``surface``.

    Choosing an optimizer moves the sliders to its :data:`STARTING_VALUES`; the second
    slider is named after the optimizer's knob (:data:`KNOBS`) and is disabled for SGD and
    Adagrad, which have none (moving it then reruns nothing). Every optimizer runs in one
    program compiled when the explorer is made (:func:`compiled_lineup`), so neither a
    slider nor the menu waits for a compilation, and a change redraws only the path, the
    loss curve and the title (:class:`gdlib.viz.live_figure.LiveFigure`).

    Args:
        surface: a :mod:`gdlib.problems.surfaces` test function.
        num_steps: updates per run.
        names: the optimizers to offer (default: all of :data:`gdlib.optim.optimizers.BY_NAME`).
        learning_rate: the range of the (logarithmic) learning-rate slider.
        knob: the range of the second slider.
        start: the starting point (default: the surface's).
        max_loss: a loss above this counts as diverged.

    Returns:
        An ``ipywidgets.VBox`` to display (end a notebook cell with it).
    """
    import ipywidgets

    names = list(BY_NAME if names is None else names)
    run_one = compiled_lineup(surface, num_steps, names, start=start, max_loss=max_loss)
    first_rate, first_knob = STARTING_VALUES[names[0]]
    menu = ipywidgets.Dropdown(options=names, value=names[0], description="optimizer")
    rate = ipywidgets.FloatLogSlider(
        value=first_rate, base=10, min=np.log10(learning_rate[0]),
        max=np.log10(learning_rate[1]), step=0.02, description="η", readout_format=".3g")
    second = ipywidgets.FloatSlider(
        value=first_knob or 0.0, min=knob[0], max=knob[1], step=(knob[1] - knob[0]) / 99,
        description="γ", readout_format=".3g")
    choosing = [False]  # while the menu moves the sliders, draw once at the end, not per slider

    def run_for() -> tuple[dict[str, float], Trajectory]:
        values = hyperparams(menu.value, rate.value, second.value)
        return values, run_one(menu.value, rate.value, second.value)

    live = LiveFigure(figsize=FIGSIZE)
    ax_path, ax_loss = live.subplots(1, 2)
    _draw_map(surface, ax_path)
    run = run_for()[1]
    line = path(ax_path, run)
    curve = loss_curve(ax_loss, run, min_value=surface.min_value)
    ax_loss.set(xlim=(0, num_steps), ylim=live_limits(run.losses[0] - surface.min_value))
    heading = live.figure.suptitle(" ")
    live.moving(line, curve, heading)

    def redraw(*_):
        if choosing[0]:
            return
        name = menu.value
        second.disabled = KNOBS[name] is None
        second.description = SYMBOLS.get(KNOBS[name] or "", "–")
        values, run = run_for()
        _move(line, curve, run, surface.min_value)
        heading.set_text(f"{name}: {title(values, run)}")
        live.refresh()

    def knob_moved(change):
        if KNOBS[menu.value] is not None:  # SGD and Adagrad have no knob: nothing to rerun
            redraw(change)

    def choose(change):
        rate_value, knob_value = STARTING_VALUES[change["new"]]
        choosing[0] = True
        try:
            rate.value = rate_value
            if knob_value is not None:
                second.value = knob_value
        finally:
            choosing[0] = False
        redraw()

    menu.observe(choose, names="value")
    rate.observe(redraw, names="value")
    second.observe(knob_moved, names="value")
    redraw()
    return ipywidgets.VBox([menu, rate, second, live.image])


