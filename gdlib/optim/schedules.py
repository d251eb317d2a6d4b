r"""Learning-rate schedules: factories that return ``schedule(count) -> learning rate``.

``count`` is the number of updates already made (0 for the first update), as in optax. Whether
it counts steps or epochs is up to the caller: a schedule is evaluated at whatever counter the
optimizer or the training loop hands it. Every schedule is written with ``jax.numpy``, so it
takes a Python int, a NumPy array (``schedule(np.arange(100))`` draws a whole curve) or a traced
int32 counter inside ``jit``, ``vmap`` and ``lax.scan``. For an integer counter the rate comes
back as a *weakly typed* JAX array of the default float dtype (float32, or float64 when x64 is
enabled), so ``lr * grad`` keeps the gradient's dtype, float32 included.

* :func:`constant`: :math:`\eta_t = \eta_0`.
* :func:`time_based`: :math:`\eta_t = \eta_0 / (1 + k t)`.
* :func:`exponential`: :math:`\eta_t = \eta_0\, e^{-k t}`.
* :func:`step_decay`: :math:`\eta_t = \eta_0\, d^{\lfloor t / T \rfloor}`.

Each docstring names the equivalent optax schedule and PyTorch scheduler. The hyperparameters
are checked when the schedule is built, and each must be one number; values traced inside
``vmap`` (a sweep over decay rates) are let through, see :mod:`gdlib.optim.hyperparams`.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gdlib.optim.hyperparams import (
    Schedule,
    check_nonnegative,
    check_positive_int,
    check_range,
    scalar_hyperparameters,
)

__all__ = ["Schedule", "constant", "exponential", "step_decay", "time_based"]


def _as_float(count: Any) -> jax.Array:
    """The counter as a weakly typed float array (exact for counts below 2**24 in float32)."""
    return jnp.asarray(count) * 1.0


def constant(value: float) -> Schedule:
    r"""A constant learning rate, :math:`\eta_t = \eta_0`.

    The result has the shape of ``count``, so a constant rate plots like any other schedule.
    Equivalent to ``optax.constant_schedule(value)`` (or passing ``value`` itself) and to a plain
    ``lr=value`` in PyTorch.

    Args:
        value: :math:`\eta_0`, a finite number ``>= 0``.

    Returns:
        A function ``count -> value``.

    Example:
        >>> import numpy as np
        >>> schedule = constant(0.1)
        >>> np.asarray(schedule(np.arange(3)), dtype=float).round(6).tolist()
        [0.1, 0.1, 0.1]
    """
    check_nonnegative("value", value)

    def schedule(count: Any) -> jax.Array:
        return jnp.zeros_like(_as_float(count)) + value

    return schedule


def time_based(init_value: float, decay_rate: float) -> Schedule:
    r"""Time-based (inverse) decay, :math:`\eta_t = \eta_0 / (1 + k t)`.

    The rate falls like :math:`1/t`, so :math:`\sum_t \eta_t = \infty` and
    :math:`\sum_t \eta_t^2 < \infty`, the Robbins-Monro conditions for SGD to converge.
    optax has no built-in; pass ``lambda c: init_value / (1 + decay_rate * c)``. PyTorch:
    ``LambdaLR(opt, lambda t: 1 / (1 + decay_rate * t))`` with ``lr=init_value``;
    ``torch.optim.Adagrad(lr=init_value, lr_decay=decay_rate)`` applies the same schedule.

    Args:
        init_value: :math:`\eta_0`, a finite number ``>= 0``.
        decay_rate: the decay constant :math:`k`, a finite number ``>= 0`` (0 keeps
            :math:`\eta_0`).

    Returns:
        A function ``count -> init_value / (1 + decay_rate * count)``.

    Example:
        >>> import numpy as np
        >>> schedule = time_based(0.1, decay_rate=1.0)
        >>> np.asarray(schedule(np.arange(4)), dtype=float).round(6).tolist()
        [0.1, 0.05, 0.033333, 0.025]
    """
    check_nonnegative("init_value", init_value)
    check_nonnegative("decay_rate", decay_rate)

    def schedule(count: Any) -> jax.Array:
        return init_value / (1.0 + decay_rate * _as_float(count))

    return schedule


def exponential(init_value: float, decay_rate: float) -> Schedule:
    r"""Exponential decay, :math:`\eta_t = \eta_0\, e^{-k t}`.

    optax: ``optax.exponential_decay(init_value, transition_steps=1,
    decay_rate=math.exp(-decay_rate))``. Mind the names: optax's ``decay_rate`` is the factor
    :math:`e^{-k}` applied per transition, gdlib's is the constant :math:`k` in the exponent.
    PyTorch: ``ExponentialLR(opt, gamma=math.exp(-decay_rate))`` with ``lr=init_value``.

    Args:
        init_value: :math:`\eta_0`, a finite number ``>= 0``.
        decay_rate: the decay constant :math:`k`, a finite number ``>= 0``.

    Returns:
        A function ``count -> init_value * exp(-decay_rate * count)``.

    Example:
        >>> import numpy as np
        >>> schedule = exponential(0.1, decay_rate=0.5)
        >>> np.asarray(schedule(np.arange(4)), dtype=float).round(6).tolist()
        [0.1, 0.060653, 0.036788, 0.022313]
    """
    check_nonnegative("init_value", init_value)
    check_nonnegative("decay_rate", decay_rate)

    def schedule(count: Any) -> jax.Array:
        return init_value * jnp.exp(-decay_rate * _as_float(count))

    return schedule


def step_decay(init_value: float, drop: float = 0.5, every: int = 10) -> Schedule:
    r"""Step decay, :math:`\eta_t = \eta_0\, d^{\lfloor t / T \rfloor}`: multiply by ``drop``
    every ``every`` counts.

    The slides write it as :math:`\gamma_0\, e^{-k \lfloor t / T \rfloor}`, that is
    :math:`d = e^{-k}`; their typical choice, :math:`\gamma_0 = 0.01` halved every 10 epochs,
    is ``step_decay(0.01, drop=0.5, every=10)``. The first drop happens at ``count == every``,
    as in PyTorch's ``StepLR`` (snippets that use :math:`\lfloor (1 + t) / T \rfloor` drop one
    count earlier). Whether ``count`` is a step or an epoch is up to the caller: call the
    schedule with an epoch counter to drop every ``every`` epochs.

    optax: ``optax.exponential_decay(init_value, transition_steps=every, decay_rate=drop,
    staircase=True)``. PyTorch: ``StepLR(opt, step_size=every, gamma=drop)`` with
    ``lr=init_value``.

    Args:
        init_value: :math:`\eta_0`, a finite number ``>= 0``.
        drop: the factor :math:`d` in ``(0, 1]`` (1 keeps :math:`\eta_0`).
        every: the period :math:`T`, a whole number ``>= 1``.

    Returns:
        A function ``count -> init_value * drop ** (count // every)``.

    Example:
        >>> import numpy as np
        >>> schedule = step_decay(0.01, drop=0.5, every=10)
        >>> np.asarray(schedule(np.array([0, 9, 10, 19, 20, 35])), dtype=float).round(6).tolist()
        [0.01, 0.01, 0.005, 0.005, 0.0025, 0.00125]
    """
    check_nonnegative("init_value", init_value)
    check_range("drop", drop, 0.0, 1.0, low_open=True)
    every = check_positive_int("every", every)

    def schedule(count: Any) -> jax.Array:
        return init_value * drop ** jnp.floor_divide(_as_float(count), every)

    return schedule


# Each hyperparameter is one number (a sweep runs several values): the factories are wrapped
# here rather than decorated, so that the code a page shows starts at its `def`.
constant = scalar_hyperparameters(constant)
time_based = scalar_hyperparameters(time_based)
exponential = scalar_hyperparameters(exponential)
step_decay = scalar_hyperparameters(step_decay)
