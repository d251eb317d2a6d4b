r"""Adam and RMSprop as two corners of one family, to change one difference at a time.

Adam and RMSprop (in the book's forms, :func:`gdlib.adam` and :func:`gdlib.rmsprop`) differ in
four ways, not one: Adam has a momentum term (:math:`\beta_1 = 0.9`, RMSprop none), averages the
squared gradients more slowly (:math:`\beta_2 = 0.999` against RMSprop's decay 0.9), corrects
both averages for their start at zero, and puts :math:`\epsilon` outside the square root
(RMSprop inside). :func:`adam_rmsprop` has a switch for each:

.. math::
    m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
    v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2,

    \hat m_t = \frac{m_t}{1-\beta_1^t},\ \hat v_t = \frac{v_t}{1-\beta_2^t}
    \ \text{(bias correction; otherwise } \hat m_t = m_t,\ \hat v_t = v_t),

    \theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}
    \quad\text{or, with } \epsilon \text{ inside,}\quad
    \theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t + \epsilon}}.

``adam_rmsprop(η)`` is ``gdlib.adam(η)``; ``adam_rmsprop(η, **RMSPROP)`` is ``gdlib.rmsprop(η)``
(both tested). :func:`one_change_at_a_time` gives the variants that change one of the four from
either end, so that an experiment can attribute a difference between the two optimizers;
:func:`settings` gives the same variants as keyword arguments. The two switches are numbers as
well as booleans (1 on, 0 off), so that a sweep can vary them like :math:`\beta_1` and
:math:`\beta_2`: all ten variants then train in one compiled call
(:func:`gdlib.train.tuning.variant_curves`).

Kingma and Ba's argument for bias correction (2015, section 3): without it, :math:`v_t` starts
near :math:`(1-\beta_2)\, g^2` and :math:`m_t` near :math:`(1-\beta_1)\, g`, so the first
steps have size about :math:`\eta\,(1-\beta_1)/\sqrt{1-\beta_2}`: :math:`3.16\,\eta` for the
defaults and :math:`10\,\eta` for :math:`\beta_2 = 0.9999`, but :math:`0.32\,\eta` for
:math:`\beta_2 = 0.9`. :func:`first_step_factor` computes that factor.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import numpy as np

from gdlib.optim.base import GradientTransformation
from gdlib.optim.hyperparams import as_schedule, check_fraction, check_nonnegative
from gdlib.optim.optimizers import (
    AdamState,
    LearningRate,
    _abs_sq,
    _count0,
    _divide,
    _map,
    _real_zeros,
    _sqrt,
    _zeros,
)

__all__ = ["ADAM", "RMSPROP", "adam_rmsprop", "first_step_factor", "one_change_at_a_time",
           "settings"]

#: The settings of :func:`gdlib.adam`'s defaults (the learning rate apart).
ADAM = {"b1": 0.9, "b2": 0.999, "bias_correction": True, "eps_inside": False}
#: The settings that make :func:`adam_rmsprop` equal :func:`gdlib.rmsprop` (decay 0.9).
RMSPROP = {"b1": 0.0, "b2": 0.9, "bias_correction": False, "eps_inside": True}


def _check_switch(name: str, value: Any) -> Any:
    """A switch: ``True``/``False``, or 1/0 (numbers, arrays of them in a checked grid, or a
    traced value in a sweep); returned as a number, 1.0 for on."""
    if isinstance(value, jax.core.Tracer):
        return value
    array = np.asarray(value)
    if array.dtype.kind not in "biuf" or not np.all((array == 0) | (array == 1)):
        raise ValueError(f"{name} must be True or False (or 1 or 0), got {value!r}")
    return array.astype(float) if array.ndim else float(array)


def adam_rmsprop(learning_rate: LearningRate = 0.001, b1: float = 0.9, b2: float = 0.999,
                 eps: float = 1e-8, *, bias_correction: bool | float = True,
                 eps_inside: bool | float = False) -> GradientTransformation:
    r"""Adam with a switch for each way it differs from RMSprop (the module's equations).

    Args:
        learning_rate: :math:`\eta`, a number or a schedule.
        b1: :math:`\beta_1`, the momentum's decay; 0 means no momentum (:math:`m_t = g_t`).
        b2: :math:`\beta_2`, the squared gradients' decay (RMSprop's ``decay``).
        eps: :math:`\epsilon`.
        bias_correction: divide by :math:`1-\beta_1^t` and :math:`1-\beta_2^t` (Adam) or not;
            1 or 0 also work, so that a sweep can trace it.
        eps_inside: :math:`\epsilon` inside the square root (RMSprop) or outside (Adam); 1 or
            0 also work.

    Example:
        >>> import jax.numpy as jnp
        >>> opt = adam_rmsprop(0.1, eps=0.0, bias_correction=False)
        >>> updates, _ = opt.update(jnp.array([2.0]), opt.init(jnp.zeros(1)))
        >>> round(float(updates[0]), 4)  # -η (1-β1) g / sqrt((1-β2) g²) = -0.1 · 0.1/√0.001
        -0.3162
    """
    eta = as_schedule(learning_rate)
    b1 = check_fraction("b1", b1)
    b2 = check_fraction("b2", b2)
    eps = check_nonnegative("eps", eps)
    # Both switches as numbers (1 on, 0 off), so that a sweep can trace them; the arithmetic is
    # exact either way: 1 - 0·β^t = 1, and ε·0 = 0 on the side of the root it is not on.
    correct = _check_switch("bias_correction", bias_correction)
    inside = _check_switch("eps_inside", eps_inside)

    def init(params):
        return AdamState(_count0(), _zeros(params), _real_zeros(params))

    def update(grads, state, params=None, **extra_args):
        t, lr = state.count + 1.0, eta(state.count)
        m = _map(lambda m, g: b1 * m + (1 - b1) * g, state.mu, grads)
        v = _map(lambda v, g: b2 * v + (1 - b2) * _abs_sq(g), state.nu, grads)
        m_hat = _map(lambda m: m / (1 - correct * b1**t), m)
        v_hat = _map(lambda v: v / (1 - correct * b2**t), v)
        updates = _map(lambda m, v: -lr * _divide(m, _sqrt(v + inside * eps)
                                                  + (1 - inside) * eps), m_hat, v_hat)
        updates = _map(lambda u, g: u.astype(g.dtype), updates, grads)
        return updates, AdamState(state.count + 1, m, v)

    return GradientTransformation(init, update)


# Each difference: its switch of adam_rmsprop, and how a variant that takes RMSprop's setting
# from Adam (then Adam's from RMSprop) is named.
_CHANGES = [("bias_correction", "no bias correction", "bias correction"),
            ("b2", "β2 = 0.9", "decay 0.999"),
            ("b1", "no momentum", "momentum β1 = 0.9"),
            ("eps_inside", "ε inside the root", "ε outside the root")]
SWITCH_NAMES = {"bias_correction": "bias correction", "b2": "β2", "b1": "momentum",
                "eps_inside": "ε placement"}
# The four differences, each as (the variant of Adam, the variant of RMSprop) that switches it.
SWITCHES = {SWITCH_NAMES[key]: (f"Adam, {to_rmsprop}", f"RMSprop, {to_adam}")
            for key, to_rmsprop, to_adam in _CHANGES}


def settings() -> dict[str, dict[str, Any]]:
    """Adam, RMSprop, and the variants that change one of their four differences, as the
    keyword arguments of :func:`adam_rmsprop` (the learning rate apart).

    Returns:
        ``name -> settings``: Adam, then Adam with one difference switched to RMSprop's
        setting, then RMSprop, then RMSprop with one switched to Adam's.

    Example:
        >>> settings()["Adam, β2 = 0.9"] == {**ADAM, "b2": 0.9}
        True
    """
    variants = {}
    for base, other, label in [(ADAM, RMSPROP, "Adam"), (RMSPROP, ADAM, "RMSprop")]:
        variants[label] = dict(base)
        for key, to_rmsprop, to_adam in _CHANGES:
            change = to_rmsprop if label == "Adam" else to_adam
            variants[f"{label}, {change}"] = {**base, key: other[key]}
    return variants


def switch_effects(losses: dict[str, float]) -> dict[str, tuple[float, float]]:
    """How much switching each difference moves the loss, from Adam's end and from RMSprop's.

    Args:
        losses: a loss for every variant of :func:`settings`, by name.

    Returns:
        ``switch -> (|loss(Adam's variant) - loss(Adam)|, |loss(RMSprop) - loss(RMSprop's
        variant)|)``, for the switches of :data:`SWITCHES`.

    Example:
        >>> losses = {name: 1.0 for name in settings()} | {"Adam, β2 = 0.9": 1.5}
        >>> switch_effects(losses)["β2"], switch_effects(losses)["momentum"]
        ((0.5, 0.0), (0.0, 0.0))
    """
    return {switch: (abs(losses[from_adam] - losses["Adam"]),
                     abs(losses["RMSprop"] - losses[from_rmsprop]))
            for switch, (from_adam, from_rmsprop) in SWITCHES.items()}


def one_change_at_a_time() -> dict[str, Callable[..., GradientTransformation]]:
    """The variants of :func:`settings` as factories taking ``learning_rate``.

    Example:
        >>> list(one_change_at_a_time())[:3]
        ['Adam', 'Adam, no bias correction', 'Adam, β2 = 0.9']
        >>> len(one_change_at_a_time())
        10
    """
    return {name: partial(adam_rmsprop, **kw) for name, kw in settings().items()}


def first_step_factor(b1: float, b2: float, bias_correction: bool) -> float:
    r"""The size of the first step in units of :math:`\eta` (:math:`\epsilon = 0`, any
    :math:`g_1 \ne 0`): 1 with bias correction, :math:`(1-\beta_1)/\sqrt{1-\beta_2}` without.

    Example:
        >>> round(first_step_factor(0.9, 0.999, False), 2), first_step_factor(0.9, 0.999, True)
        (3.16, 1.0)
    """
    b1 = check_fraction("b1", b1)
    b2 = check_fraction("b2", b2)
    return 1.0 if bias_correction else (1 - b1) / math.sqrt(1 - b2)
