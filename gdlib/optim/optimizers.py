r"""The eight optimizers of Ruder's overview, plus plain SGD, each one screen long.

Every factory checks its hyperparameters, then returns a :class:`GradientTransformation`:
``state = opt.init(params)`` and ``updates, state = opt.update(grads, state, params)``; the
parameters move by ``apply_updates(params, updates)``. Notation follows the book: step
:math:`t = 1, 2, \dots`, gradient :math:`g_t = \nabla J(\theta_{t-1})`, learning rate
:math:`\eta_t` = ``learning_rate(t - 1)`` when a schedule is given (schedules count completed
updates, from 0, as in optax). All arithmetic is element-wise over every leaf of the pytree.

Where the slides, the papers, optax and PyTorch disagree, each docstring says which form is
implemented and which oracle it equals (tested to 1e-10 in float64). A ratio whose denominator
is exactly zero can only arise for a coordinate whose gradients have all been zero; such a
coordinate does not move (0/0 := 0, as in ``optax.scale_by_rss``), so ``eps=0`` never makes a
silent NaN; the square roots have a finite derivative at 0 as well, so that a gradient *through*
the optimizer (a meta-gradient with respect to the learning rate or :math:`\theta_0`) is no NaN
either.

Parameters may be complex, as in optax: second moments average :math:`|g|^2 = g \bar g`, so they
stay real, and the update points along :math:`g` (pass the conjugate of JAX's gradient, as
``optax`` does, to descend). Every ``update`` takes optax's extra keyword arguments
(``update(grads, state, params, **extra_args)``) and ignores them. Each hyperparameter is one
number (:func:`~gdlib.optim.hyperparams.scalar_hyperparameters`); sweeps run several.

Two details keep the numbers the same everywhere. The step :math:`t` of the Adam family is a
float (``state.count + 1.0``): jnp computes ``b ** t`` for a concrete *integer* ``t`` by repeated
multiplication but for a traced one through exp and log, so with an integer ``t`` float32 Adam's
and Nadam's bias corrections :math:`1 - \beta^t` (and so their updates) differed by 1e-5
(relative) between eager and jitted calls; with a float ``t`` both take the same path. And the
momentum update negates with ``-1.0 * v`` (:func:`_negative` says why).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gdlib.optim.base import GradientTransformation
from gdlib.optim.hyperparams import (
    Schedule,
    as_schedule,
    check_fraction,
    check_nonnegative,
    check_range,
    scalar_hyperparameters,
)

PyTree = Any
LearningRate = float | Schedule


# ----------------------------------------------------------------------------- helpers


def _zeros(params: PyTree) -> PyTree:
    return jax.tree.map(jnp.zeros_like, params)


def _real_zeros(params: PyTree) -> PyTree:
    """Zeros for a second moment: real even where the parameters are complex."""
    return jax.tree.map(lambda p: jnp.real(jnp.zeros_like(p)), params)


def _abs_sq(g: jax.Array) -> jax.Array:
    r""":math:`|g|^2`: ``g * g`` for real ``g``, :math:`g \bar g` (real) for complex ``g``."""
    return jnp.real(g * jnp.conj(g)) if jnp.iscomplexobj(g) else g * g


@jax.custom_jvp
def _sqrt(x: jax.Array) -> jax.Array:
    """``jnp.sqrt(x)`` whose derivative at ``x = 0`` is 0 instead of infinity.

    An accumulator that stays exactly 0 (a coordinate whose gradient is always 0) does not
    depend on anything, so a gradient through the optimizer must see a zero derivative there;
    ``jnp.sqrt``'s infinite one, times that zero, would make the whole gradient NaN. The value
    is ``jnp.sqrt``'s, bit for bit.
    """
    return jnp.sqrt(x)


@_sqrt.defjvp
def _sqrt_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    root = jnp.sqrt(x)
    positive = x > 0
    return root, jnp.where(positive, dx / (2 * jnp.where(positive, root, 1)), 0)


def _negative(tree: PyTree) -> PyTree:
    """``-tree``, written ``-1.0 * tree``: the same numbers, but XLA:CPU compiles
    ``apply_updates``'s ``p + (-1.0 * v)`` into a faster loop than ``p - v`` (benchmarks/step.py
    measured momentum at 1.2-1.35x optax's time with ``-v``)."""
    return _map(lambda x: -1.0 * x, tree)


