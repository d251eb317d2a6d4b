r"""The other forms of the optimizers: what the slides, the papers or PyTorch write instead.

:mod:`gdlib.optim.optimizers` implements one form of each method, the one optax implements. The
slides, the original papers and PyTorch sometimes write another; the book's errata compare them
by running both. Each form here is one screen, and is tested against the library that
implements it (or, for Ruder's Nadam, which no library implements, against a hand-written
loop).

* :func:`adam_eps_inside`: the slides' update table, :math:`\epsilon` inside the root.
* :func:`nadam_ruder`: Ruder's eq. 32, the bias correction :math:`1-\beta_1^t` in both terms.
* :func:`nadam_warmup`: Dozat's momentum schedule, as PyTorch's ``NAdam`` does by default.
* :func:`adagrad_eps_outside`: Duchi et al. and PyTorch, :math:`\epsilon` outside the root.
* :func:`rmsprop_eps_outside`: PyTorch, :math:`\epsilon` outside the root.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gdlib.optim.base import GradientTransformation
from gdlib.optim.hyperparams import (
    as_schedule,
    check_fraction,
    check_nonnegative,
    scalar_hyperparameters,
)
from gdlib.optim.optimizers import (
    AdagradState,
    AdamState,
    LearningRate,
    RMSpropState,
    _abs_sq,
    _cast_like,
    _count0,
    _divide,
    _map,
    _real_zeros,
    _sqrt,
    _zeros,
)


def adam_eps_inside(learning_rate: LearningRate = 0.001, b1: float = 0.9, b2: float = 0.999,
                    eps: float = 1e-8) -> GradientTransformation:
    r"""Adam as the slides' update table writes it, with :math:`\epsilon` inside the root.

    .. math:: \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{\hat v_t + \epsilon}}\, \hat m_t

    (:math:`m_t, v_t, \hat m_t, \hat v_t` as in :func:`gdlib.adam`). The paper, the slides'
    eq. 15, optax and PyTorch put :math:`\epsilon` outside. Equals
    ``optax.adam(η, b1, b2, eps=0.0, eps_root=ε)``.

    Example:
        >>> opt = adam_eps_inside(0.1, eps=1e-8)
        >>> updates, _ = opt.update(jnp.array([1e-6]), opt.init(jnp.zeros(1)))
        >>> round(float(updates[0]), 4)  # a tiny gradient: the step is 0.1 / 100, not 0.1
        -0.001
    """
    eta = as_schedule(learning_rate)
    b1 = check_fraction("b1", b1)
    b2 = check_fraction("b2", b2)
    eps = check_nonnegative("eps", eps)

    def init(params):
        return AdamState(_count0(), _zeros(params), _real_zeros(params))

    def update(grads, state, params=None, **extra_args):
        t, lr = state.count + 1.0, eta(state.count)
        m = _map(lambda m, g: b1 * m + (1 - b1) * g, state.mu, grads)
        v = _map(lambda v, g: b2 * v + (1 - b2) * _abs_sq(g), state.nu, grads)
        updates = _map(lambda m, v: -lr * _divide(m / (1 - b1**t),
                                                  _sqrt(v / (1 - b2**t) + eps)), m, v)
        return _cast_like(updates, grads), _cast_like(AdamState(t, m, v), state)

    return GradientTransformation(init, update)


def nadam_ruder(learning_rate: LearningRate = 0.002, b1: float = 0.9, b2: float = 0.999,
                eps: float = 1e-8) -> GradientTransformation:
    r"""Nadam as Ruder's eq. 32 writes it.

    .. math:: \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{\hat v_t} + \epsilon}
              \Big(\beta_1 \hat m_t + \frac{(1-\beta_1)\, g_t}{1-\beta_1^t}\Big),
              \qquad \hat m_t = \frac{m_t}{1-\beta_1^t}

    :func:`gdlib.nadam` (Dozat with a constant momentum, optax) divides the first term by
    :math:`1-\beta_1^{t+1}` instead. No library implements this form.

    Example:
        >>> opt = nadam_ruder(0.1, eps=0.0)
        >>> updates, _ = opt.update(jnp.array([2.0]), opt.init(jnp.zeros(1)))
        >>> round(float(updates[0]), 4)  # -η (0.9·2 + 0.1·2/0.1) / 2; gdlib.nadam: -0.1474
        -0.19
    """
    eta = as_schedule(learning_rate)
    b1 = check_fraction("b1", b1)
    b2 = check_fraction("b2", b2)
    eps = check_nonnegative("eps", eps)

    def init(params):
        return AdamState(_count0(), _zeros(params), _real_zeros(params))

    def update(grads, state, params=None, **extra_args):
        t, lr = state.count + 1.0, eta(state.count)
        m = _map(lambda m, g: b1 * m + (1 - b1) * g, state.mu, grads)
        v = _map(lambda v, g: b2 * v + (1 - b2) * _abs_sq(g), state.nu, grads)
        step = _map(lambda m, g: (b1 * m + (1 - b1) * g) / (1 - b1**t), m, grads)
        updates = _map(lambda s, v: -lr * _divide(s, _sqrt(v / (1 - b2**t)) + eps), step, v)
        return _cast_like(updates, grads), _cast_like(AdamState(t, m, v), state)

    return GradientTransformation(init, update)


class NadamWarmupState(NamedTuple):
    r"""State of :func:`nadam_warmup`: Adam's moments and :math:`\prod_{i \le t} \mu_i`."""

    count: jax.Array
    mu_product: jax.Array
    mu: jax.Array
    nu: jax.Array


