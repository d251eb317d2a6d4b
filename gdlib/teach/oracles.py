r"""Run a gdlib optimizer beside its references in optax and PyTorch, and measure the gap.

The book shows each optimizer three ways: the formula, gdlib's code, and a run of that code
next to the libraries people use. This module does the run. Each side starts from the same
point of the same smooth problem (:func:`problem`: a random positive-definite quadratic plus a
small quartic, in float64) and gets the gradient of its *own* current parameters, so only the
update rules are compared. The gap is the largest difference between the two parameter
sequences, relative to the largest parameter:

.. math:: \max_{t \le T,\, i} \lvert \theta^{a}_{t,i} - \theta^{b}_{t,i} \rvert \Big/
          \max_{t \le T,\, i} \lvert \theta^{b}_{t,i} \rvert.

:data:`ORACLES` maps each optimizer of :data:`gdlib.optim.optimizers.BY_NAME` to the exact optax and
``torch.optim`` calls it equals, hyperparameter for hyperparameter. optax and torch are
imported only when a comparison runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gdlib.optim.base import apply_updates
from gdlib.optim.extras import check_available
from gdlib.optim.hyperparams import check_positive_int, check_range
from gdlib.optim.optimizers import BY_NAME

# The oracles are optax and PyTorch, gdlib's "oracles" extra: checked (not imported) here, so
# that a missing one fails at once with the command that installs it; imported by the
# comparisons that run them.
check_available(("optax", "torch"), "oracles", "gdlib.teach.oracles")


class Problem(NamedTuple):
    r"""A smooth test problem :math:`J(\theta) = s\,(\tfrac12 \theta^\top A \theta + b^\top
    \theta + \tfrac14 \sum_i c_i \theta_i^4)`, in float64.

    Attributes:
        matrix: :math:`A`, symmetric with eigenvalues in [0.5, 4].
        shift: :math:`b`.
        quartic: :math:`c`, entries in [0.05, 0.2].
        start: :math:`\theta_0`.
        scale: :math:`s`; a tiny scale makes tiny gradients.
    """

    matrix: np.ndarray
    shift: np.ndarray
    quartic: np.ndarray
    start: np.ndarray
    scale: float = 1.0

    def loss(self, theta: np.ndarray) -> float:
        r""":math:`J(\theta)` in float64."""
        theta = np.asarray(theta, dtype=float)
        return float(self.scale * (0.5 * theta @ self.matrix @ theta + self.shift @ theta
                                   + 0.25 * np.sum(self.quartic * theta**4)))

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        r""":math:`\nabla J(\theta) = s\,(A\theta + b + c \odot \theta^3)` in float64."""
        theta = np.asarray(theta, dtype=float)
        return self.scale * (self.matrix @ theta + self.shift + self.quartic * theta**3)


def problem(seed: int = 0, dim: int = 6, scale: float = 1.0) -> Problem:
    """A random :class:`Problem` of dimension ``dim``, the same for the same seed.

    Example:
        >>> p = problem(seed=0)
        >>> p.start.shape, bool(np.all(np.linalg.eigvalsh(p.matrix) > 0.49))
        ((6,), True)
    """
    dim = check_positive_int("dim", dim)
    scale = float(check_range("scale", scale, 0.0, low_open=True))
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    matrix = q @ np.diag(rng.uniform(0.5, 4.0, dim)) @ q.T
    return Problem(matrix=(matrix + matrix.T) / 2, shift=rng.normal(size=dim),
                   quartic=rng.uniform(0.05, 0.2, dim), start=1.5 * rng.normal(size=dim),
                   scale=scale)


def trajectory(optimizer: Any, problem: Problem, num_steps: int) -> np.ndarray:
    r"""Run an optax-shaped optimizer (gdlib's or optax's) in float64.

    Returns:
        :math:`\theta_0, \dots, \theta_T` as an array of shape ``(num_steps + 1, dim)``.

    Example:
        >>> import gdlib
        >>> thetas = trajectory(gdlib.sgd(0.1), problem(), 3)
        >>> thetas.shape, thetas.dtype
        ((4, 6), dtype('float64'))
    """
    num_steps = check_positive_int("num_steps", num_steps)
    with jax.enable_x64(True):
        params = jnp.asarray(problem.start, jnp.float64)
        state = optimizer.init(params)
        update = jax.jit(optimizer.update)
        thetas = [problem.start]
        for _ in range(num_steps):
            grads = jnp.asarray(problem.gradient(thetas[-1]), jnp.float64)
            updates, state = update(grads, state, params)
            params = apply_updates(params, updates)
            thetas.append(np.asarray(params, dtype=float))
    return np.array(thetas)


def torch_trajectory(make_optimizer: Callable[[list], Any], problem: Problem,
                     num_steps: int) -> np.ndarray:
    r"""Run a ``torch.optim`` optimizer, built by ``make_optimizer([tensor])``, in float64.

    Example:
        >>> import torch
        >>> thetas = torch_trajectory(lambda p: torch.optim.SGD(p, lr=0.1), problem(), 3)
        >>> bool(np.allclose(thetas, trajectory(__import__("gdlib").sgd(0.1), problem(), 3)))
        True
    """
    import torch

    num_steps = check_positive_int("num_steps", num_steps)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # NAdam keeps its momentum product in this dtype
    try:
        tensor = torch.tensor(problem.start, dtype=torch.float64, requires_grad=True)
        optimizer = make_optimizer([tensor])
        thetas = [problem.start]
        for _ in range(num_steps):
            tensor.grad = torch.tensor(problem.gradient(thetas[-1]), dtype=torch.float64)
            optimizer.step()
            thetas.append(tensor.detach().numpy().copy())
    finally:
        torch.set_default_dtype(previous)
    return np.array(thetas)


def run_any(optimizer: Any, problem: Problem, num_steps: int) -> np.ndarray:
    """:func:`trajectory` for an optax-shaped optimizer, :func:`torch_trajectory` for a
    function that builds a ``torch.optim`` optimizer from a list of tensors."""
    if hasattr(optimizer, "init") and hasattr(optimizer, "update"):
        return trajectory(optimizer, problem, num_steps)
    return torch_trajectory(optimizer, problem, num_steps)


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    r"""The largest :math:`\lvert a - b \rvert` relative to the largest :math:`\lvert b \rvert`.

    Example:
        >>> relative_difference(np.array([1.0, 2.0]), np.array([1.0, 2.5]))
        0.2
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def difference(a: Any, b: Any, *, num_steps: int = 50, seed: int = 0, scale: float = 1.0
               ) -> float:
    """The relative difference between two optimizers' runs on :func:`problem` ``(seed)``.

    Each of ``a`` and ``b`` is an optax-shaped optimizer (gdlib's or optax's) or a function
    that builds a ``torch.optim`` optimizer from a list of tensors.

    Example:
        >>> import gdlib
        >>> difference(gdlib.sgd(0.1), gdlib.sgd(0.1))
        0.0
        >>> difference(gdlib.sgd(0.1), gdlib.sgd(0.11)) > 1e-3
        True
    """
    data = problem(seed, scale=scale)
    return relative_difference(run_any(a, data, num_steps), run_any(b, data, num_steps))


