r"""Two-dimensional test functions for pictures of optimizer trajectories.

Each constructor returns a :class:`Surface`: the function itself (pure ``jax.numpy``, so it
works under ``jit``, ``vmap`` and ``grad`` and keeps float32 or float64), its minimizers and
saddle points inside a plotting window, the global minimum value and a starting point that
makes an instructive picture.

* :func:`quadratic_bowl`: :math:`\tfrac12 \theta^\top A \theta`, eigenvalues 1 and
  :math:`\kappa`; a ravine when the condition number :math:`\kappa` is large.
* :func:`rosenbrock`: :math:`(a - x)^2 + b (y - x^2)^2`, a curved, flat-bottomed valley.
* :func:`beale`: a sum of three squares with steep walls and flat plateaus.
* :func:`saddle`: :math:`x^2 + y^4/4 - y^2/2`, a saddle at the origin between two minima.
* :func:`three_hump_camel`: a global minimum and two suboptimal local minima.
* :func:`rotated`: any of them turned about the origin, so that its valleys no longer run
  along the coordinate axes (which favours the per-coordinate methods).

A constructor returns the same object for the same arguments, so a jitted function that takes
the surface as a static argument compiles once per surface:

>>> rosenbrock() is rosenbrock(a=1, b=100.0)
True
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gdlib.optim.hyperparams import check_positive_int, check_range

__all__ = ["Surface", "beale", "chord_violations", "quadratic_bowl", "rosenbrock", "rotated",
           "saddle", "three_hump_camel"]

Window = tuple[tuple[float, float], tuple[float, float]]


def _points(points: Any) -> np.ndarray:
    """A read-only float64 array of shape (k, 2)."""
    array = np.array(points, dtype=float).reshape(-1, 2)
    array.setflags(write=False)
    return array


@dataclasses.dataclass(frozen=True, eq=False)
class Surface:
    """A 2-D test function with what a picture needs: critical points, window and start.

    Equality and hashing are by identity, so a surface can be a static argument of ``jit``.

    Attributes:
        name: a readable name for titles and legends.
        fn: a pure ``jax.numpy`` function from a point of shape ``(2,)`` to a scalar (a batch of
            shape ``(..., 2)`` works too); calling the surface calls ``fn``.
        minima: every local minimizer inside ``window``, shape ``(k, 2)``.
        global_minima: the global minimizers, shape ``(j, 2)``.
        saddles: the saddle points inside ``window``, shape ``(s, 2)``, possibly ``(0, 2)``.
        window: ``((xmin, xmax), (ymin, ymax))``, a good plotting window.
        start: a suggested starting point, shape ``(2,)``.
        min_value: the global minimum value.
        curvatures: the Hessian eigenvalues of a quadratic surface, ascending; empty otherwise.

    Example:
        >>> bowl = quadratic_bowl(condition_number=10.0)
        >>> float(bowl(jnp.array([1.0, 1.0])))
        5.5
        >>> X, Y, Z = bowl.grid(n=5)
        >>> Z.shape, float(Z[2, 2]), float(Z[0, 0])
        ((5, 5), 0.0, 22.0)
    """

    name: str
    fn: Callable[[jax.Array], jax.Array]
    minima: np.ndarray
    global_minima: np.ndarray
    saddles: np.ndarray
    window: Window
    start: np.ndarray
    min_value: float
    curvatures: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        for field in ("minima", "global_minima", "saddles"):
            object.__setattr__(self, field, _points(getattr(self, field)))
        start = np.array(self.start, dtype=float).reshape(2)
        start.setflags(write=False)
        object.__setattr__(self, "start", start)
        (xmin, xmax), (ymin, ymax) = self.window
        object.__setattr__(self, "window", ((float(xmin), float(xmax)), (float(ymin), float(ymax))))

    def __call__(self, xy: jax.Array) -> jax.Array:
        """Evaluate the surface: ``surface(xy) == surface.fn(xy)``."""
        return self.fn(xy)

    def grid(self, n: int = 201) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sample the surface on an ``n`` by ``n`` grid over the window, for contour plots.

        Args:
            n: points along each axis, a whole number ``>= 1``.

        Returns:
            ``(X, Y, Z)``, NumPy arrays of shape ``(n, n)`` as ``np.meshgrid`` lays them out
            (``X`` varies along columns), with ``Z[i, j] = f(X[i, j], Y[i, j])`` computed in one
            jitted, vmapped call.
        """
        n = check_positive_int("n", n)
        (xmin, xmax), (ymin, ymax) = self.window
        X, Y = np.meshgrid(np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n))
        Z = _values(self, jnp.asarray(np.stack([X.ravel(), Y.ravel()], axis=-1)))
        return X, Y, np.asarray(Z).reshape(X.shape)


