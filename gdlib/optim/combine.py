"""Compose optimizers: feed the output of one gradient transformation into the next.

``chain(a, b)`` is a :class:`~gdlib.optim.base.GradientTransformation` whose ``update`` runs
``a.update`` on the gradient, then ``b.update`` on what ``a`` returned; its state is the tuple
of the parts' states. This is how a gradient transformation that is not an optimizer by itself
(gradient noise, say) is put in front of any optimizer, and it is ``optax.chain``'s rule, so
the two are interchangeable.
"""

from __future__ import annotations

import inspect
from typing import Any

from gdlib.optim.base import GradientTransformation

PyTree = Any


def chain(*transformations: GradientTransformation) -> GradientTransformation:
    r"""Apply ``transformations`` in order: :math:`u = T_k(\dots T_2(T_1(g)))`.

    Each part gets the previous part's output as its "gradient", its own state, and the
    parameters; optax's extra keyword arguments (``update(..., **extra_args)``) go to every part
    whose ``update`` takes them. Equals ``optax.chain`` for the same parts.

    Example:
        >>> import jax.numpy as jnp, gdlib
        >>> opt = chain(gdlib.sgd(1.0), gdlib.sgd(0.5))  # -(0.5 * -(1.0 * g)) = 0.5 g
        >>> updates, state = opt.update(jnp.array([2.0]), opt.init(jnp.zeros(1)))
        >>> updates.tolist(), len(state)
        ([1.0], 2)
    """
    if not transformations:
        raise ValueError("chain needs at least one gradient transformation, got none")
    for position, part in enumerate(transformations):
        if not (callable(getattr(part, "init", None)) and callable(getattr(part, "update", None))):
            raise TypeError(f"argument {position} of chain must be a GradientTransformation "
                            f"(with init and update), got {part!r}")

    takes_extra_args = [_takes_extra_args(part.update) for part in transformations]

    def init(params):
        return tuple(part.init(params) for part in transformations)

    def update(grads, state, params=None, **extra_args):
        if len(state) != len(transformations):
            raise ValueError(f"chain has {len(transformations)} parts but its state has "
                             f"{len(state)}; build the state with this chain's init")
        new_state = []
        for part, part_state, extra in zip(transformations, state, takes_extra_args,
                                           strict=True):
            grads, part_state = part.update(grads, part_state, params,
                                            **(extra_args if extra else {}))
            new_state.append(part_state)
        return grads, tuple(new_state)

    return GradientTransformation(init, update)


def _takes_extra_args(update: Any) -> bool:
    """Whether ``update`` accepts keyword arguments beyond ``(grads, state, params)``."""
    try:
        parameters = inspect.signature(update).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: pass nothing extra
        return False
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)
