"""The heavy-ball theory, checked by algebra and by sweeps; the diagram is laid out right."""

import matplotlib

matplotlib.use("Agg")
import jax.numpy as jnp  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import gdlib  # noqa: E402
from gdlib.problems import surfaces
from gdlib.viz import phase  # noqa: E402


def test_rate_is_the_largest_eigenvalue_of_the_recurrence():
    rng = np.random.default_rng(0)
    curvatures = [0.7, 3.0, 20.0]
    for eta, gamma in zip(rng.uniform(0, 0.3, 50), rng.uniform(0, 0.99, 50), strict=True):
        largest = 0.0
        for lam in curvatures:
            # (θ_t, θ_{t-1}) = M (θ_{t-1}, θ_{t-2}) for θ_t = (1 + γ - ηλ) θ_{t-1} - γ θ_{t-2}
            matrix = np.array([[1 + gamma - eta * lam, -gamma], [1.0, 0.0]])
            largest = max(largest, np.abs(np.linalg.eigvals(matrix)).max())
        assert phase.heavy_ball_rate(eta, gamma, curvatures) == pytest.approx(largest, rel=1e-9)


def test_the_region_is_where_the_rate_is_below_one():
    eta, gamma = np.meshgrid(np.linspace(0.001, 0.5, 300), np.linspace(0, 0.99, 200))
    rate = phase.heavy_ball_rate(eta, gamma, [1.0, 10.0])
    inside = phase.heavy_ball_converges(eta, gamma, [1.0, 10.0])
    clear = np.abs(rate - 1) > 1e-9  # leave out points on the boundary itself
    np.testing.assert_array_equal(inside[clear], rate[clear] < 1)
    assert not phase.heavy_ball_converges(0.1, 1.0, [1.0]) and not phase.heavy_ball_converges(
        0.0, 0.5, [1.0])


def test_sweeps_converge_inside_the_region_and_diverge_well_outside():
    bowl = surfaces.quadratic_bowl(condition_number=20.0, angle=0.4)
    lr, momentum = np.geomspace(0.002, 0.3, 40), np.linspace(0.0, 0.95, 20)
    diagram = phase.diagram(gdlib.momentum, bowl, 400, learning_rate=lr, momentum=momentum)
    eta, gamma = np.meshgrid(lr, momentum)
    rate = phase.heavy_ball_rate(eta, gamma, bowl.curvatures)
    start_gap = float(bowl(jnp.asarray(bowl.start))) - bowl.min_value
    fast = rate < 0.95  # 0.95^800 < 1e-17: the gap must be gone
    assert fast.sum() > 100
    assert np.all(diagram.gap[fast] < 1e-6 * start_gap) and not diagram.diverged[fast].any()
    edge = phase.heavy_ball_max_learning_rate(gamma, bowl.curvatures)
    outside = eta > 1.1 * edge
    assert outside.sum() > 50 and diagram.diverged[outside].all()


def test_the_optimum_is_the_fastest_point_of_the_region():
    curvatures = [1.0, 50.0]
    lr, momentum, rate = phase.heavy_ball_optimum(curvatures)
    kappa = 50.0
    assert rate == pytest.approx((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1))
    assert phase.heavy_ball_rate(lr, momentum, curvatures) == pytest.approx(rate, rel=1e-6)
    eta, gamma = np.meshgrid(np.linspace(0.001, 0.08, 400), np.linspace(0, 0.99, 300))
    assert phase.heavy_ball_rate(eta, gamma, curvatures).min() >= rate - 1e-6


def test_diagram_rows_are_the_second_hyperparameter_and_columns_the_first():
    bowl = surfaces.quadratic_bowl(condition_number=10.0)
    lr, momentum = [0.01, 0.05, 0.1], [0.0, 0.5]
    diagram = phase.diagram(gdlib.momentum, bowl, 30, learning_rate=lr, momentum=momentum)
    assert diagram.names == ("learning_rate", "momentum") and diagram.gap.shape == (2, 3)
    start = jnp.asarray(bowl.start, jnp.float32)
    for j, m in enumerate(momentum):
        for i, eta in enumerate(lr):
            alone = gdlib.run(gdlib.momentum(eta, m), bowl, start, 30)
            assert diagram.gap[j, i] == pytest.approx(float(alone.losses[-1]), rel=1e-5)


def test_diagram_wants_two_arrays_and_plot_marks_divergence_in_red():
    bowl = surfaces.quadratic_bowl()
    with pytest.raises(ValueError, match="exactly two hyperparameters"):
        phase.diagram(gdlib.momentum, bowl, 10, learning_rate=[0.1, 0.2], momentum=0.9)
    with pytest.raises(ValueError, match="curvatures must be"):
        phase.heavy_ball_rate(0.1, 0.5, [0.0])
    diagram = phase.diagram(gdlib.momentum, bowl, 50, learning_rate=[0.1, 0.5],
                            momentum=[0.0, 0.5])
    ax = phase.plot(diagram)
    red = ax.collections[1].get_array()
    np.testing.assert_array_equal(~np.ma.getmaskarray(red).ravel(), diagram.diverged.ravel())
    plt.close("all")


@pytest.mark.parametrize("make,edge", [(gdlib.momentum, phase.heavy_ball_max_learning_rate),
                                       (gdlib.nesterov, phase.nesterov_max_learning_rate)])
def test_the_learning_rate_edge_is_where_sweeps_start_to_diverge(make, edge):
    bowl = surfaces.quadratic_bowl(condition_number=30.0)
    start = jnp.asarray(bowl.start, jnp.float32)
    for momentum in (0.0, 0.5, 0.9):
        limit = float(edge(momentum, bowl.curvatures))
        rates = limit * np.array([0.9, 0.97, 1.03, 1.1])
        runs = gdlib.sweep(make, bowl, start, 3000, max_loss=1e6, learning_rate=rates,
                           momentum=momentum)
        assert np.asarray(runs.diverged).tolist() == [False, False, True, True], momentum