@functools.partial(jax.jit, static_argnums=0)
def _values(surface: Surface, points: jax.Array) -> jax.Array:
    return jax.vmap(surface.fn)(points)


def chord_violations(surface: Surface, key: jax.Array, num_pairs: int = 10_000) -> float:
    r"""The share of random chords that dip below the graph: 0 for a convex function.

    Draws ``num_pairs`` pairs :math:`x, x'` uniformly in the window and :math:`\lambda` uniformly
    in [0, 1], and counts how often :math:`f(\lambda x + (1-\lambda)x') > \lambda f(x) +
    (1-\lambda) f(x')` (by more than a rounding tolerance).

    Example:
        >>> import jax
        >>> chord_violations(quadratic_bowl(), jax.random.key(0), 1000)
        0.0
        >>> chord_violations(three_hump_camel(), jax.random.key(0), 1000) > 0.05
        True
    """
    num_pairs = check_positive_int("num_pairs", num_pairs)
    (xmin, xmax), (ymin, ymax) = surface.window
    key_a, key_b, key_lambda = jax.random.split(key, 3)
    low, high = jnp.array([xmin, ymin]), jnp.array([xmax, ymax])
    a = jax.random.uniform(key_a, (num_pairs, 2), minval=low, maxval=high)
    b = jax.random.uniform(key_b, (num_pairs, 2), minval=low, maxval=high)
    lam = jax.random.uniform(key_lambda, (num_pairs, 1))
    between = _values(surface, lam * a + (1 - lam) * b)
    chord = lam[:, 0] * _values(surface, a) + (1 - lam[:, 0]) * _values(surface, b)
    tolerance = 1e-5 * (1 + jnp.abs(chord))
    return float(jnp.mean(between > chord + tolerance))


def _coordinates(xy: jax.Array) -> tuple[jax.Array, jax.Array]:
    xy = jnp.asarray(xy)
    return xy[..., 0], xy[..., 1]


def _scalar(name: str, value: Any, *args: Any, **kwargs: Any) -> float:
    """Check ``value`` with :func:`check_range` and return it as a Python float."""
    check_range(name, value, *args, **kwargs)
    if np.ndim(value) != 0:
        raise TypeError(f"{name} must be a single number, got shape {np.shape(value)}")
    return float(value)


def quadratic_bowl(condition_number: float = 10.0, angle: float = 0.0) -> Surface:
    r"""A quadratic bowl :math:`f(\theta) = \tfrac12 \theta^\top A \theta`.

    :math:`A = R\, \mathrm{diag}(1, \kappa)\, R^\top` with :math:`R` the rotation by ``angle``:
    curvature 1 along :math:`(\cos\alpha, \sin\alpha)` and :math:`\kappa` across it. For large
    :math:`\kappa` the bowl is a ravine where gradient descent zig-zags. Gradient descent with
    momentum :math:`\beta` converges when :math:`0 < \eta\lambda < 2(1 + \beta)` for both
    eigenvalues :math:`\lambda` in ``curvatures``. The minimum is 0 at the origin.

    Args:
        condition_number: :math:`\kappa = \lambda_{\max} / \lambda_{\min}`, finite and ``>= 1``.
        angle: the rotation :math:`\alpha` in radians, finite.

    Returns:
        The :class:`Surface`, with ``curvatures == (1.0, condition_number)``.

    Example:
        >>> bowl = quadratic_bowl(condition_number=100.0, angle=math.pi / 4)
        >>> bowl.curvatures
        (1.0, 100.0)
        >>> np.linalg.eigvalsh(jax.hessian(bowl)(jnp.zeros(2))).round(3).tolist()
        [1.0, 100.0]
    """
    kappa = _scalar("condition_number", condition_number, 1.0)
    return _quadratic_bowl(kappa, _scalar("angle", angle))


