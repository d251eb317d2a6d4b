"""Tests for gdlib.problems.surfaces: critical points, windows, caching, dtypes, argument checks."""

from __future__ import annotations

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gdlib.problems.surfaces import (
    Surface,
    beale,
    quadratic_bowl,
    rosenbrock,
    saddle,
    three_hump_camel,
)

pytestmark = pytest.mark.filterwarnings("error")

SURFACES = {
    "bowl": lambda: quadratic_bowl(),
    "bowl_ravine_rotated": lambda: quadratic_bowl(condition_number=100.0, angle=0.6),
    "rosenbrock": lambda: rosenbrock(),
    "rosenbrock_a2_b10": lambda: rosenbrock(a=2.0, b=10.0),
    "rosenbrock_negative_a": lambda: rosenbrock(a=-0.5, b=5.0),
    "beale": beale,
    "saddle": saddle,
    "three_hump_camel": three_hump_camel,
}
NAMES = list(SURFACES)


def critical_points(surface: Surface) -> np.ndarray:
    return np.concatenate([surface.minima, surface.saddles])


def hessian_eigenvalues(surface: Surface, point) -> np.ndarray:
    return np.linalg.eigvalsh(np.asarray(jax.hessian(surface)(jnp.asarray(point))))


@pytest.mark.parametrize("name", NAMES)
def test_gradient_vanishes_at_minima_and_saddles(name, x64):
    surface = SURFACES[name]()
    grad = jax.jit(jax.grad(surface))
    for point in critical_points(surface):
        np.testing.assert_allclose(grad(jnp.asarray(point)), 0.0, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_hessian_is_definite_at_minima_and_indefinite_at_saddles(name, x64):
    surface = SURFACES[name]()
    for point in surface.minima:
        assert hessian_eigenvalues(surface, point).min() > 1e-6
    for point in surface.saddles:
        eigenvalues = hessian_eigenvalues(surface, point)
        assert eigenvalues.min() < -1e-6 and eigenvalues.max() > 1e-6


@pytest.mark.parametrize("name", NAMES)
def test_global_minima_reach_min_value_and_nothing_lies_below(name, x64):
    surface = SURFACES[name]()
    assert len(surface.global_minima) >= 1
    for point in surface.global_minima:
        assert any(np.array_equal(point, m) for m in surface.minima)
        np.testing.assert_allclose(surface(jnp.asarray(point)), surface.min_value, atol=1e-12)
    for point in surface.minima:  # the other minima are really worse
        if not any(np.array_equal(point, g) for g in surface.global_minima):
            assert surface(jnp.asarray(point)) > surface.min_value + 1e-3
    _, _, Z = surface.grid(n=401)
    assert Z.dtype == np.float64
    assert Z.min() >= surface.min_value - 1e-12


def _newton(surface: Surface, starts: np.ndarray, iterations: int = 60) -> np.ndarray:
    """Newton's method for grad f = 0 from each start (x64), NaN where it breaks down."""
    grad, hessian = jax.grad(surface), jax.hessian(surface)

    def solve(point):
        step = lambda _, p: p - jnp.linalg.solve(hessian(p), grad(p))  # noqa: E731
        return jax.lax.fori_loop(0, iterations, step, point)

    return np.asarray(jax.jit(jax.vmap(solve))(jnp.asarray(starts)))


@pytest.mark.parametrize("name", NAMES)
def test_every_critical_point_in_the_window_is_listed(name, x64):
    """Newton's method from a grid of starts finds no stationary point that is not listed."""
    surface = SURFACES[name]()
    X, Y, _ = surface.grid(n=25)
    found = _newton(surface, np.stack([X.ravel(), Y.ravel()], axis=-1))
    (xmin, xmax), (ymin, ymax) = surface.window
    inside = np.all(np.isfinite(found), axis=1)
    inside &= (
        (xmin < found[:, 0]) & (found[:, 0] < xmax) & (ymin < found[:, 1]) & (found[:, 1] < ymax)
    )
    found = found[inside]
    grad_norm = np.linalg.norm(np.asarray(jax.vmap(jax.grad(surface))(jnp.asarray(found))), axis=1)
    found = found[grad_norm < 1e-9]
    listed = critical_points(surface)
    distance = np.linalg.norm(found[:, None, :] - listed[None, :, :], axis=-1).min(axis=1)
    assert len(found) > 0
    np.testing.assert_array_less(distance, 1e-6)


@pytest.mark.parametrize(
    "condition_number, angle", [(1.0, 0.0), (10.0, 0.0), (100.0, 0.6), (1e4, -2.0)]
)
def test_quadratic_bowl_curvatures_are_the_hessian_eigenvalues(condition_number, angle, x64):
    bowl = quadratic_bowl(condition_number=condition_number, angle=angle)
    assert bowl.curvatures == (1.0, condition_number)
    eigenvalues = hessian_eigenvalues(bowl, [0.3, -0.7])  # the Hessian is the same everywhere
    np.testing.assert_allclose(eigenvalues, bowl.curvatures, rtol=1e-12)
    flat = np.array([math.cos(angle), math.sin(angle)])  # curvature 1 along the angle
    np.testing.assert_allclose(float(bowl(jnp.asarray(flat))), 0.5, rtol=1e-12)


def test_non_quadratic_surfaces_have_no_curvatures():
    for name in ("rosenbrock", "beale", "saddle", "three_hump_camel"):
        assert SURFACES[name]().curvatures == ()


def test_known_values():
    assert rosenbrock(a=2.0).minima.tolist() == [[2.0, 4.0]]
    assert beale().global_minima.tolist() == [[3.0, 0.5]]
    assert saddle().min_value == -0.25
    x = math.sqrt((4.2 + math.sqrt(3.64)) / 2)
    np.testing.assert_allclose(three_hump_camel().minima[2], [1.7475523, -0.8737762], atol=1e-7)
    assert three_hump_camel().minima[2].tolist() == [x, -x / 2]


def test_constructors_return_the_same_object_for_the_same_arguments():
    assert quadratic_bowl() is quadratic_bowl(10.0) is quadratic_bowl(condition_number=10, angle=0)
    assert rosenbrock() is rosenbrock(1, 100) is rosenbrock(a=1.0, b=100.0)
    assert beale() is beale() and saddle() is saddle()
    assert three_hump_camel() is three_hump_camel()
    assert quadratic_bowl(100.0) is not quadratic_bowl(10.0)
    assert rosenbrock(b=10.0) is not rosenbrock()


def test_static_surface_compiles_once():
    traces = []

    @functools.partial(jax.jit, static_argnums=0)
    def value(surface, xy):
        traces.append(surface.name)
        return surface(xy)

    xy = jnp.array([0.5, 0.5])
    value(rosenbrock(), xy)
    value(rosenbrock(a=1, b=100), xy)
    value(rosenbrock(), xy + 1)
    assert len(traces) == 1
    value(beale(), xy)
    assert len(traces) == 2


@pytest.mark.parametrize("name", NAMES)
def test_window_contains_critical_points_and_start(name):
    surface = SURFACES[name]()
    (xmin, xmax), (ymin, ymax) = surface.window
    assert xmin < xmax and ymin < ymax
    points = np.concatenate([critical_points(surface), surface.global_minima, [surface.start]])
    assert np.all((xmin < points[:, 0]) & (points[:, 0] < xmax))
    assert np.all((ymin < points[:, 1]) & (points[:, 1] < ymax))
    assert surface.start.shape == (2,)
    assert surface.minima.shape[1:] == surface.saddles.shape[1:] == (2,)
    assert not any(np.allclose(surface.start, m) for m in surface.minima)


@pytest.mark.parametrize("name", NAMES)
def test_float32_under_jit_vmap_grad(name):
    surface = SURFACES[name]()
    point = jnp.asarray(surface.start, dtype=jnp.float32)
    for x64 in (False, True):
        with jax.enable_x64(x64):
            assert jax.jit(surface)(point).dtype == jnp.float32
            assert jax.jit(jax.grad(surface))(point).dtype == jnp.float32
            batch = jnp.stack([point, point * 0.5])
            values = jax.vmap(surface)(batch)
            assert values.dtype == jnp.float32 and values.shape == (2,)
    np.testing.assert_allclose(surface(point), surface.fn(point))
    with jax.enable_x64(True):
        np.testing.assert_allclose(
            jax.grad(surface)(point), jax.grad(surface)(point.astype(jnp.float64)), rtol=1e-5
        )


def test_grid_layout_and_values():
    surface = rosenbrock()
    X, Y, Z = surface.grid(n=7)
    assert X.shape == Y.shape == Z.shape == (7, 7)
    (xmin, xmax), (ymin, ymax) = surface.window
    assert (X[0, 0], X[0, -1], Y[0, 0], Y[-1, 0]) == (xmin, xmax, ymin, ymax)
    for i, j in [(0, 0), (3, 5), (6, 2)]:
        expected = (1 - X[i, j]) ** 2 + 100 * (Y[i, j] - X[i, j] ** 2) ** 2
        np.testing.assert_allclose(Z[i, j], expected, rtol=1e-5)
    with pytest.raises(ValueError, match="^n must be"):
        surface.grid(n=0)
    with pytest.raises(TypeError, match="^n must be"):
        surface.grid(n=10.5)


def test_surfaces_are_immutable():
    surface = three_hump_camel()
    with pytest.raises(dataclasses.FrozenInstanceError):
        surface.min_value = -1.0
    with pytest.raises(ValueError, match="read-only"):
        surface.minima[0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        surface.start[0] = 1.0


def _run(surface: Surface, opt: optax.GradientTransformation, steps: int) -> np.ndarray:
    grad = jax.grad(surface)

    def step(carry, _):
        theta, state = carry
        updates, state = opt.update(grad(theta), state, theta)
        theta = optax.apply_updates(theta, updates)
        return (theta, state), theta

    theta = jnp.asarray(surface.start)
    return np.asarray(jax.lax.scan(step, (theta, opt.init(theta)), length=steps)[1])


def test_saddle_start_stalls_near_the_saddle_then_escapes(x64):
    path = _run(saddle(), optax.sgd(0.1), 150)
    near_saddle = np.linalg.norm(path, axis=1) < 0.05
    assert near_saddle.sum() >= 15  # it lingers for many steps
    np.testing.assert_allclose(path[-1], [0.0, 1.0], atol=1e-6)


def test_three_hump_camel_start_traps_gd_but_not_momentum(x64):
    camel = three_hump_camel()
    np.testing.assert_allclose(_run(camel, optax.sgd(0.01), 2000)[-1], camel.minima[2], atol=1e-4)
    for opt in (optax.sgd(0.01, momentum=0.9), optax.adam(0.05)):
        np.testing.assert_allclose(_run(camel, opt, 2000)[-1], [0.0, 0.0], atol=1e-4)


def test_beale_start_reaches_the_minimum(x64):
    for opt in (optax.sgd(0.01), optax.sgd(1e-3, momentum=0.9), optax.adam(0.05)):
        np.testing.assert_allclose(_run(beale(), opt, 3000)[-1], [3.0, 0.5], atol=1e-3)


BAD_ARGUMENTS = [
    (quadratic_bowl, {"condition_number": 0.5}, ValueError, "condition_number"),
    (quadratic_bowl, {"condition_number": 0.0}, ValueError, "condition_number"),
    (quadratic_bowl, {"condition_number": math.inf}, ValueError, "condition_number"),
    (quadratic_bowl, {"condition_number": math.nan}, ValueError, "condition_number"),
    (quadratic_bowl, {"condition_number": "10"}, TypeError, "condition_number"),
    (quadratic_bowl, {"condition_number": None}, TypeError, "condition_number"),
    (quadratic_bowl, {"condition_number": True}, TypeError, "condition_number"),
    (quadratic_bowl, {"condition_number": np.array([2.0, 3.0])}, TypeError, "condition_number"),
    (quadratic_bowl, {"angle": math.nan}, ValueError, "angle"),
    (quadratic_bowl, {"angle": "0"}, TypeError, "angle"),
    (rosenbrock, {"b": 0.0}, ValueError, "b"),
    (rosenbrock, {"b": -100.0}, ValueError, "b"),
    (rosenbrock, {"b": math.inf}, ValueError, "b"),
    (rosenbrock, {"b": "100"}, TypeError, "b"),
    (rosenbrock, {"a": math.nan}, ValueError, "a"),
    (rosenbrock, {"a": "1"}, TypeError, "a"),
    (rosenbrock, {"a": None}, TypeError, "a"),
]


@pytest.mark.parametrize("factory, kwargs, error, name", BAD_ARGUMENTS)
def test_bad_arguments_are_refused_with_the_parameter_named(factory, kwargs, error, name):
    with pytest.raises(error, match=rf"^{name} must be"):
        factory(**kwargs)


def test_chord_violations_tell_convex_from_non_convex():
    from gdlib.problems import surfaces

    key = jax.random.key(3)
    assert surfaces.chord_violations(surfaces.quadratic_bowl(100.0, angle=0.5), key, 5000) == 0.0
    assert surfaces.chord_violations(surfaces.three_hump_camel(), key, 5000) > 0.05
    assert surfaces.chord_violations(surfaces.rosenbrock(), key, 5000) > 0.0


def test_rotated_turns_the_function_its_points_and_keeps_its_window_inside():
    from gdlib.problems import surfaces

    for surface in [surfaces.saddle(), surfaces.quadratic_bowl(50.0), surfaces.beale()]:
        turned = surfaces.rotated(surface, 0.7)
        c, s = math.cos(0.7), math.sin(0.7)
        turn = np.array([[c, -s], [s, c]])
        point = np.array([0.3, -0.4])
        assert float(turned(jnp.asarray(turn @ point))) == pytest.approx(
            float(surface(jnp.asarray(point))), rel=1e-5, abs=1e-6)
        np.testing.assert_allclose(turned.minima, surface.minima @ turn.T)
        np.testing.assert_allclose(turned.start, turn @ surface.start)
        assert turned.min_value == surface.min_value
        (xmin, xmax), (ymin, ymax) = turned.window
        for x, y in np.concatenate([turned.minima, turned.saddles, turned.start[None]]):
            assert xmin <= x <= xmax and ymin <= y <= ymax
    assert surfaces.rotated(surfaces.saddle(), 0.7) is surfaces.rotated(surfaces.saddle(), 0.7)
    bowl = surfaces.rotated(surfaces.quadratic_bowl(50.0), 0.5)
    np.testing.assert_allclose(bowl.start, surfaces.quadratic_bowl(50.0, angle=0.5).start)
    with pytest.raises(TypeError):
        surfaces.rotated(lambda xy: xy, 0.1)