def _map(fn: Callable, *trees: PyTree) -> PyTree:
    return jax.tree.map(fn, *trees)


def _cast_like(tree: PyTree, like: PyTree) -> PyTree:
    """Keep dtypes stable (a float64 schedule must not promote float32 parameters)."""
    return jax.tree.map(lambda x, ref: jnp.asarray(x).astype(jnp.result_type(ref)), tree, like)


def _divide(numerator: jax.Array, denominator: jax.Array) -> jax.Array:
    """``numerator / denominator``, and 0 where the denominator is exactly 0."""
    positive = denominator > 0
    return jnp.where(positive, numerator / jnp.where(positive, denominator, 1), 0)


class CountState(NamedTuple):
    """State of :func:`sgd`: the number of updates done."""

    count: jax.Array


class MomentumState(NamedTuple):
    """State of :func:`momentum` and :func:`nesterov`: :math:`v_t`."""

    count: jax.Array
    velocity: PyTree


class AdagradState(NamedTuple):
    """State of :func:`adagrad`: :math:`G_t`, the running sum of squared gradients."""

    count: jax.Array
    sum_sq_grad: PyTree


class AdadeltaState(NamedTuple):
    r"""State of :func:`adadelta`: :math:`E[g^2]_t` and :math:`E[\Delta\theta^2]_t`."""

    count: jax.Array
    avg_sq_grad: PyTree
    avg_sq_delta: PyTree


class RMSpropState(NamedTuple):
    """State of :func:`rmsprop`: :math:`E[g^2]_t`."""

    count: jax.Array
    avg_sq_grad: PyTree


class AdamState(NamedTuple):
    """State of :func:`adam` and :func:`nadam`: moments :math:`m_t` and :math:`v_t`."""

    count: jax.Array
    mu: PyTree
    nu: PyTree


class AdamaxState(NamedTuple):
    r"""State of :func:`adamax`: :math:`m_t` and the infinity-norm moment :math:`u_t`."""

    count: jax.Array
    mu: PyTree
    u: PyTree


def _count0() -> jax.Array:
    return jnp.zeros([], jnp.int32)


# ----------------------------------------------------------------------------- optimizers


def sgd(learning_rate: LearningRate = 0.01) -> GradientTransformation:
    r"""Gradient descent: :math:`\theta_t = \theta_{t-1} - \eta\, g_t`.

    Batch, stochastic and mini-batch gradient descent differ only in the data :math:`g_t` is
    averaged over. Equals ``optax.sgd(η)`` and ``torch.optim.SGD(lr=η)``.

    Example:
        >>> import jax.numpy as jnp
        >>> from gdlib import apply_updates
        >>> opt = sgd(0.1)
        >>> theta = jnp.array([1.0, -2.0])
        >>> updates, state = opt.update(2 * theta, opt.init(theta))  # the gradient of |θ|²
        >>> [round(x, 6) for x in apply_updates(theta, updates).tolist()]
        [0.8, -1.6]
    """
    eta = as_schedule(learning_rate)

    def init(params):
        return CountState(_count0())

    def update(grads, state, params=None, **extra_args):
        lr = eta(state.count)
        updates = _map(lambda g: -lr * g, grads)
        return _cast_like(updates, grads), CountState(state.count + 1)

    return GradientTransformation(init, update)