@functools.cache
def _quadratic_bowl(kappa: float, angle: float) -> Surface:
    c, s = math.cos(angle), math.sin(angle)
    a11, a12, a22 = c * c + kappa * s * s, (1.0 - kappa) * c * s, s * s + kappa * c * c

    def fn(xy: jax.Array) -> jax.Array:
        x, y = _coordinates(xy)
        return 0.5 * (a11 * x**2 + 2.0 * a12 * x * y + a22 * y**2)

    return Surface(
        name=f"quadratic_bowl(condition_number={kappa:g}, angle={angle:g})",
        fn=fn,
        minima=[[0.0, 0.0]],
        global_minima=[[0.0, 0.0]],
        saddles=np.zeros((0, 2)),
        window=((-2.0, 2.0), (-2.0, 2.0)),
        # Far out along the flat direction, a little way up the steep one.
        start=[-1.5 * c - 0.5 * s, -1.5 * s + 0.5 * c],
        min_value=0.0,
        curvatures=(1.0, kappa),
    )


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    r"""Rosenbrock's banana :math:`f(x, y) = (a - x)^2 + b\,(y - x^2)^2`.

    The minimum, 0 at :math:`(a, a^2)`, lies at the end of a curved valley with a nearly flat
    floor: reaching the valley is easy, following it is slow. The start is the classic
    :math:`(-1.2, 1)` for ``a = 1``.

    Args:
        a: the minimizer's :math:`x`, finite.
        b: the valley's steepness, finite and ``> 0``.

    Returns:
        The :class:`Surface`.

    Example:
        >>> banana = rosenbrock()
        >>> float(banana(jnp.array([1.0, 1.0]))), banana.minima.tolist()
        (0.0, [[1.0, 1.0]])
        >>> jax.grad(banana)(jnp.array([0.0, 0.0])).tolist()
        [-2.0, 0.0]
    """
    return _rosenbrock(_scalar("a", a), _scalar("b", b, 0.0, low_open=True))


@functools.cache
def _rosenbrock(a: float, b: float) -> Surface:
    def fn(xy: jax.Array) -> jax.Array:
        x, y = _coordinates(xy)
        return (a - x) ** 2 + b * (y - x**2) ** 2

    scale = max(1.0, abs(a))
    return Surface(
        name=f"rosenbrock(a={a:g}, b={b:g})",
        fn=fn,
        minima=[[a, a * a]],
        global_minima=[[a, a * a]],
        saddles=np.zeros((0, 2)),
        window=((-2.0 * scale, 2.0 * scale), (-scale, 3.0 * scale**2)),
        start=[-1.2 * scale if a >= 0 else 1.2 * scale, scale**2],
        min_value=0.0,
    )


@functools.cache
def beale() -> Surface:
    r"""Beale's function, :math:`f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2
    + (2.625 - x + xy^3)^2`.

    The minimum is 0 at :math:`(3, 0.5)`; in the window :math:`[-4.5, 4.5]^2` there are two
    saddles, :math:`(0, 1)` and one near :math:`(0.1005, -2.6445)` (found by Newton's method,
    checked in the tests). Values span six orders of magnitude: plot :math:`\log f`. Along
    :math:`y \to 1`, :math:`x \to -\infty` a valley descends towards about 0.452 without
    reaching a minimum. From the start :math:`(1, 1.5)`, gradient descent (rate 0.01), momentum
    and Adam all find :math:`(3, 0.5)`, by very different paths.

    Example:
        >>> surface = beale()
        >>> float(surface(jnp.array([3.0, 0.5]))), surface.min_value
        (0.0, 0.0)
        >>> float(surface(jnp.array([0.0, 1.0])))
        14.203125
    """

    def fn(xy: jax.Array) -> jax.Array:
        x, y = _coordinates(xy)
        return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2

    return Surface(
        name="beale",
        fn=fn,
        minima=[[3.0, 0.5]],
        global_minima=[[3.0, 0.5]],
        saddles=[[0.0, 1.0], [0.10053793732415836, -2.644513585023125]],
        window=((-4.5, 4.5), (-4.5, 4.5)),
        start=[1.0, 1.5],
        min_value=0.0,
    )


@functools.cache
def saddle() -> Surface:
    r"""A saddle between two minima, :math:`f(x, y) = x^2 + y^4/4 - y^2/2`.

    :math:`\nabla f = (2x,\ y^3 - y)`: a saddle at :math:`(0, 0)` and minima at
    :math:`(0, \pm 1)` with value :math:`-1/4`. The start lies a hair off the saddle's stable
    manifold (the :math:`x` axis): gradient descent slides to the saddle, stalls there while
    :math:`y` grows by a factor :math:`1 + \eta` per step, then escapes to :math:`(0, 1)`.

    Example:
        >>> surface = saddle()
        >>> surface.saddles.tolist(), surface.min_value
        ([[0.0, 0.0]], -0.25)
        >>> float(surface(jnp.array([0.0, 1.0])))
        -0.25
    """

    def fn(xy: jax.Array) -> jax.Array:
        x, y = _coordinates(xy)
        return x**2 + y**4 / 4.0 - y**2 / 2.0

    return Surface(
        name="saddle",
        fn=fn,
        minima=[[0.0, -1.0], [0.0, 1.0]],
        global_minima=[[0.0, -1.0], [0.0, 1.0]],
        saddles=[[0.0, 0.0]],
        window=((-1.5, 1.5), (-1.5, 1.5)),
        start=[1.0, 1e-3],
        min_value=-0.25,
    )


