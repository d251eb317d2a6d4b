r"""Large batches: the linear scaling rule with warm-up (Goyal et al. 2017), run for many seeds.

When the batch grows :math:`k`-fold, Goyal et al. multiply the learning rate by :math:`k`: one
step of rate :math:`k\eta` on a batch of :math:`kb` moves the parameters about as far as
:math:`k` steps of rate :math:`\eta` on batches of :math:`b`, as long as the gradient changes
little over those :math:`k` steps. Early in training it changes fast, so the rate starts at
:math:`\eta` and rises linearly to :math:`k\eta` over the first epochs (*gradual warm-up*):

.. math:: \eta_t = \eta + (k\eta - \eta)\,\min(1, t / T_\text{warm}).

:func:`sgd_runs` trains SGD with a given rate for every step, for many runs at once (one
``vmap`` over runs of one ``lax.scan`` over steps): seeds, rates and warm-ups in one call. The
batch is not split over devices here: synchronous data parallelism computes exactly the same
updates (:mod:`gdlib.parallel.data_parallel`), so the rule is a matter of batch size alone.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from gdlib.optim.hyperparams import check_nonnegative, check_positive_int

PyTree = Any


def warmup_rates(base: float, peak: float, warmup_steps: int, num_steps: int) -> np.ndarray:
    r"""The rate of every step: from ``base`` linearly to ``peak`` over ``warmup_steps``.

    ``warmup_steps = 0`` gives ``peak`` from the first step.

    Example:
        >>> warmup_rates(0.1, 0.4, 3, 5).round(6).tolist()
        [0.1, 0.2, 0.3, 0.4, 0.4]
        >>> warmup_rates(0.1, 0.4, 0, 2).tolist()
        [0.4, 0.4]
    """
    check_nonnegative("base", base)
    check_nonnegative("peak", peak)
    check_nonnegative("warmup_steps", warmup_steps)
    num_steps = check_positive_int("num_steps", num_steps)
    if warmup_steps == 0:
        return np.full(num_steps, float(peak))
    fraction = np.minimum(1.0, np.arange(num_steps) / warmup_steps)
    return base + (peak - base) * fraction


@partial(jax.jit, static_argnums=0)
def sgd_runs(loss_fn: Callable[[PyTree, jax.Array, jax.Array], jax.Array], params: PyTree,
             x_batches: jax.Array, y_batches: jax.Array, rates: jax.Array) -> PyTree:
    r"""SGD, :math:`\theta_t = \theta_{t-1} - \eta_t \nabla L_{B_t}(\theta_{t-1})`, for many runs.

    Args:
        loss_fn: ``loss_fn(params, x, y)``, the mean loss on a batch.
        params: the initial parameters, shared by every run.
        x_batches: ``(runs, steps, batch, ...)``, each run's batches.
        y_batches: ``(runs, steps, batch, ...)``.
        rates: ``(runs, steps)``, each run's learning rate at every step.

    Returns:
        The final parameters of every run (leading axis ``runs``).

    Example:
        >>> import jax.numpy as jnp
        >>> loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
        >>> x = jnp.ones((2, 50, 4, 1)); y = 3 * jnp.ones((2, 50, 4))
        >>> w = sgd_runs(loss, jnp.zeros(1), x, y, jnp.array([[0.1] * 50, [0.0] * 50]))
        >>> [round(float(v), 4) for v in w[:, 0]]
        [3.0, 0.0]
    """
    def one(xs, ys, etas):
        def step(theta, batch):
            bx, by, eta = batch
            grads = jax.grad(loss_fn)(theta, bx, by)
            return jax.tree.map(lambda p, g: p - eta * g, theta, grads), None

        return lax.scan(step, params, (xs, ys, etas))[0]

    return jax.vmap(one)(x_batches, y_batches, jnp.asarray(rates))