def momentum(learning_rate: LearningRate = 0.01, momentum: float = 0.9) -> GradientTransformation:
    r"""Momentum: Polyak's heavy ball (1964) in the form of Qian (1999) and Ruder eq. 4, with the
    learning rate inside the velocity.

    .. math:: v_t = \gamma v_{t-1} + \eta\, g_t, \qquad \theta_t = \theta_{t-1} - v_t

    with :math:`\gamma` = ``momentum`` and :math:`v_0 = 0`. With a constant learning rate this
    equals ``optax.sgd(η, momentum=γ)`` and ``torch.optim.SGD(lr=η, momentum=γ)``, which keep
    :math:`\eta` outside a buffer :math:`b_t = \gamma b_{t-1} + g_t` (:math:`v_t = \eta b_t`).
    With a *schedule* the two forms differ: here a past velocity keeps the rate it was made
    with; there it is rescaled by the current rate.

    Example:
        >>> import jax.numpy as jnp
        >>> opt = momentum(0.1, momentum=0.9)
        >>> state = opt.init(jnp.zeros(1))
        >>> for _ in range(2):  # a constant gradient of 1: v = 0.1, then 0.9 * 0.1 + 0.1
        ...     updates, state = opt.update(jnp.ones(1), state)
        >>> round(float(updates[0]), 6)
        -0.19
    """
    eta = as_schedule(learning_rate)
    gamma = check_fraction("momentum", momentum)

    def init(params):
        return MomentumState(_count0(), _zeros(params))

    def update(grads, state, params=None, **extra_args):
        lr = eta(state.count)
        v = _map(lambda v, g: gamma * v + lr * g, state.velocity, grads)
        updates = _negative(v)
        new_state = MomentumState(state.count + 1, v)
        return _cast_like(updates, grads), _cast_like(new_state, state)

    return GradientTransformation(init, update)


def nesterov(learning_rate: LearningRate = 0.01, momentum: float = 0.9) -> GradientTransformation:
    r"""Nesterov accelerated gradient (Nesterov 1983; Ruder eq. 5) in its practical form.

    The slides evaluate the gradient at the look-ahead point :math:`\theta - \gamma v_{t-1}`:

    .. math:: v_t = \gamma v_{t-1} + \eta \nabla J(\theta_{t-1} - \gamma v_{t-1}),
              \qquad \theta_t = \theta_{t-1} - v_t.

    An optimizer only sees the gradient at its own parameters, so this one tracks the
    look-ahead point itself, :math:`\phi_t = \theta_t - \gamma v_t` (Bengio et al. 2012):

    .. math:: v_t = \gamma v_{t-1} + \eta\, \nabla J(\phi_{t-1}), \qquad
              \phi_t = \phi_{t-1} - (\gamma v_t + \eta \nabla J(\phi_{t-1})).

    Both produce the same iterates after that change of variables (see
    :func:`gdlib.train.runner.run_nesterov_lookahead`). With a constant learning rate this equals
    ``optax.sgd(η, momentum=γ, nesterov=True)`` and ``torch.optim.SGD(..., nesterov=True)``.

    Example:
        >>> import jax.numpy as jnp
        >>> opt = nesterov(0.1, momentum=0.9)
        >>> updates, state = opt.update(jnp.ones(1), opt.init(jnp.zeros(1)))
        >>> round(float(updates[0]), 6)  # -(0.9 * 0.1 + 0.1)
        -0.19
    """
    eta = as_schedule(learning_rate)
    gamma = check_fraction("momentum", momentum)

    def init(params):
        return MomentumState(_count0(), _zeros(params))

    def update(grads, state, params=None, **extra_args):
        lr = eta(state.count)
        v = _map(lambda v, g: gamma * v + lr * g, state.velocity, grads)
        updates = _map(lambda v, g: -(gamma * v + lr * g), v, grads)
        new_state = MomentumState(state.count + 1, v)
        return _cast_like(updates, grads), _cast_like(new_state, state)

    return GradientTransformation(init, update)


