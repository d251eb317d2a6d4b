"""Check a learner's own optimizer against gdlib's, with a message that says what to fix.

An exercise asks for an optimizer in gdlib's shape (``init`` and ``update`` in a
:class:`gdlib.GradientTransformation`). :func:`check` runs it beside gdlib's reference on a
few random problems, feeding both the same gradients, and reports the first step and parameter
where they differ, or the error the learner's code raised, instead of a traceback.

Two more checkers cover exercises that are not optimizers: :func:`check_schedule` compares a
learning-rate schedule count by count, and :func:`check_function` compares any function on
given inputs (an elastic-averaging step, a noise variance, a stopping rule).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gdlib.optim.base import GradientTransformation, apply_updates


class Verdict(NamedTuple):
    """The outcome of :func:`check`: ``passed`` and a message for the learner."""

    passed: bool
    message: str

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message


def _problem(key: jax.Array) -> tuple[dict, tuple[jax.Array, jax.Array]]:
    """A random convex quadratic :math:`J(\\theta) = \\tfrac12 \\theta^T A \\theta + c^T \\theta`
    over the pytree ``{"b": (), "w": (3,)}``: the start and ``(A, c)``."""
    key_a, key_c, key_start = jax.random.split(key, 3)
    q = jax.random.normal(key_a, (4, 4))
    a = q @ q.T / 4 + 0.5 * jnp.eye(4)
    c = jax.random.normal(key_c, (4,))
    start = jax.random.normal(key_start, (4,))
    return {"b": start[0], "w": start[1:]}, (a, c)


@jax.jit
def _gradient(params: dict, problem: tuple[jax.Array, jax.Array]) -> dict:
    """The gradient of :func:`_problem`'s quadratic, compiled once for every check."""
    a, c = problem

    def loss(params):
        theta = jnp.concatenate([params["b"][None], params["w"]])
        return 0.5 * theta @ a @ theta + c @ theta

    return jax.grad(loss)(params)


def _name(path) -> str:
    return jax.tree_util.keystr(path).replace("['", "").replace("']", "").lstrip(".")


def _qualified_name(function: Callable) -> str:
    """``gdlib.optim.schedules.step_decay`` for gdlib's own functions, else the function's name."""
    name = getattr(function, "__name__", "the reference")
    module = getattr(function, "__module__", "") or ""
    return f"{module}.{name}" if module.startswith("gdlib") else name


def _unfinished(value: Any) -> bool:
    """Whether ``value`` is, or holds, a template's ``...`` (or is None)."""
    if value is None or value is Ellipsis:
        return True
    return any(leaf is Ellipsis for leaf in jax.tree.leaves(value))


def _first_mismatch(yours: Any, theirs: Any, rtol: float, atol: float) -> str | None:
    """Where two pytrees of the same structure first differ, as ``"name[index] is a ... b"``.

    The name is the leaf's path ("w", "center") followed by the index of the first element
    that differs; a lone array has an empty path, so only its index is shown.
    """
    for (path, a), (_, b) in zip(jax.tree_util.tree_flatten_with_path(yours)[0],
                                 jax.tree_util.tree_flatten_with_path(theirs)[0], strict=True):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        name = _name(path)
        if a.shape != b.shape:
            return f"{name or 'the result'} has shape {a.shape} in yours, {b.shape} expected"
        bad = ~np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
        if bad.any():
            index = np.unravel_index(np.argmax(bad), a.shape) if a.ndim else ()
            where = name + (f"[{', '.join(map(str, index))}]" if index else "")
            return f"{where or 'the result'} is {a[index]:.6g} in yours but {b[index]:.6g}"
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
    reference_update, reference_apply = jax.jit(ref.update), jax.jit(apply_updates)
    compiled_update = jax.jit(update)
    for problem in range(1, num_problems + 1):
        params, quadratic = _problem(jax.random.key(problem))
        try:
            state = init(params)
        except Exception as error:
            return Verdict(False, f"Not yet: init(params) raised {type(error).__name__}: {error}")
        ref_state = ref.init(params)
        for step in range(1, num_steps + 1):
            grads = _gradient(params, quadratic)
            expected, ref_state = reference_update(grads, ref_state, params)
            where = f"at step {step} of problem {problem}"
            try:
                try:  # compiled, as a training loop would run it (and faster to check)
                    result = compiled_update(grads, state, params)
                except Exception:  # code that cannot be traced: run it as written
                    compiled_update = update
                    result = update(grads, state, params)
                if result is None or result is Ellipsis:
                    return Verdict(False, f"Not yet: {where}, update returned {result!r}: "
                                          "replace every ... with your code, and return the "
                                          "pair (updates, new_state).")
                updates, state = result
            except Exception as error:
                return Verdict(False, f"Not yet: {where}, update raised "
                                      f"{type(error).__name__}: {error}. It must return a pair "
                                      "(updates, new_state).")
            if _unfinished(updates):
                return Verdict(False, f"Not yet: {where}, your updates are {updates!r}: "
                                      "replace every ... with your code.")
            if jax.tree.structure(updates) != jax.tree.structure(expected):
                return Verdict(False, f"Not yet: {where}, your updates are {updates!r}; they "
                                      "must have the structure of the parameters "
                                      "(here a dict with 'b' and 'w').")
            difference = _first_mismatch(updates, expected, rtol, atol)
            if difference:
                return Verdict(False, f"Not yet: {where}, the update of {difference} in {label}.")
            params = reference_apply(params, expected)
    name = getattr(candidate, "__name__", "optimizer")
    return Verdict(True, f"Passed: your {name} gives the same updates as {label} on "
                         f"{num_problems} random problems, {num_steps} steps each.")


