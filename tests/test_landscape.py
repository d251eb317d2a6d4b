"""Critical points, lingering near a saddle, 3-D views and basins of attraction."""

import matplotlib

matplotlib.use("Agg")
import jax.numpy as jnp  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import gdlib  # noqa: E402
from gdlib.problems import surfaces
from gdlib.viz import landscape  # noqa: E402


@pytest.mark.parametrize("surface", [surfaces.saddle(), surfaces.three_hump_camel()])
def test_listed_critical_points_are_classified(surface):
    assert all(landscape.critical_point_kind(surface, p, tol=1e-4) == "minimum"
               for p in surface.minima)
    assert all(landscape.critical_point_kind(surface, p, tol=1e-4) == "saddle"
               for p in surface.saddles)
    assert landscape.critical_point_kind(surface, (0.3, 0.7)) == "not critical"


def test_a_maximum_and_a_degenerate_point():
    flipped = surfaces.Surface("cap", lambda xy: -jnp.sum(jnp.asarray(xy) ** 2, axis=-1),
                               [], [], [], ((-1, 1), (-1, 1)), (0.5, 0.5), -2.0)
    assert landscape.critical_point_kind(flipped, (0.0, 0.0)) == "maximum"
    flat = surfaces.Surface("quartic", lambda xy: jnp.sum(jnp.asarray(xy) ** 4, axis=-1),
                            [[0, 0]], [[0, 0]], [], ((-1, 1), (-1, 1)), (0.5, 0.5), 0.0)
    assert landscape.critical_point_kind(flat, (0.0, 0.0)) == "degenerate"


def test_hessian_of_the_saddle_surface():
    np.testing.assert_allclose(landscape.hessian_eigenvalues(surfaces.saddle(), (0, 0)),
                               [-1.0, 2.0])
    np.testing.assert_allclose(landscape.hessian_eigenvalues(surfaces.saddle(), (0, 1)),
                               [2.0, 2.0])


def test_gradient_descent_lingers_at_the_saddle_from_the_suggested_start():
    surface = surfaces.saddle()
    near_manifold = gdlib.run(gdlib.sgd(0.1), surface, jnp.asarray(surface.start, jnp.float32),
                              100)
    off_manifold = gdlib.run(gdlib.sgd(0.1), surface, jnp.array([1.0, 0.3]), 100)
    lingering = landscape.steps_near(near_manifold, (0, 0), 0.1)
    assert lingering > 25
    assert landscape.steps_near(off_manifold, (0, 0), 0.1) == 0
    np.testing.assert_allclose(near_manifold.params[-1], [0.0, 1.0], atol=1e-2)


def test_steps_near_counts_by_distance():
    path = gdlib.Trajectory(jnp.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.3]]), jnp.zeros(3),
                            jnp.array(-1))
    assert [landscape.steps_near(path, (0, 0), r) for r in (0.05, 0.15, 1.0)] == [1, 2, 3]


def test_surface_3d_draws_the_path_and_the_marks():
    surface = surfaces.three_hump_camel()
    run = gdlib.run(gdlib.sgd(0.02), surface, jnp.asarray(surface.start, jnp.float32), 50)
    ax = landscape.surface_3d(surface, trajectory=run, n=21)
    assert ax.name == "3d"
    xs = [line.get_data_3d()[0] for line in ax.get_lines()]
    assert any(len(x) == 51 for x in xs)
    plt.close("all")


def test_basins_of_the_camel_include_the_suboptimal_minima():
    surface = surfaces.three_hump_camel()
    X, Y, ends = landscape.basin_ends(surface, gdlib.sgd(0.02), 1000, n=15)
    assert ends.shape == X.shape == (15, 15)
    assert set(np.unique(ends).tolist()) >= {0, 1, 2}
    middle = ends[7, 7]  # the start (0, 0) is the global minimum itself
    assert middle == 0
    # the camel is symmetric under (x, y) -> (-x, -y): so is the basin map (minima 1 <-> 2)
    swapped = np.select([ends == 1, ends == 2], [2, 1], ends)
    np.testing.assert_array_equal(swapped[::-1, ::-1], ends)