def adagrad(learning_rate: LearningRate = 0.01, eps: float = 1e-8) -> GradientTransformation:
    r"""Adagrad (Duchi et al. 2011; Ruder eq. 9): a learning rate per parameter.

    .. math:: G_t = G_{t-1} + g_t^2, \qquad
              \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{G_t + \epsilon}} \odot g_t

    with :math:`G_0 = 0` and :math:`\epsilon` inside the root, as in the slides. Equals
    ``optax.adagrad(η, initial_accumulator_value=0.0, eps=ε)`` (optax's defaults, 0.1 and
    1e-7, are TensorFlow's and differ). Duchi et al. and ``torch.optim.Adagrad`` put
    :math:`\epsilon` outside the root, :math:`\eta/(\sqrt{G_t} + \epsilon)`.

    Example:
        >>> import jax.numpy as jnp
        >>> opt = adagrad(0.5, eps=0.0)
        >>> updates, state = opt.update(jnp.array([4.0, 0.0]), opt.init(jnp.zeros(2)))
        >>> updates.tolist() == [-0.5, 0.0]  # a first step has size η; a zero gradient stays put
        True
    """
    eta = as_schedule(learning_rate)
    eps = check_nonnegative("eps", eps)

    def init(params):
        return AdagradState(_count0(), _real_zeros(params))

    def update(grads, state, params=None, **extra_args):
        lr = eta(state.count)
        G = _map(lambda G, g: G + _abs_sq(g), state.sum_sq_grad, grads)
        updates = _map(lambda G, g: -lr * _divide(g, _sqrt(G + eps)), G, grads)
        new_state = AdagradState(state.count + 1, G)
        return _cast_like(updates, grads), _cast_like(new_state, state)

    return GradientTransformation(init, update)


def adadelta(rho: float = 0.95, eps: float = 1e-6, learning_rate: LearningRate = 1.0
             ) -> GradientTransformation:
    r"""Adadelta (Zeiler 2012; Ruder eqs. 10-17): no learning rate to choose.

    .. math::
        E[g^2]_t = \rho E[g^2]_{t-1} + (1-\rho) g_t^2, \qquad
        \Delta\theta_t = -\frac{\mathrm{RMS}[\Delta\theta]_{t-1}}{\mathrm{RMS}[g]_t}\, g_t,

        E[\Delta\theta^2]_t = \rho E[\Delta\theta^2]_{t-1} + (1-\rho)\Delta\theta_t^2, \qquad
        \theta_t = \theta_{t-1} + \eta\, \Delta\theta_t

    with :math:`\mathrm{RMS}[x]_t = \sqrt{E[x^2]_t + \epsilon}`, both averages starting at 0
    (Zeiler's Algorithm 1, :math:`\eta = 1`; the slides call :math:`\rho` "γ" and give 0.9;
    Zeiler's experiments use ρ = 0.95, ε = 1e-6, the defaults here). ``learning_rate`` scales
    the applied step only, as in PyTorch; :math:`E[\Delta\theta^2]` keeps the unscaled step.
    Equals ``optax.adadelta(η, rho=ρ, eps=ε)`` and ``torch.optim.Adadelta(lr=η, rho=ρ, eps=ε)``
    (always pass optax a learning rate: ``optax.adadelta()`` with none climbs the loss).
    ``eps`` must be > 0, or :math:`\mathrm{RMS}[\Delta\theta]_0 = 0` and nothing ever moves.

    Example:
        >>> import jax.numpy as jnp
        >>> opt = adadelta(rho=0.9, eps=1e-6)
        >>> updates, state = opt.update(jnp.array([100.0]), opt.init(jnp.zeros(1)))
        >>> round(float(updates[0]), 6)  # ≈ -sqrt(ε / (1 - ρ)), whatever the gradient
        -0.003162
    """
    rho = check_fraction("rho", rho)
    eps = check_range("eps", eps, 0.0, low_open=True)
    eta = as_schedule(learning_rate)

    def init(params):
        return AdadeltaState(_count0(), _real_zeros(params), _real_zeros(params))

    def update(grads, state, params=None, **extra_args):
        lr = eta(state.count)
        Eg2 = _map(lambda E, g: rho * E + (1 - rho) * _abs_sq(g), state.avg_sq_grad, grads)
        delta = _map(lambda Ed, E, g: -_sqrt(Ed + eps) / _sqrt(E + eps) * g,
                     state.avg_sq_delta, Eg2, grads)
        Ed2 = _map(lambda Ed, d: rho * Ed + (1 - rho) * _abs_sq(d), state.avg_sq_delta, delta)
        updates = _map(lambda d: lr * d, delta)
        new_state = AdadeltaState(state.count + 1, Eg2, Ed2)
        return _cast_like(updates, grads), _cast_like(new_state, state)

    return GradientTransformation(init, update)


