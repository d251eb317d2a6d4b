r"""Delay-tolerant SGD: AdaRevision (McMahan & Streeter 2014), Adagrad that revises for delays.

In asynchronous training a gradient :math:`g` arrives at the server computed on parameters that
are several updates old. Plain Adagrad ignores that. AdaRevision keeps, per coordinate, the sum
of all gradients applied, :math:`z`, and remembers for each worker the value of :math:`z` when it
read the parameters. When that worker's gradient arrives, the *backlog*
:math:`g^{bck} = z - z^{\text{read}}` is the sum of the gradients it did not see, and
(per coordinate, all state starting at 0):

.. math::
    \eta_{\text{old}} &= \frac{\alpha}{\beta + \sqrt{z''}}, \qquad
    z \leftarrow z + g, \qquad z' \leftarrow z' + g^2 + 2 g\, g^{bck}, \qquad
    z'' \leftarrow \max(z'', z'), \\
    \eta &= \frac{\alpha}{\beta + \sqrt{z''}}, \qquad
    x \leftarrow x - \eta\, g + (\eta_{\text{old}} - \eta)\, g^{bck}.

:math:`g^2 + 2 g\,g^{bck} = (g^{bck} + g)^2 - (g^{bck})^2` is what Adagrad's sum of squares
would have grown by had :math:`g` been applied together with the gradients it missed: a delayed
gradient that *agrees* with its backlog shrinks the learning rate more than Adagrad would,
one that cancels it less. The last term *revises* the backlog gradients, already applied with
the larger rate :math:`\eta_{\text{old}}`, to the new rate. With no delay
(:math:`g^{bck} = 0`) this is exactly Adagrad with :math:`\epsilon = \beta` outside the root,
``torch.optim.Adagrad(lr=α, eps=β)``. (The update rule is the one of the delay-tolerant Adagrad
``DTAdaGradHandle2`` in dmlc/wormhole, a parameter-server library, without its L1 penalty.)

:func:`adarevision` is a :class:`gdlib.parallel.downpour.Server`: run it with
:func:`gdlib.parallel.downpour.simulate` or :func:`gdlib.parallel.downpour.sweep` next to
``downpour.adagrad_server`` and ``downpour.sgd_server``, with delays from a schedule. Its
bookkeeping is exact when every worker fetches and pushes after every step
(``n_fetch = n_push = 1``, the paper's setting); a push that sums several steps is treated as
one gradient computed at the last fetch.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gdlib.optim.hyperparams import check_nonnegative
from gdlib.parallel.downpour import Server

PyTree = Any


class AdaRevisionState(NamedTuple):
    """The server's state, per coordinate: :math:`x, z, z', z''`."""

    params: PyTree
    grad_sum: PyTree
    z_prime: PyTree
    z_max: PyTree


def _rate(alpha: Any, beta: Any, z_max: jax.Array) -> jax.Array:
    r""":math:`\alpha / (\beta + \sqrt{z''})`, and 0 where the denominator is 0."""
    denominator = beta + jnp.sqrt(z_max)
    positive = denominator > 0
    return jnp.where(positive, alpha / jnp.where(positive, denominator, 1.0), 0.0)


def adarevision(learning_rate: Any = 0.1, beta: Any = 0.0) -> Server:
    r"""The AdaRevision server with :math:`\alpha` = ``learning_rate`` and :math:`\beta` = ``beta``.

    A read's token is :math:`z` at the time of the read, :math:`z^{\text{read}}`; the
    reference implementation keeps it on the server, one per worker, which is the same.

    Example:
        >>> import jax.numpy as jnp
        >>> server = adarevision(1.0)
        >>> state = server.init(jnp.zeros(1))
        >>> _, token_0 = server.read(state)                        # worker 0 reads
        >>> _, token_1 = server.read(state)                        # worker 1 reads the same
        >>> state = server.push(state, jnp.array([2.0]), token_0)  # no backlog: Adagrad
        >>> state.params.tolist(), state.z_max.tolist()
        ([-1.0], [4.0])
        >>> state = server.push(state, jnp.array([2.0]), token_1)  # backlog 2: z' = 4 + 4 + 8
        >>> state.params.tolist(), state.z_max.tolist()             # -1 - 0.5 + (0.5 - 0.25)·2
        ([-1.0], [16.0])
    """
    alpha = check_nonnegative("learning_rate", learning_rate)
    beta = check_nonnegative("beta", beta)

    def init(params):
        zeros = jax.tree.map(jnp.zeros_like, params)
        return AdaRevisionState(params, zeros, zeros, zeros)

    def read(state):
        return state.params, state.grad_sum

    def push(state, grads, grad_sum_at_read):
        def coordinate(x, z, z1, z2, z_read, g):
            backlog = z - z_read
            eta_old = _rate(alpha, beta, z2)
            z1 = z1 + g**2 + 2 * g * backlog
            z2 = jnp.maximum(z2, z1)
            eta = _rate(alpha, beta, z2)
            x = x - eta * g + (eta_old - eta) * backlog
            return AdaRevisionState(x.astype(g.dtype), z + g, z1, z2)

        new = jax.tree.map(coordinate, state.params, state.grad_sum, state.z_prime,
                           state.z_max, grad_sum_at_read, grads)
        leaves = jax.tree.leaves(new, is_leaf=lambda n: isinstance(n, AdaRevisionState))
        treedef = jax.tree.structure(grads)
        return AdaRevisionState(*(treedef.unflatten([leaf[i] for leaf in leaves])
                                  for i in range(4)))

    return Server(init, read, push, lambda state: state.params)