def distance(optimizer: Any, problem: Problem, num_steps: int = 50) -> float:
    r"""How far ``num_steps`` updates move the parameters: :math:`\lVert \theta_T - \theta_0
    \rVert`, for an optax-shaped optimizer or a ``torch.optim`` builder (see :func:`run_any`).

    Example:
        >>> import gdlib
        >>> round(distance(gdlib.sgd(0.0), problem()), 6)
        0.0
    """
    thetas = run_any(optimizer, problem, num_steps)
    return float(np.linalg.norm(thetas[-1] - thetas[0]))


# ----------------------------------------------------------------------------- the oracles


class Oracle(NamedTuple):
    """A library call that must give the same updates as a gdlib optimizer.

    Attributes:
        label: the call, a format string over gdlib's hyperparameter names.
        build: ``build(**hyperparams)`` returns an optax optimizer, or for torch a function
            from a list of tensors to a ``torch.optim`` optimizer.
    """

    label: str
    build: Callable[..., Any]


def _optax(name: str, **fixed: Any) -> Callable[..., Any]:
    def build(**hyperparams: Any) -> Any:
        import optax

        return getattr(optax, name)(**hyperparams, **fixed)

    return build


def _torch(name: str, rename: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
    def build(**hyperparams: Any) -> Callable[[list], Any]:
        import torch

        kwargs = rename(**hyperparams)
        return lambda params: getattr(torch.optim, name)(params, foreach=False, **kwargs)

    return build


def _lr_momentum(learning_rate, momentum, nesterov=False):
    return {"lr": learning_rate, "momentum": momentum, "nesterov": nesterov}


def _adam_like(learning_rate, b1, b2, eps):
    return {"lr": learning_rate, "betas": (b1, b2), "eps": eps}


#: For each optimizer, the optax and torch.optim calls it equals (tested to 1e-12 in float64).
#: Adagrad and RMSprop have no torch twin: torch puts their ε outside the root
#: (see :mod:`gdlib.optim.forms`).
ORACLES: dict[str, tuple[Oracle, ...]] = {
    "sgd": (
        Oracle("optax.sgd({learning_rate})", _optax("sgd")),
        Oracle("torch.optim.SGD(lr={learning_rate})",
               _torch("SGD", lambda learning_rate: {"lr": learning_rate})),
    ),
    "momentum": (
        Oracle("optax.sgd({learning_rate}, momentum={momentum})", _optax("sgd")),
        Oracle("torch.optim.SGD(lr={learning_rate}, momentum={momentum})",
               _torch("SGD", _lr_momentum)),
    ),
    "nesterov": (
        Oracle("optax.sgd({learning_rate}, momentum={momentum}, nesterov=True)",
               _optax("sgd", nesterov=True)),
        Oracle("torch.optim.SGD(lr={learning_rate}, momentum={momentum}, nesterov=True)",
               _torch("SGD", lambda **hp: _lr_momentum(**hp, nesterov=True))),
    ),
    "adagrad": (
        Oracle("optax.adagrad({learning_rate}, initial_accumulator_value=0.0, eps={eps})",
               _optax("adagrad", initial_accumulator_value=0.0)),
    ),
    "adadelta": (
        Oracle("optax.adadelta({learning_rate}, rho={rho}, eps={eps})", _optax("adadelta")),
        Oracle("torch.optim.Adadelta(lr={learning_rate}, rho={rho}, eps={eps})",
               _torch("Adadelta", lambda learning_rate, rho, eps:
                      {"lr": learning_rate, "rho": rho, "eps": eps})),
    ),
    "rmsprop": (
        Oracle("optax.rmsprop({learning_rate}, decay={decay}, eps={eps})", _optax("rmsprop")),
    ),
    "adam": (
        Oracle("optax.adam({learning_rate}, b1={b1}, b2={b2}, eps={eps})", _optax("adam")),
        Oracle("torch.optim.Adam(lr={learning_rate}, betas=({b1}, {b2}), eps={eps})",
               _torch("Adam", _adam_like)),
    ),
    "adamax": (
        Oracle("optax.adamax({learning_rate}, b1={b1}, b2={b2}, eps={eps})", _optax("adamax")),
        Oracle("torch.optim.Adamax(lr={learning_rate}, betas=({b1}, {b2}), eps={eps})",
               _torch("Adamax", _adam_like)),
    ),
    "nadam": (
        Oracle("optax.nadam({learning_rate}, b1={b1}, b2={b2}, eps={eps})", _optax("nadam")),
        Oracle("torch.optim.NAdam(lr={learning_rate}, betas=({b1}, {b2}), eps={eps}, "
               'momentum_decay=float("inf"))',
               _torch("NAdam", lambda **hp: {**_adam_like(**hp), "momentum_decay": np.inf})),
    ),
}


def hyperparameters(name: str, **overrides: Any) -> dict[str, float]:
    """gdlib's defaults for optimizer ``name``, with ``overrides`` applied, all as floats.

    Example:
        >>> hyperparameters("adam", learning_rate=0.05)
        {'learning_rate': 0.05, 'b1': 0.9, 'b2': 0.999, 'eps': 1e-08}
    """
    if name not in BY_NAME:
        raise ValueError(f"name must be one of {sorted(BY_NAME)}, got {name!r}")
    defaults = {k: p.default for k, p in inspect.signature(BY_NAME[name]).parameters.items()}
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise TypeError(f"{name} takes {sorted(defaults)}, not {unknown}")
    merged = {**defaults, **overrides}
    order = ["learning_rate"] + [k for k in merged if k != "learning_rate"]
    return {k: float(merged[k]) for k in order}


class Comparison(NamedTuple):
    """The outcome of :func:`compare`: how far gdlib's run is from each oracle's.

    Attributes:
        name: the optimizer's name in :data:`gdlib.optim.optimizers.BY_NAME`.
        hyperparams: every hyperparameter used, defaults included.
        num_steps: the number of updates compared.
        moved: how far gdlib's run moved, relative to its largest parameter (a comparison of
            runs that stay put would prove nothing).
        differences: the relative difference to each oracle, by the oracle's call.
        tolerance: the bound :func:`check` held the differences to, or None. With a bound,
            the comparison prints that bound instead of the differences themselves, whose
            digits at the level of rounding errors change from one CPU to another.
    """

    name: str
    hyperparams: dict[str, float]
    num_steps: int
    moved: float
    differences: dict[str, float]
    tolerance: float | None = None

    def largest(self) -> float:
        """The largest difference to any oracle."""
        return max(self.differences.values())

    def call(self) -> str:
        """The gdlib call compared, e.g. ``gdlib.sgd(learning_rate=0.1)``."""
        args = ", ".join(f"{k}={v:g}" for k, v in self.hyperparams.items())
        return f"gdlib.{self.name}({args})"

    def gap(self, label: str) -> str:
        """The difference to oracle ``label`` as printed: the bound it is below, if checked."""
        if self.tolerance is not None and self.differences[label] <= self.tolerance:
            return f"below {self.tolerance:.0e}"
        return f"{self.differences[label]:.1e}"

    def __str__(self) -> str:
        lines = [f"{self.call()}, {self.num_steps} steps in float64.",
                 "Largest difference, relative to the largest parameter, from"]
        width = max(len(label) for label in self.differences)
        lines += [f"  {label:<{width}}  {self.gap(label)}" for label in self.differences]
        return "\n".join(lines)


def compare(name: str, *, num_steps: int = 50, seed: int = 0, **hyperparams: Any) -> Comparison:
    """Run ``gdlib.<name>(**hyperparams)`` and every oracle of :data:`ORACLES` on one problem.

    Example:
        >>> comparison = compare("momentum", learning_rate=0.05, momentum=0.8)
        >>> list(comparison.differences)
        ['optax.sgd(0.05, momentum=0.8)', 'torch.optim.SGD(lr=0.05, momentum=0.8)']
        >>> comparison.largest() < 1e-12, comparison.moved > 0.1
        (True, True)
    """
    hyperparams = hyperparameters(name, **hyperparams)
    data = problem(seed)
    ours = trajectory(BY_NAME[name](**hyperparams), data, num_steps)
    moved = np.max(np.abs(ours[-1] - ours[0])) / np.max(np.abs(ours))
    differences = {}
    for oracle in ORACLES[name]:
        label = oracle.label.format(**{k: f"{v:g}" for k, v in hyperparams.items()})
        differences[label] = relative_difference(
            ours, run_any(oracle.build(**hyperparams), data, num_steps))
    return Comparison(name, hyperparams, num_steps, float(moved), differences)


def check(name: str, *, tolerance: float = 1e-12, **kwargs: Any) -> Comparison:
    """:func:`compare`, raising ``AssertionError`` if an oracle differs by more than
    ``tolerance`` or if the run did not move.

    Example:
        >>> print(check("sgd", learning_rate=0.1))
        gdlib.sgd(learning_rate=0.1), 50 steps in float64.
        Largest difference, relative to the largest parameter, from
          optax.sgd(0.1)           below 1e-12
          torch.optim.SGD(lr=0.1)  below 1e-12
    """
    comparison = compare(name, **kwargs)._replace(tolerance=tolerance)
    if comparison.moved < 1e-3:
        raise AssertionError(f"gdlib.{name} hardly moved ({comparison.moved:.1e}): "
                             "choose a larger learning rate to compare anything")
    for label, gap in comparison.differences.items():
        if not gap <= tolerance:
            raise AssertionError(f"gdlib.{name} differs from {label} by {gap:.3g} "
                                 f"(tolerance {tolerance:g})")
    return comparison


def table(cases: dict[str, dict[str, Any]], *, tolerance: float = 1e-12,
          num_steps: int = 50) -> str:
    """:func:`check` for several optimizers at once, as one Markdown table.

    A page shows its first optimizer's check in full; the others go in one table, a row per
    oracle. Raises ``AssertionError`` like :func:`check` if any of them differs.

    Args:
        cases: optimizer name -> its hyperparameters (defaults fill in the rest).
        tolerance: the largest relative difference allowed.
        num_steps: the number of updates compared.

    Example:
        >>> print(table({"sgd": {"learning_rate": 0.1}}))
        | gdlib | reference | steps (float64) | largest relative difference |
        |---|---|---|---|
        | `gdlib.sgd(learning_rate=0.1)` | `optax.sgd(0.1)` | 50 | below 1e-12 |
        | `gdlib.sgd(learning_rate=0.1)` | `torch.optim.SGD(lr=0.1)` | 50 | below 1e-12 |
    """
    rows = ["| gdlib | reference | steps (float64) | largest relative difference |",
            "|---|---|---|---|"]
    for name, hyperparams in cases.items():
        comparison = check(name, tolerance=tolerance, num_steps=num_steps, **hyperparams)
        rows += [f"| `{comparison.call()}` | `{label}` | {num_steps} | {comparison.gap(label)} |"
                 for label in comparison.differences]
    return "\n".join(rows)
