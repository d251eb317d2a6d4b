"""Check a learner's own optimizer against gdlib's, with a message that says what to fix.

An exercise asks for an optimizer in gdlib's shape (``init`` and ``update`` in a
:class:`gdlib.GradientTransformation`). :func:`check` runs it beside gdlib's reference on a
few random problems, feeding both the same gradients, and reports the first step and parameter
where they differ, or the error the learner's code raised, instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gdlib.base import GradientTransformation, apply_updates


class Verdict(NamedTuple):
    """The outcome of :func:`check`: ``passed`` and a message for the learner."""

    passed: bool
    message: str

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message


def _problem(key: jax.Array) -> tuple[dict, Callable]:
    """A random convex quadratic over the pytree ``{"b": (), "w": (3,)}``."""
    key_a, key_c, key_start = jax.random.split(key, 3)
    q = jax.random.normal(key_a, (4, 4))
    a = q @ q.T / 4 + 0.5 * jnp.eye(4)
    c = jax.random.normal(key_c, (4,))
    start = jax.random.normal(key_start, (4,))

    def loss(params):
        theta = jnp.concatenate([params["b"][None], params["w"]])
        return 0.5 * theta @ a @ theta + c @ theta

    return {"b": start[0], "w": start[1:]}, loss


def _name(path) -> str:
    return jax.tree_util.keystr(path).replace("['", "").replace("']", "")


def _first_difference(yours: Any, theirs: Any, rtol: float, atol: float) -> str | None:
    for (path, a), (_, b) in zip(jax.tree_util.tree_flatten_with_path(yours)[0],
                                 jax.tree_util.tree_flatten_with_path(theirs)[0], strict=True):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if a.shape != b.shape:
            return f"parameter {_name(path)} has shape {a.shape} in yours, {b.shape} expected"
        bad = ~np.isclose(a, b, rtol=rtol, atol=atol)
        if bad.any():
            index = np.unravel_index(np.argmax(bad), a.shape) if a.ndim else ()
            where = _name(path) + (f"[{', '.join(map(str, index))}]" if index else "")
            return f"the update of {where} is {a[index]:.6g} in yours but {b[index]:.6g}"
    return None


def check(candidate: Callable[..., GradientTransformation],
          reference: Callable[..., GradientTransformation], *, num_problems: int = 3,
          num_steps: int = 20, rtol: float = 1e-5, atol: float = 1e-7,
          **hyperparams: Any) -> Verdict:
    """Compare ``candidate(**hyperparams)`` with ``reference(**hyperparams)`` step by step.

    Both get the same gradients (computed at the reference's parameters), so a difference
    points at the update rule itself, at the first step where it shows.

    Example:
        >>> import gdlib
        >>> check(gdlib.sgd, gdlib.sgd, learning_rate=0.1)
        Passed: your sgd gives the same updates as gdlib.sgd on 3 random problems, 20 steps each.
        >>> def wrong(learning_rate):
        ...     return gdlib.GradientTransformation(
        ...         lambda params: (),
        ...         lambda grads, state, params=None: (jax.tree.map(lambda g: learning_rate * g,
        ...                                                         grads), state))
        >>> print(check(wrong, gdlib.sgd, learning_rate=0.1))  # doctest: +ELLIPSIS
        Not yet: at step 1 of problem 1, the update of b is 0.0... in yours but -0.0...
    """
    label = f"gdlib.{getattr(reference, '__name__', 'reference')}"
    try:
        mine = candidate(**hyperparams)
        init, update = mine.init, mine.update
    except Exception as error:  # the learner's code: report, do not crash
        return Verdict(False, f"Not yet: building your optimizer raised "
                              f"{type(error).__name__}: {error}")
    ref = reference(**hyperparams)
    for problem in range(1, num_problems + 1):
        params, loss = _problem(jax.random.key(problem))
        try:
            state = init(params)
        except Exception as error:
            return Verdict(False, f"Not yet: init(params) raised {type(error).__name__}: {error}")
        ref_state = ref.init(params)
        for step in range(1, num_steps + 1):
            grads = jax.grad(loss)(params)
            expected, ref_state = ref.update(grads, ref_state, params)
            where = f"at step {step} of problem {problem}"
            try:
                result = update(grads, state, params)
                updates, state = result
            except Exception as error:
                return Verdict(False, f"Not yet: {where}, update raised "
                                      f"{type(error).__name__}: {error}. It must return a pair "
                                      "(updates, new_state).")
            if jax.tree.structure(updates) != jax.tree.structure(expected):
                return Verdict(False, f"Not yet: {where}, your updates are {updates!r}; they "
                                      "must have the structure of the parameters "
                                      "(here a dict with 'b' and 'w').")
            difference = _first_difference(updates, expected, rtol, atol)
            if difference:
                return Verdict(False, f"Not yet: {where}, {difference} in {label}.")
            params = apply_updates(params, expected)
    name = getattr(candidate, "__name__", "optimizer")
    return Verdict(True, f"Passed: your {name} gives the same updates as {label} on "
                         f"{num_problems} random problems, {num_steps} steps each.")
