r"""Critical points of a 2-D surface: what they are, how they look, how long a run lingers there.

A point where :math:`\nabla f = 0` is a minimum when every eigenvalue of the Hessian
:math:`\nabla^2 f` is positive, a maximum when every one is negative, and a *saddle point*
when there are both: the surface curves up along some directions and down along others.
Near a saddle the gradient is small in every direction, so gradient descent crawls there.

* :func:`critical_point_kind`: classify a point by its gradient and Hessian.
* :func:`steps_near`: how many iterates of a run lie within a radius of a point.
* :func:`surface_3d`: a 3-D view of a surface with an optional path drawn on it.
* :func:`basin_ends`: where gradient descent from each point of a grid ends (which minimum).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from gdlib.optim.base import GradientTransformation
from gdlib.optim.hyperparams import check_nonnegative, check_positive_int
from gdlib.problems.surfaces import Surface
from gdlib.train.runner import Trajectory, run


@partial(jax.jit, static_argnums=0)
def _derivatives(surface: Surface, point: jax.Array) -> tuple[jax.Array, jax.Array]:
    return jax.grad(surface.fn)(point), jax.hessian(surface.fn)(point)


def critical_point_kind(surface: Surface, point: Any, tol: float = 1e-6) -> str:
    """``"minimum"``, ``"maximum"``, ``"saddle"``, ``"degenerate"`` or ``"not critical"``.

    ``"not critical"`` when the gradient's norm exceeds ``tol``; ``"degenerate"`` when a
    Hessian eigenvalue is within ``tol`` of zero (the second-order test cannot decide).

    Example:
        >>> from gdlib.problems import surfaces
        >>> s = surfaces.saddle()
        >>> [critical_point_kind(s, p) for p in [(0.0, 0.0), (0.0, 1.0), (0.5, 0.5)]]
        ['saddle', 'minimum', 'not critical']
    """
    check_nonnegative("tol", tol)
    gradient, hessian = _derivatives(surface, jnp.asarray(point, dtype=jnp.float32))
    if float(jnp.linalg.norm(gradient)) > tol:
        return "not critical"
    eigenvalues = np.linalg.eigvalsh(np.asarray(hessian, dtype=float))
    if np.any(np.abs(eigenvalues) <= tol):
        return "degenerate"
    if np.all(eigenvalues > 0):
        return "minimum"
    if np.all(eigenvalues < 0):
        return "maximum"
    return "saddle"


def hessian_eigenvalues(surface: Surface, point: Any) -> np.ndarray:
    """The Hessian's eigenvalues at ``point``, ascending.

    Example:
        >>> from gdlib.problems import surfaces
        >>> hessian_eigenvalues(surfaces.saddle(), (0.0, 0.0)).tolist()
        [-1.0, 2.0]
    """
    _, hessian = _derivatives(surface, jnp.asarray(point, dtype=jnp.float32))
    return np.linalg.eigvalsh(np.asarray(hessian, dtype=float))


def steps_near(trajectory: Trajectory, point: Any, radius: float) -> int:
    """The number of iterates :math:`\\theta_t` within ``radius`` of ``point`` (Euclidean).

    Example:
        >>> import jax.numpy as jnp, gdlib
        >>> path = gdlib.run(gdlib.sgd(0.25), lambda t: jnp.sum(t**2), jnp.array([1.0, 0.0]), 5)
        >>> steps_near(path, (0.0, 0.0), radius=0.2)  # 1, 0.5, 0.25, 0.125, 0.0625, 0.03125
        3
    """
    check_nonnegative("radius", radius)
    xy = np.asarray(trajectory.params, dtype=float).reshape(-1, 2)
    distance = np.linalg.norm(xy - np.asarray(point, dtype=float), axis=1)
    return int(np.sum(distance <= radius))


def surface_3d(surface: Surface, ax: Axes | None = None, *, trajectory: Trajectory | None = None,
               n: int = 61, color: Any = "crimson", elev: float = 35.0, azim: float = -60.0
               ) -> Axes:
    """Draw ``surface`` as a 3-D mesh over its window, with a run's path on it if given.

    ``ax`` must be a 3-D axes (``fig.add_subplot(projection="3d")``); by default one is made.
    Critical points are marked as in :func:`gdlib.viz.plotting.contour`: stars for minima (gold
    for global ones), crosses for saddles.

    Example:
        >>> from gdlib.problems import surfaces
        >>> ax = surface_3d(surfaces.saddle())
        >>> ax.name
        '3d'
    """
    n = check_positive_int("n", n)
    if ax is None:
        ax = plt.figure(figsize=(5, 4)).add_subplot(projection="3d")
    X, Y, Z = surface.grid(n)
    ax.plot_surface(X, Y, Z, cmap="Blues_r", alpha=0.75, linewidth=0, antialiased=True,
                    rstride=1, cstride=1)
    ax.contour(X, Y, Z, levels=15, offset=float(Z.min()), cmap="Blues_r", linewidths=0.6)
    values = np.asarray(jax.vmap(surface.fn)(jnp.asarray(surface.minima, jnp.float32)))
    for point, value in zip(surface.minima, values, strict=True):
        is_global = any(np.allclose(point, g) for g in surface.global_minima)
        ax.scatter(*point, value, marker="*", s=120, color="gold" if is_global else "white",
                   edgecolor="black", depthshade=False)
    if len(surface.saddles):
        saddle_values = np.asarray(jax.vmap(surface.fn)(jnp.asarray(surface.saddles,
                                                                    jnp.float32)))
        for point, value in zip(surface.saddles, saddle_values, strict=True):
            ax.scatter(*point, value, marker="x", s=60, color="black", depthshade=False)
    if trajectory is not None:
        xy = np.asarray(trajectory.params, dtype=float)
        z = np.asarray(trajectory.losses, dtype=float)
        ax.plot(xy[:, 0], xy[:, 1], z, "-o", ms=2.5, lw=1.5, color=color, zorder=10)
    ax.view_init(elev=elev, azim=azim)
    ax.set(xlabel=r"$\theta_1$", ylabel=r"$\theta_2$", zlabel=r"$J(\theta)$")
    return ax


def basin_ends(surface: Surface, optimizer: GradientTransformation, num_steps: int,
               n: int = 41, tol: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run ``optimizer`` from every point of an ``n`` by ``n`` grid over the window.

    All runs are one ``vmap``-ped call. A run ends at minimum ``k`` (an index into
    ``surface.minima``) when its last point is within ``tol`` of it, else at -1 (not yet
    settled, or diverged).

    Returns:
        ``(X, Y, ends)``: the grid of starting points and the int array of end indices.

    Example:
        >>> import gdlib
        >>> from gdlib.problems import surfaces
        >>> X, Y, ends = basin_ends(surfaces.saddle(), gdlib.sgd(0.1), 300, n=5)
        >>> ends.tolist()[0], ends.tolist()[4]  # bottom row: y < 0; top row: y > 0
        ([0, 0, 0, 0, 0], [1, 1, 1, 1, 1])
    """
    n = check_positive_int("n", n)
    num_steps = check_positive_int("num_steps", num_steps)
    (xmin, xmax), (ymin, ymax) = surface.window
    X, Y = np.meshgrid(np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n))
    starts = jnp.asarray(np.stack([X.ravel(), Y.ravel()], axis=-1), dtype=jnp.float32)
    last = jax.vmap(lambda s: run(optimizer, surface.fn, s, num_steps).params[-1])(starts)
    last = np.asarray(last, dtype=float)
    distance = np.linalg.norm(last[:, None, :] - surface.minima[None], axis=-1)
    ends = np.where(distance.min(axis=1) <= tol, distance.argmin(axis=1), -1)
    return X, Y, ends.reshape(X.shape)