def nadam_warmup(learning_rate: LearningRate = 0.002, b1: float = 0.9, b2: float = 0.999,
                 eps: float = 1e-8, momentum_decay: float = 4e-3) -> GradientTransformation:
    r"""Nadam with Dozat's momentum warm-up, as in PyTorch's ``NAdam`` and Keras.

    .. math::
        \mu_t = \beta_1 \big(1 - \tfrac12\, 0.96^{t\psi}\big), \qquad
        P_t = \textstyle\prod_{i \le t} \mu_i,

        \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{\hat v_t} + \epsilon}
        \Big(\frac{\mu_{t+1}\, m_t}{1 - P_t\, \mu_{t+1}} + \frac{(1-\mu_t)\, g_t}{1 - P_t}\Big)

    with :math:`m_t, v_t, \hat v_t` as in :func:`gdlib.adam` (constant :math:`\beta_1` in the
    average) and :math:`\psi` = ``momentum_decay``. The momentum starts at about
    :math:`\beta_1/2` and grows to :math:`\beta_1`; as :math:`\psi \to \infty` this becomes
    :func:`gdlib.nadam`. Equals
    ``torch.optim.NAdam(lr=η, betas=(b1, b2), eps=ε, momentum_decay=ψ)``.

    Example:
        >>> opt = nadam_warmup(0.1, eps=0.0)
        >>> state = opt.init(jnp.zeros(1))
        >>> round(float(state.mu_product), 1)
        1.0
        >>> _, state = opt.update(jnp.array([2.0]), state)
        >>> round(float(state.mu_product), 4)  # μ_1 = 0.9 (1 - 0.5 · 0.96^0.004)
        0.4501
    """
    eta = as_schedule(learning_rate)
    b1 = check_fraction("b1", b1)
    b2 = check_fraction("b2", b2)
    eps = check_nonnegative("eps", eps)
    psi = check_nonnegative("momentum_decay", momentum_decay)

    def schedule(t):
        return b1 * (1 - 0.5 * 0.96 ** (t * psi))

    def init(params):
        dtype = jnp.finfo(jnp.result_type(*jax.tree.leaves(params))).dtype
        return NadamWarmupState(_count0(), jnp.ones([], dtype),
                                _zeros(params), _real_zeros(params))

    def update(grads, state, params=None, **extra_args):
        t, lr = state.count + 1.0, eta(state.count)
        mu_t, mu_next = schedule(t), schedule(t + 1)
        product = state.mu_product * mu_t
        m = _map(lambda m, g: b1 * m + (1 - b1) * g, state.mu, grads)
        v = _map(lambda v, g: b2 * v + (1 - b2) * _abs_sq(g), state.nu, grads)
        step = _map(lambda m, g: mu_next * m / (1 - product * mu_next)
                    + (1 - mu_t) * g / (1 - product), m, grads)
        updates = _map(lambda s, v: -lr * _divide(s, _sqrt(v / (1 - b2**t)) + eps), step, v)
        new_state = NadamWarmupState(t, product, m, v)
        return _cast_like(updates, grads), _cast_like(new_state, state)

    return GradientTransformation(init, update)


