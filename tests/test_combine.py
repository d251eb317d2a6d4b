"""chain equals optax.chain, with gdlib and optax parts alike, and rejects what it cannot run."""

import jax
import numpy as np
import optax
import pytest
from oracles import Problem, relative_difference, run_optax_shaped

import gdlib
from gdlib.optim.combine import chain


@pytest.mark.parametrize("parts", [
    lambda: (optax.clip_by_global_norm(1.0), gdlib.adam(0.1)),
    lambda: (gdlib.momentum(0.05, 0.8), optax.scale(2.0)),
    lambda: (optax.scale_by_rms(), gdlib.nesterov(0.02), optax.scale(0.5)),
    lambda: (gdlib.sgd(1.0), gdlib.sgd(1.0), gdlib.adam(0.05)),  # two sign flips, then Adam
], ids=["clip-adam", "momentum-scale", "three-parts", "gdlib-only"])
def test_chain_equals_optax_chain(parts, x64):
    problem = Problem(seed=3)
    ours = run_optax_shaped(chain(*parts()), problem, 60)
    reference = run_optax_shaped(optax.chain(*parts()), problem, 60, apply=optax.apply_updates)
    assert np.max(np.abs(ours[-1] - ours[0])) > 0.1, "the run must move to test anything"
    assert relative_difference(ours, reference) < 1e-12


def test_chain_of_one_is_the_part_and_the_state_is_a_tuple():
    params = {"w": jax.numpy.ones(3)}
    grads = {"w": jax.numpy.arange(3.0)}
    alone = gdlib.adam(0.1)
    chained = chain(gdlib.adam(0.1))
    state = chained.init(params)
    assert isinstance(state, tuple) and len(state) == 1
    ours, _ = chained.update(grads, state, params)
    theirs, _ = alone.update(grads, alone.init(params), params)
    np.testing.assert_array_equal(ours["w"], theirs["w"])


def test_chain_works_under_jit_and_inside_training():
    from gdlib.problems import data, models
    from gdlib.train import training

    def loss(p, x, y):
        return models.mean_squared_error(models.linear(p, x), y)

    d, params = data.diabetes(), models.init_linear(jax.random.key(0), 10)
    ours = training.train(chain(optax.scale(1.0), gdlib.sgd(0.01)), loss, params, d,
                          jax.random.key(1), 2, 32)
    plain = training.train(gdlib.sgd(0.01), loss, params, d, jax.random.key(1), 2, 32)
    np.testing.assert_allclose(ours.val_losses, plain.val_losses, rtol=1e-6)


def test_chain_rejects_bad_arguments():
    with pytest.raises(ValueError, match="at least one"):
        chain()
    with pytest.raises(TypeError, match="argument 1 of chain"):
        chain(gdlib.sgd(0.1), 0.1)
    opt = chain(gdlib.sgd(0.1), gdlib.sgd(0.1))
    with pytest.raises(ValueError, match="2 parts but its state has 1"):
        opt.update(jax.numpy.ones(1), (gdlib.sgd(0.1).init(jax.numpy.ones(1)),))