@functools.cache
def three_hump_camel() -> Surface:
    r"""The three-hump camel, :math:`f(x, y) = 2x^2 - 1.05x^4 + x^6/6 + xy + y^2`.

    :math:`\partial f/\partial y = x + 2y = 0` gives :math:`y = -x/2`, and then
    :math:`\partial f/\partial x = x\,(3.5 - 4.2x^2 + x^4) = 0`, so :math:`x = 0` or
    :math:`x^2 = (4.2 \pm \sqrt{3.64})/2`. The global minimum is 0 at the origin, the ``+`` root
    gives two suboptimal local minima (value about 0.2986) and the ``-`` root two saddles.
    From the start :math:`(1.9, 1.9)`, plain gradient descent settles in the local minimum near
    :math:`(1.75, -0.87)`, while momentum 0.9 or Adam carries on to the global one.

    Example:
        >>> camel = three_hump_camel()
        >>> camel.minima.round(4).tolist()
        [[0.0, 0.0], [-1.7476, 0.8738], [1.7476, -0.8738]]
        >>> camel.saddles.round(4).tolist()
        [[-1.0705, 0.5353], [1.0705, -0.5353]]
    """

    def fn(xy: jax.Array) -> jax.Array:
        x, y = _coordinates(xy)
        return 2.0 * x**2 - 1.05 * x**4 + x**6 / 6.0 + x * y + y**2

    x_min = math.sqrt((4.2 + math.sqrt(3.64)) / 2.0)
    x_saddle = math.sqrt((4.2 - math.sqrt(3.64)) / 2.0)
    return Surface(
        name="three_hump_camel",
        fn=fn,
        minima=[[0.0, 0.0], [-x_min, x_min / 2.0], [x_min, -x_min / 2.0]],
        global_minima=[[0.0, 0.0]],
        saddles=[[-x_saddle, x_saddle / 2.0], [x_saddle, -x_saddle / 2.0]],
        window=((-2.0, 2.0), (-2.0, 2.0)),
        start=[1.9, 1.9],
        min_value=0.0,
    )


def rotated(surface: Surface, angle: float) -> Surface:
    r"""``surface`` turned by ``angle`` about the origin: :math:`f_R(\theta) = f(R^\top \theta)`.

    :math:`R` is the rotation by :math:`\alpha` = ``angle`` (radians, counter-clockwise). The
    minima, saddles and start turn with the surface, and the window becomes the box around the
    turned window, so the picture holds the same region. Gradient descent, momentum and NAG
    take the turned path exactly (their updates are linear in the gradient, and
    :math:`\nabla f_R(R\theta) = R\, \nabla f(\theta)`); methods that scale each coordinate
    separately (Adagrad, RMSprop, Adam, ...) do not, which is what a turned copy measures.

    Args:
        surface: any :class:`Surface`.
        angle: :math:`\alpha` in radians, finite.

    Returns:
        The turned :class:`Surface` (the same object for the same arguments).

    Example:
        >>> turned = rotated(saddle(), math.pi / 4)
        >>> turned.minima.round(4).tolist()
        [[0.7071, -0.7071], [-0.7071, 0.7071]]
        >>> float(turned(jnp.asarray(turned.minima[1])))
        -0.25
        >>> bowl = quadratic_bowl(50.0)
        >>> point = jnp.array([0.3, -1.2])
        >>> bool(jnp.allclose(rotated(bowl, 0.5)(point), quadratic_bowl(50.0, angle=0.5)(point)))
        True
    """
    if not isinstance(surface, Surface):
        raise TypeError(f"rotated() needs a Surface, got {type(surface).__name__}")
    return _rotated(surface, _scalar("angle", angle))


@functools.cache
def _rotated(surface: Surface, angle: float) -> Surface:
    c, s = math.cos(angle), math.sin(angle)
    turn = np.array([[c, -s], [s, c]])

    def fn(xy: jax.Array) -> jax.Array:
        x, y = _coordinates(xy)
        return surface.fn(jnp.stack([c * x + s * y, -s * x + c * y], axis=-1))

    def turned(points: np.ndarray) -> np.ndarray:
        return np.asarray(points, dtype=float).reshape(-1, 2) @ turn.T

    (xmin, xmax), (ymin, ymax) = surface.window
    corners = turned([[xmin, ymin], [xmin, ymax], [xmax, ymin], [xmax, ymax]])
    low, high = corners.min(axis=0), corners.max(axis=0)
    return Surface(
        name=f"rotated({surface.name}, angle={angle:g})",
        fn=fn,
        minima=turned(surface.minima),
        global_minima=turned(surface.global_minima),
        saddles=turned(surface.saddles),
        window=((low[0], high[0]), (low[1], high[1])),
        start=turned(surface.start)[0],
        min_value=surface.min_value,
        curvatures=surface.curvatures,
    )