def rmsprop(learning_rate: LearningRate = 0.001, decay: float = 0.9, eps: float = 1e-8
            ) -> GradientTransformation:
    r"""RMSprop (Hinton, lecture 6e; Ruder eq. 18).

    .. math:: E[g^2]_t = \rho E[g^2]_{t-1} + (1-\rho) g_t^2, \qquad
              \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{E[g^2]_t + \epsilon}}\, g_t

    with :math:`\rho` = ``decay`` (the slides write :math:`\gamma`) and :math:`E[g^2]_0 = 0`.
    Hinton's slide gives only the 0.9/0.1 average; :math:`\epsilon` inside the root and
    η = 0.001 are Ruder's. Equals ``optax.rmsprop(η, decay=ρ, eps=ε)``;
    ``torch.optim.RMSprop`` puts :math:`\epsilon` outside the root (and defaults to
    ``alpha=0.99``).

    Example:
        >>> import jax.numpy as jnp
        >>> opt = rmsprop(0.01, decay=0.9, eps=0.0)
        >>> updates, state = opt.update(jnp.array([3.0]), opt.init(jnp.zeros(1)))
        >>> round(float(updates[0]), 6)  # -η g / sqrt(0.1 g²) = -η / sqrt(0.1)
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
        updates = _map(lambda E, g: -lr * _divide(g, _sqrt(E + eps)), Eg2, grads)
        new_state = RMSpropState(state.count + 1, Eg2)
        return _cast_like(updates, grads), _cast_like(new_state, state)

    return GradientTransformation(init, update)


def adam(learning_rate: LearningRate = 0.001, b1: float = 0.9, b2: float = 0.999,
         eps: float = 1e-8) -> GradientTransformation:
    r"""Adam (Kingma & Ba 2015, Algorithm 1; Ruder eqs. 19-21).

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
        \hat m_t = \frac{m_t}{1-\beta_1^t}, \quad \hat v_t = \frac{v_t}{1-\beta_2^t},

        \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{\hat v_t} + \epsilon}\, \hat m_t

    :math:`\epsilon` sits outside the root, as in the paper and Ruder's eq. 21 (the slides'
    summary table puts it inside). Equals ``optax.adam(η, b1, b2, eps)`` and
    ``torch.optim.Adam(lr=η, betas=(b1, b2), eps=eps)``.

    Example:
        >>> import jax.numpy as jnp
        >>> opt = adam(0.1, eps=0.0)
        >>> updates, state = opt.update(jnp.array([-5.0]), opt.init(jnp.zeros(1)))
        >>> round(float(updates[0]), 4)  # the first step has size η: m̂ = g, sqrt(v̂) = |g|
        0.1
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
                                                  _sqrt(v / (1 - b2**t)) + eps), m, v)
        return _cast_like(updates, grads), _cast_like(AdamState(t, m, v), state)

    return GradientTransformation(init, update)


