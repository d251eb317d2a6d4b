"""gdlib.train.preconditioning: Adagrad's scale invariance, its variant without the root,
Adam's step bound, the largest step of a sweep, and training with exact gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gdlib
from gdlib.problems import data, models
from gdlib.train import preconditioning, training, tuning


def _separable(curvatures):
    c = jnp.asarray(curvatures)

    def loss(theta):  # J(θ) = Σ c_i (θ_i² / 2 + θ_i⁴ / 4): separable, not quadratic
        return jnp.sum(c * (theta**2 / 2 + theta**4 / 4))

    return loss


START = jnp.array([1.2, -0.7, 0.4])


def test_adagrad_ignores_the_scale_of_each_coordinate_on_a_separable_loss():
    runs = [gdlib.run(gdlib.adagrad(0.3), _separable(c), START, 60).params
            for c in ([1.0, 1.0, 1.0], [50.0, 0.02, 3.0])]
    np.testing.assert_allclose(runs[0], runs[1], atol=1e-5)
    sgd = [gdlib.run(gdlib.sgd(0.01), _separable(c), START, 60).params
           for c in ([1.0, 1.0, 1.0], [50.0, 0.02, 3.0])]
    assert float(jnp.max(jnp.abs(sgd[0] - sgd[1]))) > 0.1


def test_without_the_root_a_coordinate_scaled_by_c_steps_c_times_less():
    opt = preconditioning.adagrad_without_root(0.3, eps=0.0)
    c = jnp.array([1.0, 4.0, 0.25])
    state1, state2 = opt.init(START), opt.init(START)
    rng = np.random.default_rng(0)
    for _ in range(5):
        g = jnp.asarray(rng.normal(size=3), jnp.float32)
        u1, state1 = opt.update(g, state1)
        u2, state2 = opt.update(c * g, state2)
        np.testing.assert_allclose(u2, u1 / c, rtol=1e-5)


def test_adagrad_without_root_follows_its_equation():
    opt = preconditioning.adagrad_without_root(0.5, eps=1e-3)
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(6, 4)).astype(np.float32)
    grads[:, 1] = 0.0  # a coordinate that never gets a gradient stays put
    state, G = opt.init(jnp.zeros(4)), np.zeros(4)
    for g in grads:
        updates, state = opt.update(jnp.asarray(g), state)
        G += g.astype(float) ** 2
        np.testing.assert_allclose(updates, -0.5 * g / (G + 1e-3), rtol=1e-5)
    assert float(jnp.abs(updates[1])) == 0.0


def test_adagrad_without_root_checks_its_hyperparameters():
    with pytest.raises(ValueError, match="eps"):
        preconditioning.adagrad_without_root(0.1, eps=-1.0)


@pytest.mark.parametrize("b1, b2, expected", [(0.9, 0.999, 0.1 / np.sqrt(0.001)),
                                              (0.0, 0.999, 1 / np.sqrt(0.001)),
                                              (0.99, 0.999, 1.0), (0.9, 0.9, 1.0)])
def test_adam_step_bound(b1, b2, expected):
    assert preconditioning.adam_step_bound(b1, b2) == pytest.approx(expected)


def test_the_bound_is_reached_by_a_lone_gradient_after_many_zero_ones():
    """Kingma and Ba's severe case: zero gradients, then one non-zero: the step approaches
    η (1 - β1) / sqrt(1 - β2) once the bias corrections have faded."""
    opt = gdlib.adam(1.0, b1=0.9, b2=0.999, eps=0.0)
    state = opt.init(jnp.zeros(1))  # 20,000 zero gradients leave m and v at 0
    state = state._replace(count=jnp.asarray(20_000, state.count.dtype))
    updates, _ = opt.update(jnp.array([3.0]), state)
    assert abs(float(updates[0])) == pytest.approx(preconditioning.adam_step_bound(0.9, 0.999),
                                                   rel=1e-3)


def test_largest_steps_equal_a_loop():
    loss = _separable([2.0, 1.0, 0.5])
    rates = [0.01, 0.1, 0.3]
    got = preconditioning.largest_steps(gdlib.adam, loss, START, 30, learning_rate=rates,
                                        b1=0.5)
    for lr, value in zip(rates, np.asarray(got), strict=True):
        params = gdlib.run(gdlib.adam(lr, b1=0.5), loss, START, 30).params
        expected = float(jnp.max(jnp.abs(jnp.diff(params, axis=0)))) / lr
        assert value == pytest.approx(expected, rel=1e-5)


def test_largest_steps_needs_a_learning_rate():
    with pytest.raises(TypeError, match="learning_rate"):
        preconditioning.largest_steps(gdlib.adam, _separable([1.0]), jnp.ones(1), 5, b1=[0.5])


def test_full_batch_training_equals_training_with_one_batch_per_epoch():
    diabetes = data.diabetes()

    def loss(p, x, y):
        return models.mean_squared_error(models.linear(p, x), y)

    [result] = preconditioning.compare_full_batch(
        {"sgd": gdlib.sgd}, loss, lambda k: models.init_linear(k, 10), diabetes,
        learning_rates=np.array([0.003, 0.03, 0.3]), num_epochs=4, steps_per_epoch=3,
        num_seeds=2)
    assert result.val_curves.shape == (2, 5)
    key_init = jax.random.split(jax.random.split(jax.random.key(0), 3)[1])[0]
    n = diabetes.x_train.shape[0]
    history = training.train(gdlib.sgd(result.learning_rate), loss,
                             models.init_linear(key_init, 10), diabetes, jax.random.key(5),
                             num_epochs=12, batch_size=n)
    np.testing.assert_allclose(result.val_curves[0], history.val_losses[::3], rtol=1e-4)
    assert isinstance(result, tuning.Result)
