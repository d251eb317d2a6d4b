"""Compile quickly the programs that run once: most of the book's experiments.

A chapter's experiment is typically one jitted call that trains a grid of runs for a fraction
of a second, but XLA spends seconds optimizing it first: on the CPU, training a small MLP for
13 learning rates x 4 seeds compiles for about 11 s and then runs for under a second. XLA's CPU
backend can be told to optimize less (``xla_backend_optimization_level=0`` and
``xla_llvm_disable_expensive_passes``): the same program then compiles about five times faster,
gives the same numbers to float32 rounding, and runs somewhat slower, which does not matter for
a program that runs once. :func:`quick_jit` is ``jax.jit`` with those options on the CPU and
plain ``jax.jit`` elsewhere (a GPU's compiler is left alone).

Use it for one-shot programs (tuning, a sweep that a chapter runs once); keep ``jax.jit`` for
steps that run many times (an optimizer step, a slider's sweep), where optimized code pays off.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax

#: XLA options for a program that runs once, on the CPU backend.
QUICK_CPU_OPTIONS: dict[str, Any] = {"xla_backend_optimization_level": 0,
                                     "xla_llvm_disable_expensive_passes": True}


def quick_jit(fun: Callable, **jit_kwargs: Any) -> Callable:
    """``jax.jit(fun, **jit_kwargs)``, compiled with :data:`QUICK_CPU_OPTIONS` on the CPU.

    The backend is looked up at the first call (and again if the default backend changes),
    so importing gdlib does not initialize JAX.

    Example:
        >>> import jax.numpy as jnp
        >>> @quick_jit
        ... def total(x):
        ...     return jnp.sum(x**2)
        >>> float(total(jnp.arange(4.0)))
        14.0
    """
    compiled: dict[str, Callable] = {}

    @functools.wraps(fun)
    def call(*args: Any, **kwargs: Any) -> Any:
        backend = jax.default_backend()
        if backend not in compiled:
            options = QUICK_CPU_OPTIONS if backend == "cpu" else None
            compiled[backend] = jax.jit(fun, compiler_options=options, **jit_kwargs)
        return compiled[backend](*args, **kwargs)

    return call