def adamax(learning_rate: LearningRate = 0.002, b1: float = 0.9, b2: float = 0.999,
           eps: float = 1e-8) -> GradientTransformation:
    r"""AdaMax (Kingma & Ba 2015, Algorithm 2; Ruder eqs. 22-25): Adam with the ∞-norm.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        u_t = \max(\beta_2\, u_{t-1},\ |g_t| + \epsilon), \qquad
        \theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\, \frac{m_t}{u_t}

    with :math:`u_0 = 0`. Ruder's eq. 24 writes :math:`\beta_2 v_{t-1}` where :math:`u_{t-1}` is
    meant. The paper has no :math:`\epsilon`; like optax and PyTorch it is added to
    :math:`|g_t|` inside the max (``eps=0`` gives the paper's rule). Equals
    ``optax.adamax(η, b1, b2, eps)`` and ``torch.optim.Adamax(lr=η, betas=(b1, b2), eps=eps)``.

    Example:
        >>> import jax.numpy as jnp
        >>> opt = adamax(0.002, eps=0.0)
        >>> updates, state = opt.update(jnp.array([3.0]), opt.init(jnp.zeros(1)))
        >>> round(float(updates[0]), 6)  # first step: -η m̂/u = -η g/|g|
        -0.002
    """
    eta = as_schedule(learning_rate)
    b1 = check_fraction("b1", b1)
    b2 = check_fraction("b2", b2)
    eps = check_nonnegative("eps", eps)

    def init(params):
        return AdamaxState(_count0(), _zeros(params), _real_zeros(params))

    def update(grads, state, params=None, **extra_args):
        t, lr = state.count + 1.0, eta(state.count)
        m = _map(lambda m, g: b1 * m + (1 - b1) * g, state.mu, grads)
        u = _map(lambda u, g: jnp.maximum(b2 * u, jnp.abs(g) + eps), state.u, grads)
        updates = _map(lambda m, u: -lr / (1 - b1**t) * _divide(m, u), m, u)
        return _cast_like(updates, grads), _cast_like(AdamaxState(t, m, u), state)

    return GradientTransformation(init, update)


def nadam(learning_rate: LearningRate = 0.002, b1: float = 0.9, b2: float = 0.999,
          eps: float = 1e-8) -> GradientTransformation:
    r"""Nadam (Dozat 2016; Ruder eqs. 26-32): Adam with a Nesterov look-ahead momentum.

    .. math::
        m_t, v_t \text{ as in Adam}, \qquad
        \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{\hat v_t} + \epsilon}
        \Big(\frac{\beta_1 m_t}{1-\beta_1^{t+1}} + \frac{(1-\beta_1)\, g_t}{1-\beta_1^t}\Big)

    This is Dozat's rule with a constant momentum :math:`\mu_t = \beta_1`, as in optax. Ruder's
    eq. 32 writes :math:`\beta_1 \hat m_t = \beta_1 m_t / (1-\beta_1^t)` in the first term (a
    few per cent different early on); PyTorch's ``NAdam`` warms the momentum up with Dozat's
    schedule :math:`\mu_t = \beta_1(1 - 0.5 \cdot 0.96^{t\psi})`. Equals
    ``optax.nadam(η, b1, b2, eps)`` and
    ``torch.optim.NAdam(lr=η, betas=(b1, b2), eps=eps, momentum_decay=float("inf"))``.

    Example:
        >>> import jax.numpy as jnp
        >>> opt = nadam(0.1, eps=0.0)
        >>> updates, state = opt.update(jnp.array([2.0]), opt.init(jnp.zeros(1)))
        >>> round(float(updates[0]), 4)  # -η (0.9·0.1·2/(1-0.81) + 0.1·2/0.1) / 2
        -0.1474
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
        step = _map(lambda m, g: b1 * m / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1**t),
                    m, grads)
        updates = _map(lambda s, v: -lr * _divide(s, _sqrt(v / (1 - b2**t)) + eps), step, v)
        return _cast_like(updates, grads), _cast_like(AdamState(t, m, v), state)

    return GradientTransformation(init, update)


# Each hyperparameter is one number (a sweep runs several values): the factories are wrapped
# here rather than decorated, so that the code a page shows starts at its `def`.
sgd = scalar_hyperparameters(sgd)
momentum = scalar_hyperparameters(momentum)
nesterov = scalar_hyperparameters(nesterov)
adagrad = scalar_hyperparameters(adagrad)
adadelta = scalar_hyperparameters(adadelta)
rmsprop = scalar_hyperparameters(rmsprop)
adam = scalar_hyperparameters(adam)
adamax = scalar_hyperparameters(adamax)
nadam = scalar_hyperparameters(nadam)


#: Every optimizer by name, in the order of the slides.
BY_NAME: dict[str, Callable[..., GradientTransformation]] = {
    "sgd": sgd,
    "momentum": momentum,
    "nesterov": nesterov,
    "adagrad": adagrad,
    "adadelta": adadelta,
    "rmsprop": rmsprop,
    "adam": adam,
    "adamax": adamax,
    "nadam": nadam,
}
