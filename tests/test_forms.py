"""The other forms of the optimizers equal the libraries that implement them."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

import gdlib
from gdlib.optim import forms
from gdlib.teach import oracles


def test_adam_eps_inside_is_optax_eps_root():
    ours = forms.adam_eps_inside(0.05, b1=0.8, b2=0.95, eps=1e-3)
    theirs = optax.adam(0.05, b1=0.8, b2=0.95, eps=0.0, eps_root=1e-3)
    assert oracles.difference(ours, theirs) < 1e-12
    assert oracles.difference(ours, gdlib.adam(0.05, b1=0.8, b2=0.95, eps=1e-3)) > 1e-5


@pytest.mark.parametrize("psi", [4e-3, 0.1])
def test_nadam_warmup_is_torch_nadam(psi):
    ours = forms.nadam_warmup(0.05, b1=0.8, b2=0.95, eps=1e-3, momentum_decay=psi)
    theirs = lambda p: torch.optim.NAdam(p, lr=0.05, betas=(0.8, 0.95), eps=1e-3,  # noqa: E731
                                         momentum_decay=psi, foreach=False)
    assert oracles.difference(ours, theirs) < 1e-12
    assert oracles.difference(ours, gdlib.nadam(0.05, b1=0.8, b2=0.95, eps=1e-3)) > 1e-3


def test_nadam_warmup_becomes_gdlib_nadam_as_the_warmup_vanishes():
    ours = forms.nadam_warmup(0.05, momentum_decay=1e6)
    assert oracles.difference(ours, gdlib.nadam(0.05)) < 1e-12


def test_adagrad_eps_outside_is_torch_adagrad():
    ours = forms.adagrad_eps_outside(0.3, eps=1e-2)
    theirs = lambda p: torch.optim.Adagrad(p, lr=0.3, eps=1e-2, foreach=False)  # noqa: E731
    assert oracles.difference(ours, theirs) < 1e-12
    assert oracles.difference(ours, gdlib.adagrad(0.3, eps=1e-2)) > 1e-5


def test_rmsprop_eps_outside_is_torch_and_optax_eps_outside():
    ours = forms.rmsprop_eps_outside(0.02, decay=0.8, eps=1e-2)
    theirs = lambda p: torch.optim.RMSprop(p, lr=0.02, alpha=0.8, eps=1e-2,  # noqa: E731
                                           foreach=False)
    assert oracles.difference(ours, theirs) < 1e-12
    assert oracles.difference(ours, optax.rmsprop(0.02, decay=0.8, eps=1e-2,
                                                  eps_in_sqrt=False)) < 1e-12
    assert oracles.difference(ours, gdlib.rmsprop(0.02, decay=0.8, eps=1e-2)) > 1e-3


def nadam_ruder_by_hand(problem, num_steps, lr, b1, b2, eps):
    """Ruder's eq. 32, written out in NumPy."""
    theta, m, v, thetas = problem.start.copy(), 0.0, 0.0, [problem.start]
    for t in range(1, num_steps + 1):
        g = problem.gradient(theta)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        theta = theta - lr / (np.sqrt(v_hat) + eps) * (b1 * m_hat + (1 - b1) * g / (1 - b1**t))
        thetas.append(theta)
    return np.array(thetas)


def test_nadam_ruder_is_ruders_equation_32():
    problem = oracles.problem(seed=2)
    ours = oracles.trajectory(forms.nadam_ruder(0.05, b1=0.8, b2=0.95, eps=1e-3), problem, 50)
    by_hand = nadam_ruder_by_hand(problem, 50, 0.05, 0.8, 0.95, 1e-3)
    assert oracles.relative_difference(ours, by_hand) < 1e-12
    assert oracles.difference(forms.nadam_ruder(0.05), gdlib.nadam(0.05)) > 1e-3


FORMS = [forms.adam_eps_inside, forms.nadam_ruder, forms.nadam_warmup,
            forms.adagrad_eps_outside, forms.rmsprop_eps_outside]


@pytest.mark.parametrize("make", FORMS, ids=[v.__name__ for v in FORMS])
def test_variants_keep_float32_pytrees_and_compile_once(make):
    params = {"a": jnp.ones(3, jnp.float32), "b": jnp.full((2, 2), -0.5, jnp.float32)}
    opt = make(learning_rate=0.01)
    traces = []

    @jax.jit
    def update(grads, state):
        traces.append(1)
        return opt.update(grads, state)

    state = opt.init(params)
    for _ in range(3):
        updates, state = update(params, state)
        params = gdlib.apply_updates(params, updates)
    assert len(traces) == 1
    assert all(x.dtype == jnp.float32 for x in jax.tree.leaves((params, updates)))


@pytest.mark.parametrize("make", FORMS, ids=[v.__name__ for v in FORMS])
def test_variants_check_their_hyperparameters(make):
    with pytest.raises(ValueError, match="learning_rate must be a finite number >= 0"):
        make(learning_rate=-1.0)
    with pytest.raises(ValueError, match="eps must be a finite number >= 0"):
        make(eps=-1e-8)
