r"""Adaptive methods as diagonal preconditioners: what they are invariant to, and how far they step.

Adagrad, RMSprop and Adam are gradient descent with a *diagonal preconditioner* built from the
gradients themselves,

.. math:: \theta_t = \theta_{t-1} - \eta\, P_t^{-1} g_t, \qquad
          P_t = \mathrm{diag}\big(\sqrt{G_t + \epsilon}\big)\ \text{(Adagrad)},

so each coordinate's step is a ratio of that coordinate's gradients. Multiplying every gradient
of coordinate :math:`i` by a constant :math:`c_i > 0` leaves the ratio, and so the iterates,
unchanged (up to :math:`\epsilon`): on a separable loss
:math:`J(\theta) = \sum_i c_i f_i(\theta_i)` the curvature of each coordinate drops out.
Gradient descent's step scales with :math:`c_i` instead. This module has the two tools the book
uses to show it and to bound the steps:

* :func:`adagrad_without_root`: Adagrad with :math:`G_t` in place of :math:`\sqrt{G_t}`, the
  variant the slides dismiss ("without the square root the algorithm performs much worse").
  Its step scales like :math:`1/c_i`: it is no longer invariant.
* :func:`largest_steps`: the largest step :math:`\max_{t,i} |\Delta\theta_{t,i}| / \eta` of
  every run of a sweep, in one ``vmap``-ped call.
* :func:`adam_step_bound`: Kingma and Ba's bound on Adam's step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from gdlib.optim.base import GradientTransformation, apply_updates
from gdlib.optim.hyperparams import as_schedule, check_fraction, check_positive_int, check_range
from gdlib.optim.optimizers import AdagradState
from gdlib.train.runner import checked_grid

PyTree = Any
Loss = Callable[[PyTree], jax.Array]


def adagrad_without_root(learning_rate: float = 0.01, eps: float = 1e-8
                         ) -> GradientTransformation:
    r"""Adagrad without the square root: :math:`\theta_t = \theta_{t-1} - \eta\, g_t / (G_t +
    \epsilon)`, with :math:`G_t = G_{t-1} + g_t^2` and :math:`G_0 = 0`.

    The step of coordinate :math:`i` is :math:`\eta\, g_{t,i} / \sum_{\tau \le t} g_{\tau,i}^2`:
    multiplying the coordinate's gradients by :math:`c` divides it by :math:`c`, so unlike
    Adagrad's it depends on the scale of the loss, and its first step is :math:`\eta / g_1`.

    Example:
        >>> import jax.numpy as jnp
        >>> opt = adagrad_without_root(0.5, eps=0.0)
        >>> updates, state = opt.update(jnp.array([4.0, 0.0]), opt.init(jnp.zeros(2)))
        >>> updates.tolist()  # -η / g on the first step; a zero gradient stays put
        [-0.125, 0.0]
    """
    eta = as_schedule(learning_rate)
    eps = check_range("eps", eps, 0.0)

    def init(params):
        zeros = jax.tree.map(jnp.zeros_like, params)
        return AdagradState(jnp.zeros([], jnp.int32), zeros)

    def update(grads, state, params=None, **extra_args):
        lr = eta(state.count)
        G = jax.tree.map(lambda G, g: G + g**2, state.sum_sq_grad, grads)

        def step(G, g):
            denominator = G + eps
            positive = denominator > 0
            return jnp.where(positive, -lr * g / jnp.where(positive, denominator, 1.0), 0.0)

        updates = jax.tree.map(step, G, grads)
        updates = jax.tree.map(lambda u, g: u.astype(g.dtype), updates, grads)
        return updates, AdagradState(state.count + 1, G)

    return GradientTransformation(init, update)


def adam_step_bound(b1: float, b2: float) -> float:
    r"""Kingma and Ba's bound on Adam's step, in units of :math:`\eta` (their section 2.1).

    .. math:: \frac{|\Delta\theta_t|}{\eta} \le
              \begin{cases} (1-\beta_1)/\sqrt{1-\beta_2}
                  & \text{if } 1-\beta_1 > \sqrt{1-\beta_2},\\
              1 \ (\text{approximately}) & \text{otherwise.} \end{cases}

    The first case is reached when a coordinate's gradient has been zero at every step but the
    current one (the most severe sparsity); in the second, the paper calls :math:`\eta` an
    approximate bound, the usual size of a step.

    Example:
        >>> round(adam_step_bound(0.9, 0.999), 3), adam_step_bound(0.99, 0.999)
        (3.162, 1.0)
    """
    b1, b2 = check_fraction("b1", b1), check_fraction("b2", b2)
    if 1.0 - b1 > math.sqrt(1.0 - b2):
        return (1.0 - b1) / math.sqrt(1.0 - b2)
    return 1.0


def _largest_step(optimizer, loss_fn, params, num_steps, learning_rate):
    grad = jax.grad(loss_fn)

    def step(carry, _):
        params, state, largest = carry
        updates, state = optimizer.update(grad(params), state, params)
        size = max(jnp.max(jnp.abs(u)) for u in jax.tree.leaves(updates))
        new = apply_updates(params, updates)
        finite = jnp.all(jnp.array([jnp.all(jnp.isfinite(p)) for p in jax.tree.leaves(new)]))
        largest = jnp.where(finite, jnp.maximum(largest, size), jnp.nan)
        return (new, state, largest), None

    start = (params, optimizer.init(params), jnp.zeros([], jnp.result_type(
        jax.tree.leaves(params)[0])))
    (_, _, largest), _ = lax.scan(step, start, length=num_steps)
    return largest / learning_rate


@partial(jax.jit, static_argnums=(0, 1, 3))
def _largest_steps(make_optimizer, loss_fn, params, num_steps, hyperparams):
    def one(hp):
        return _largest_step(make_optimizer(**hp), loss_fn, params, num_steps,
                             hp["learning_rate"])

    return jax.vmap(one)(hyperparams)


def largest_steps(make_optimizer: Callable[..., GradientTransformation], loss_fn: Loss,
                  params: PyTree, num_steps: int, **hyperparams: Any) -> jax.Array:
    r"""For every run of a sweep, the largest step in units of its learning rate:
    :math:`\max_{t \le T,\, i} |\theta_{t,i} - \theta_{t-1,i}| / \eta`.

    Hyperparameters are given as in :func:`gdlib.sweep` (numbers shared, arrays zipped) and
    must include ``learning_rate``; a run whose parameters stop being finite gives NaN.

    Example:
        >>> import jax.numpy as jnp, gdlib
        >>> loss = lambda theta: jnp.sum(theta**2)
        >>> steps = largest_steps(gdlib.sgd, loss, jnp.array([1.0]), 200,
        ...                       learning_rate=[0.1, 1.5])
        >>> round(float(steps[0]), 3), bool(jnp.isnan(steps[1]))  # |g_1| = 2; diverged
        (2.0, True)
    """
    num_steps = check_positive_int("num_steps", num_steps)
    if "learning_rate" not in hyperparams:
        raise TypeError("largest_steps needs learning_rate among the hyperparameters")
    grid = checked_grid(make_optimizer, params, hyperparams)
    return _largest_steps(make_optimizer, loss_fn, params, num_steps, grid)


# ----------------------------------------------------------------------------- exact gradients


def _full_batch_curves(optimizer, loss_fn, params, arrays, num_epochs, steps_per_epoch):
    x, y, x_val, y_val = arrays
    value_and_grad = jax.value_and_grad(loss_fn)

    def step(carry, _):
        params, state = carry
        _, grads = value_and_grad(params, x, y)
        updates, state = optimizer.update(grads, state, params)
        return (apply_updates(params, updates), state), None

    def epoch(carry, _):
        carry, _ = lax.scan(step, carry, length=steps_per_epoch)
        return carry, (loss_fn(carry[0], x, y), loss_fn(carry[0], x_val, y_val))

    _, (train, val) = lax.scan(epoch, (params, optimizer.init(params)), length=num_epochs)
    return (jnp.concatenate([loss_fn(params, x, y)[None], train]),
            jnp.concatenate([loss_fn(params, x_val, y_val)[None], val]))


@partial(jax.jit, static_argnums=(0, 1, 2, 5, 6))
def _full_batch_grid(make_optimizer, loss_fn, init_params, arrays, keys, num_epochs,
                     steps_per_epoch, learning_rates):
    def one_seed(key):
        params = init_params(jax.random.split(key)[0])

        def one_rate(lr):
            return _full_batch_curves(make_optimizer(learning_rate=lr), loss_fn, params, arrays,
                                      num_epochs, steps_per_epoch)

        return jax.vmap(one_rate)(learning_rates)

    return jax.vmap(one_seed)(keys)


def compare_full_batch(optimizers: dict[str, Callable[..., GradientTransformation]],
                       loss_fn: Callable[..., jax.Array], init_params: Callable[[jax.Array], Any],
                       data: Any, *, learning_rates: Any, num_epochs: int,
                       steps_per_epoch: int, num_seeds: int = 3,
                       key: jax.Array | None = None) -> list:
    r""":func:`gdlib.train.tuning.compare` with exact gradients: every update uses the whole
    training set, ``steps_per_epoch`` updates per "epoch" (give it the number of mini-batches
    of the run it is compared with, so both make the same number of updates).

    The protocol is the same: the initialization of ``split(key, num_seeds + 1)[0]`` picks each
    optimizer's learning rate (lowest final validation loss among the runs that stayed finite),
    the other seeds' initializations give the reported curves. Exact gradients have no other
    randomness.

    Returns:
        A list of :class:`gdlib.train.tuning.Result`, one per optimizer.

    Example:
        >>> import jax, numpy as np, gdlib
        >>> from gdlib.problems import data, models
        >>> loss = lambda p, x, y: models.mean_squared_error(models.linear(p, x), y)
        >>> [result] = compare_full_batch({"sgd": gdlib.sgd}, loss,
        ...     lambda k: models.init_linear(k, 10), data.diabetes(),
        ...     learning_rates=np.array([0.01, 0.1, 10.0]), num_epochs=3, steps_per_epoch=5)
        >>> result.learning_rate, result.val_curves.shape
        (0.1, (3, 4))
    """
    from gdlib.train.tuning import Result, _best_index

    num_seeds = check_positive_int("num_seeds", num_seeds)
    num_epochs = check_positive_int("num_epochs", num_epochs)
    steps_per_epoch = check_positive_int("steps_per_epoch", steps_per_epoch)
    keys = jax.random.split(jax.random.key(0) if key is None else key, num_seeds + 1)
    arrays = (data.x_train, data.y_train, data.x_val, data.y_val)
    results = []
    for name, make_optimizer in optimizers.items():
        grid = checked_grid(make_optimizer, data.x_train, {"learning_rate": learning_rates})
        train, val = _full_batch_grid(make_optimizer, loss_fn, init_params, arrays, keys,
                                      num_epochs, steps_per_epoch, grid["learning_rate"])
        train = np.asarray(train, dtype=float)  # (seeds, rates, epochs + 1)
        val = np.asarray(val, dtype=float)
        val[~np.isfinite(train[..., -1])] = np.nan
        tuning = val[0, :, -1]
        best = _best_index(tuning, f" for {name}")
        results.append(Result(name, np.asarray(learning_rates, dtype=float), tuning,
                              float(np.asarray(learning_rates)[best]), train[1:, best],
                              val[1:, best]))
    return results
