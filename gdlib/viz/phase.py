r"""Phase diagrams: the final loss over a grid of two hyperparameters, and what theory predicts.

:func:`diagram` runs an optimizer for every point of a two-dimensional grid (a learning rate
and a momentum, say) in one ``vmap``-ped call of :func:`gdlib.sweep`, and :func:`plot` draws
the final loss as a map, diverged runs in red.

For heavy-ball momentum on a quadratic the map is known in advance. Along an eigenvector with
curvature :math:`\lambda`, ``gdlib.momentum`` gives
:math:`\theta_t = (1 + \gamma - \eta\lambda)\,\theta_{t-1} - \gamma\,\theta_{t-2}`, a linear
recurrence whose characteristic roots solve :math:`z^2 - (1 + \gamma - \eta\lambda) z +
\gamma = 0`. It converges exactly when both roots lie inside the unit circle:

.. math:: 0 \le \gamma < 1 \quad\text{and}\quad 0 < \eta\lambda < 2(1 + \gamma)
          \quad\text{for every eigenvalue } \lambda,

and the error shrinks per step by the larger root's modulus (:func:`heavy_ball_rate`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap

from gdlib.optim.base import GradientTransformation
from gdlib.problems.surfaces import Surface
from gdlib.train.runner import grid, sweep

#: A loss above this counts as diverged.
MAX_LOSS = 1e6


def _curvatures(curvatures: Sequence[float]) -> np.ndarray:
    lam = np.asarray(curvatures, dtype=float).ravel()
    if lam.size == 0 or not np.all(np.isfinite(lam)) or np.any(lam <= 0):
        raise ValueError(f"curvatures must be finite numbers > 0, got {list(curvatures)}")
    return lam


def heavy_ball_converges(learning_rate: Any, momentum: Any, curvatures: Sequence[float]
                         ) -> np.ndarray:
    r"""Whether momentum converges on a quadratic with these Hessian eigenvalues.

    True where :math:`0 \le \gamma < 1` and :math:`0 < \eta\lambda < 2(1+\gamma)` for every
    :math:`\lambda` in ``curvatures``; ``learning_rate`` and ``momentum`` broadcast.

    Example:
        >>> heavy_ball_converges([0.1, 0.2, 0.3], 0.0, [1.0, 10.0]).tolist()
        [True, False, False]
        >>> heavy_ball_converges(0.3, 0.9, [1.0, 10.0]).tolist()  # ηλ = 3 < 2 · 1.9
        True
    """
    lam = _curvatures(curvatures)
    eta, gamma = np.broadcast_arrays(np.asarray(learning_rate, float),
                                     np.asarray(momentum, float))
    ok = (gamma >= 0) & (gamma < 1)
    for curvature in lam:
        ok = ok & (eta * curvature > 0) & (eta * curvature < 2 * (1 + gamma))
    return ok


def heavy_ball_rate(learning_rate: Any, momentum: Any, curvatures: Sequence[float]
                    ) -> np.ndarray:
    r"""The factor by which momentum's error shrinks per step on the quadratic (asymptotically).

    The largest modulus of the roots of :math:`z^2 - (1 + \gamma - \eta\lambda) z + \gamma`
    over every :math:`\lambda` in ``curvatures``: below 1 exactly where
    :func:`heavy_ball_converges` holds (for :math:`\gamma \ge 0`).

    Example:
        >>> float(heavy_ball_rate(0.1, 0.0, [1.0]))  # gradient descent: |1 - ηλ|
        0.9
        >>> round(float(heavy_ball_rate(1.0, 0.25, [1.0])), 6)  # double root at z = √γ
        0.5
    """
    lam = _curvatures(curvatures)
    eta, gamma = np.broadcast_arrays(np.asarray(learning_rate, float),
                                     np.asarray(momentum, float))
    rate = np.zeros(eta.shape)
    for curvature in lam:
        a = 1 + gamma - eta * curvature
        root = np.sqrt((a * a - 4 * gamma).astype(complex))
        rate = np.maximum(rate, np.maximum(np.abs((a + root) / 2), np.abs((a - root) / 2)))
    return rate


def heavy_ball_optimum(curvatures: Sequence[float]) -> tuple[float, float, float]:
    r"""The learning rate and momentum that make momentum fastest on the quadratic (Polyak).

    With :math:`L = \lambda_{\max}` and :math:`\mu = \lambda_{\min}`:
    :math:`\eta^\star = 4/(\sqrt L + \sqrt\mu)^2`,
    :math:`\gamma^\star = \big((\sqrt L - \sqrt\mu)/(\sqrt L + \sqrt\mu)\big)^2`, and the
    rate :math:`(\sqrt\kappa - 1)/(\sqrt\kappa + 1)` per step, against
    :math:`(\kappa - 1)/(\kappa + 1)` for the best gradient descent.

    Returns:
        ``(learning_rate, momentum, rate)``.

    Example:
        >>> [round(x, 4) for x in heavy_ball_optimum([1.0, 100.0])]
        [0.0331, 0.6694, 0.8182]
    """
    lam = _curvatures(curvatures)
    big, small = np.sqrt(lam.max()), np.sqrt(lam.min())
    learning_rate = 4 / (big + small) ** 2
    momentum = ((big - small) / (big + small)) ** 2
    return float(learning_rate), float(momentum), float((big - small) / (big + small))


def heavy_ball_max_learning_rate(momentum: Any, curvatures: Sequence[float]) -> np.ndarray:
    r"""The edge of the convergence region: :math:`\eta = 2(1+\gamma)/\lambda_{\max}`.

    Example:
        >>> heavy_ball_max_learning_rate([0.0, 0.9], [1.0, 10.0]).tolist()
        [0.2, 0.38]
    """
    return 2 * (1 + np.asarray(momentum, float)) / _curvatures(curvatures).max()


def nesterov_max_learning_rate(momentum: Any, curvatures: Sequence[float]) -> np.ndarray:
    r"""The edge of NAG's convergence region: :math:`\eta = 2(1+\gamma)/((1+2\gamma)
    \lambda_{\max})`.

    On a quadratic, ``gdlib.nesterov``'s iterates follow :math:`\phi_t = (1+\gamma)(1-\eta
    \lambda)\phi_{t-1} - \gamma(1-\eta\lambda)\phi_{t-2}`; the roots of
    :math:`z^2 - (1+\gamma)(1-\eta\lambda) z + \gamma(1-\eta\lambda)` stay inside the unit
    circle for :math:`0 < \eta\lambda < 2(1+\gamma)/(1+2\gamma)` (with :math:`0 \le \gamma
    < 1`): a narrower range than heavy-ball momentum's :math:`2(1+\gamma)`.

    Example:
        >>> nesterov_max_learning_rate([0.0, 0.9], [1.0, 10.0]).round(5).tolist()
        [0.2, 0.13571]
    """
    gamma = np.asarray(momentum, float)
    return 2 * (1 + gamma) / ((1 + 2 * gamma) * _curvatures(curvatures).max())


class PhaseDiagram(NamedTuple):
    r"""The final loss of a run at each point of a two-hyperparameter grid.

    Attributes:
        names: the hyperparameters along the x and y axes.
        x: the values along x, shape ``(nx,)``.
        y: the values along y, shape ``(ny,)``.
        gap: :math:`J(\theta_T) - J^\star`, shape ``(ny, nx)``; NaN where the run diverged.
        diverged: shape ``(ny, nx)``.
    """

    names: tuple[str, str]
    x: np.ndarray
    y: np.ndarray
    gap: np.ndarray
    diverged: np.ndarray


def diagram(make_optimizer: Callable[..., GradientTransformation], surface: Surface,
            num_steps: int, *, start: Any = None, max_loss: float = MAX_LOSS,
            **hyperparams: Any) -> PhaseDiagram:
    """Run ``make_optimizer`` over the grid of the two hyperparameters given as arrays.

    One call of :func:`gdlib.sweep` over :func:`gdlib.grid` of the two arrays (the first is
    the x axis); hyperparameters given as numbers are shared by every run.

    Example:
        >>> import gdlib
        >>> from gdlib.problems import surfaces
        >>> phase = diagram(gdlib.momentum, surfaces.quadratic_bowl(), 100,
        ...                 learning_rate=[0.1, 0.35], momentum=[0.0, 0.5, 0.9])
        >>> phase.gap.shape, phase.diverged.tolist()  # ηλ = 3.5 < 2 (1 + γ) only for γ = 0.9
        ((3, 2), [[False, True], [False, True], [False, False]])
    """
    axes = {k: np.asarray(v, dtype=float) for k, v in hyperparams.items() if np.ndim(v) == 1}
    if len(axes) != 2:
        raise ValueError(f"give exactly two hyperparameters as arrays, got {sorted(axes)}")
    fixed = {k: v for k, v in hyperparams.items() if k not in axes}
    start = np.asarray(surface.start if start is None else start, dtype=np.float32)
    runs = sweep(make_optimizer, surface, start, num_steps, max_loss=max_loss,
                 **grid(**axes), **fixed)
    (x_name, x), (y_name, y) = axes.items()
    shape = (x.size, y.size)
    gap = (np.asarray(runs.final_loss(), dtype=float) - surface.min_value).reshape(shape).T
    diverged = np.asarray(runs.diverged).reshape(shape).T
    return PhaseDiagram((x_name, y_name), x, y, gap, diverged)


LABELS = {"learning_rate": r"learning rate $\eta$", "momentum": r"momentum $\gamma$",
          "b1": r"$\beta_1$", "b2": r"$\beta_2$", "decay": r"decay $\gamma$", "rho": r"$\rho$",
          "eps": r"$\epsilon$"}


def plot(phase: PhaseDiagram, ax: Axes | None = None, *, log_x: bool = True,
         floor: float = 1e-12, colorbar: bool = True) -> Axes:
    r"""Draw :math:`\log_{10}` of the final gap as a color map; diverged runs in red.

    Example:
        >>> import gdlib
        >>> from gdlib.problems import surfaces
        >>> phase = diagram(gdlib.momentum, surfaces.quadratic_bowl(), 50,
        ...                 learning_rate=[0.1, 0.5], momentum=[0.0, 0.9])
        >>> plot(phase).get_xlabel()
        'learning rate $\\eta$'
    """
    ax = ax if ax is not None else plt.figure(figsize=(5.5, 4), layout="constrained").gca()
    level = np.log10(np.maximum(phase.gap, floor))
    mesh = ax.pcolormesh(phase.x, phase.y, level, cmap="viridis", shading="nearest")
    ax.pcolormesh(phase.x, phase.y, np.where(phase.diverged, 1.0, np.nan),
                  cmap=ListedColormap(["#d62728"]), shading="nearest")
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, label=r"$\log_{10}(J(\theta_T) - J^\star)$")
    if log_x:
        ax.set_xscale("log")
    ax.set(xlabel=LABELS.get(phase.names[0], phase.names[0]),
           ylabel=LABELS.get(phase.names[1], phase.names[1]))
    return ax