def adagrad_eps_outside(learning_rate: LearningRate = 0.01, eps: float = 1e-8
                        ) -> GradientTransformation:
    r"""Adagrad as Duchi et al. and PyTorch write it, :math:`\epsilon` outside the root.

    .. math:: G_t = G_{t-1} + g_t^2, \qquad
              \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{G_t} + \epsilon} \odot g_t

    Equals ``torch.optim.Adagrad(lr=η, eps=ε)`` (whose ``initial_accumulator_value`` is 0).

    Example:
        >>> opt = adagrad_eps_outside(0.5, eps=1.0)
        >>> updates, _ = opt.update(jnp.array([4.0]), opt.init(jnp.zeros(1)))
        >>> round(float(updates[0]), 6)  # -0.5 · 4 / (4 + 1); ε inside: -0.5 · 4 / √17
        -0.4
    """
    eta = as_schedule(learning_rate)
    eps = check_nonnegative("eps", eps)

    def init(params):
        return AdagradState(_count0(), _real_zeros(params))

    def update(grads, state, params=None, **extra_args):
        lr = eta(state.count)
        G = _map(lambda G, g: G + _abs_sq(g), state.sum_sq_grad, grads)
        updates = _map(lambda G, g: -lr * _divide(g, _sqrt(G) + eps), G, grads)
        return _cast_like(updates, grads), _cast_like(AdagradState(state.count + 1, G), state)

    return GradientTransformation(init, update)


def rmsprop_eps_outside(learning_rate: LearningRate = 0.001, decay: float = 0.9,
                        eps: float = 1e-8) -> GradientTransformation:
    r"""RMSprop as PyTorch writes it, :math:`\epsilon` outside the root.

    .. math:: E[g^2]_t = \gamma E[g^2]_{t-1} + (1-\gamma) g_t^2, \qquad
              \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{E[g^2]_t} + \epsilon}\, g_t

    Equals ``torch.optim.RMSprop(lr=η, alpha=γ, eps=ε)`` and
    ``optax.rmsprop(η, decay=γ, eps=ε, eps_in_sqrt=False)``.

    Example:
        >>> opt = rmsprop_eps_outside(0.01, decay=0.9, eps=0.0)
        >>> updates, _ = opt.update(jnp.array([3.0]), opt.init(jnp.zeros(1)))
        >>> round(float(updates[0]), 6)  # with ε = 0 both forms agree: -η / sqrt(0.1)
        -0.031623
    """
    eta = as_schedule(learning_rate)
    decay = check_fraction("decay", decay)
    eps = check_nonnegative("eps", eps)

    def init(params):
        return RMSpropState(_count0(), _real_zeros(params))

    def update(grads, state, params=None, **extra_args):
        lr = eta(state.count)
        Eg2 = _map(lambda E, g: decay * E + (1 - decay) * _abs_sq(g), state.avg_sq_grad, grads)
        updates = _map(lambda E, g: -lr * _divide(g, _sqrt(E) + eps), Eg2, grads)
        return _cast_like(updates, grads), _cast_like(RMSpropState(state.count + 1, Eg2), state)

    return GradientTransformation(init, update)


# Each hyperparameter is one number (a sweep runs several values): the factories are wrapped
# here rather than decorated, so that the code a page shows starts at its `def`.
adam_eps_inside = scalar_hyperparameters(adam_eps_inside)
nadam_ruder = scalar_hyperparameters(nadam_ruder)
nadam_warmup = scalar_hyperparameters(nadam_warmup)
adagrad_eps_outside = scalar_hyperparameters(adagrad_eps_outside)
rmsprop_eps_outside = scalar_hyperparameters(rmsprop_eps_outside)