def _call(function: Callable, args: Any) -> Any:
    if isinstance(args, dict):
        return function(**args)
    return function(*args) if isinstance(args, tuple) else function(args)


def _describe(args: Any) -> str:
    def short(value: Any) -> str:
        if callable(value):
            return f"the function {getattr(value, '__name__', type(value).__name__)}"
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):  # a dict of parameters, a data set, ...
            return f"a {type(value).__name__}"
        return f"{array.item():.6g}" if array.size == 1 else f"an array of shape {array.shape}"

    if isinstance(args, dict):
        return ", ".join(f"{key}={short(value)}" for key, value in args.items())
    return ", ".join(short(value) for value in (args if isinstance(args, tuple) else (args,)))


def check_function(candidate: Callable, reference: Callable, inputs: list, *,
                   rtol: float = 1e-5, atol: float = 1e-7) -> Verdict:
    """Compare ``candidate`` with ``reference`` on each of ``inputs``.

    An input is a tuple of positional arguments, a dict of keyword arguments, or a single
    argument. Outputs may be numbers, arrays or pytrees; the first input and output element
    that differ are named.

    Example:
        >>> import jax.numpy as jnp
        >>> def reference(x, c):
        ...     return x + c * (1.0 - x)
        >>> check_function(lambda x, c: x + c * (1.0 - x), reference, [(0.0, 0.5), (2.0, 0.1)])
        Passed: your <lambda> agrees with reference on all 2 inputs.
        >>> print(check_function(lambda x, c: x + c * x, reference, [(0.0, 0.5), (2.0, 0.1)]))
        Not yet: for input 1 (0, 0.5), the result is 0 in yours but 0.5 from reference.
    """
    label = getattr(reference, "__name__", "the reference")
    for number, args in enumerate(inputs, start=1):
        where = f"for input {number} ({_describe(args)})"
        expected = _call(reference, args)
        try:
            result = _call(candidate, args)
        except Exception as error:  # the learner's code: report, do not crash
            return Verdict(False, f"Not yet: {where}, your code raised "
                                  f"{type(error).__name__}: {error}")
        if _unfinished(result):
            return Verdict(False, f"Not yet: {where}, your code returned {result!r}: replace "
                                  "every ... with your code (and did you forget to return?)")
        if jax.tree.structure(result) != jax.tree.structure(expected):
            return Verdict(False, f"Not yet: {where}, your result {result!r} does not have the "
                                  f"structure of the expected one, {jax.tree.structure(expected)}")
        if not jax.tree.leaves(expected):
            continue
        difference = _first_mismatch(result, expected, rtol, atol)
        if difference:
            return Verdict(False, f"Not yet: {where}, {difference} from {label}.")
    name = getattr(candidate, "__name__", "function")
    return Verdict(True, f"Passed: your {name} agrees with {label} on all {len(inputs)} inputs.")


def check_schedule(candidate: Callable[..., Callable], reference: Callable[..., Callable], *,
                   num_counts: int = 100, rtol: float = 1e-5, atol: float = 1e-9,
                   **hyperparams: Any) -> Verdict:
    """Compare the schedule ``candidate(**hyperparams)`` with ``reference(**hyperparams)``.

    Both are evaluated at every count ``0, 1, ..., num_counts - 1``, one count at a time (so
    a schedule written with Python ``int`` arithmetic is fine), and the first count where the
    rates differ is named.

    Example:
        >>> from gdlib.optim import schedules
        >>> def halve(init_value, drop, every):
        ...     return lambda count: init_value * drop ** (count // every)
        >>> check_schedule(halve, schedules.step_decay, init_value=0.1, drop=0.5, every=10)
        Passed: your halve gives the same rate as gdlib.optim.schedules.step_decay at counts 0 to
        99.
        >>> def off_by_one(init_value, drop, every):
        ...     return lambda count: init_value * drop ** ((count + 1) // every)
        >>> print(check_schedule(off_by_one, schedules.step_decay, init_value=0.1, drop=0.5,
        ...                      every=10))
        Not yet: at count 9 your rate is 0.05 but gdlib.optim.schedules.step_decay gives 0.1.
    """
    label = _qualified_name(reference)
    try:
        schedule = candidate(**hyperparams)
    except Exception as error:  # the learner's code: report, do not crash
        return Verdict(False, f"Not yet: building your schedule raised "
                              f"{type(error).__name__}: {error}")
    if not callable(schedule):
        return Verdict(False, f"Not yet: your schedule factory returned {schedule!r}; it must "
                              "return a function count -> learning rate.")
    expected_schedule = reference(**hyperparams)
    for count in range(num_counts):
        expected = float(expected_schedule(count))
        try:
            rate = schedule(count)
            if _unfinished(rate):
                return Verdict(False, f"Not yet: at count {count} your schedule returned "
                                      f"{rate!r}: replace every ... with your code (and did "
                                      "you forget to return?)")
            rate = float(np.asarray(rate))
        except Exception as error:
            return Verdict(False, f"Not yet: at count {count} your schedule raised "
                                  f"{type(error).__name__}: {error}. It must return one number.")
        if not np.isclose(rate, expected, rtol=rtol, atol=atol):
            return Verdict(False, f"Not yet: at count {count} your rate is {rate:.6g} but "
                                  f"{label} gives {expected:.6g}.")
    name = getattr(candidate, "__name__", "schedule")
    return Verdict(True, f"Passed: your {name} gives the same rate as {label} at counts 0 to "
                         f"{num_counts - 1}.")
