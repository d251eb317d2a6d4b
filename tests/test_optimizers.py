"""Every optimizer against its independent references, by hand, and as a JAX citizen."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch
from jax import lax
from oracles import Problem, relative_difference, run_optax_shaped, run_torch

import gdlib
from gdlib.optim import forms
from gdlib.optim.combine import chain
from gdlib.optim.optimizers import BY_NAME

STEPS = 100
TOLERANCE = 1e-10


class Case(NamedTuple):
    name: str
    ours: Callable
    optax: Callable | None
    torch: Callable | None


# Hyperparameters are deliberately not the defaults, and eps is large enough that putting it
# inside instead of outside a square root (or mixing up b1 and b2) is far above the tolerance.
CASES = [
    Case("sgd", lambda: gdlib.sgd(0.05), lambda: optax.sgd(0.05),
         lambda p: torch.optim.SGD(p, lr=0.05, foreach=False)),
    Case("momentum", lambda: gdlib.momentum(0.05, momentum=0.8),
         lambda: optax.sgd(0.05, momentum=0.8),
         lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, foreach=False)),
    Case("nesterov", lambda: gdlib.nesterov(0.05, momentum=0.8),
         lambda: optax.sgd(0.05, momentum=0.8, nesterov=True),
         lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True, foreach=False)),
    Case("adagrad", lambda: gdlib.adagrad(0.3, eps=1e-2),
         lambda: optax.adagrad(0.3, initial_accumulator_value=0.0, eps=1e-2), None),
    Case("adadelta", lambda: gdlib.adadelta(rho=0.9, eps=1e-4),
         lambda: optax.adadelta(1.0, rho=0.9, eps=1e-4),
         lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.9, eps=1e-4, foreach=False)),
    Case("adadelta_lr", lambda: gdlib.adadelta(rho=0.8, eps=1e-3, learning_rate=0.5),
         lambda: optax.adadelta(0.5, rho=0.8, eps=1e-3),
         lambda p: torch.optim.Adadelta(p, lr=0.5, rho=0.8, eps=1e-3, foreach=False)),
    Case("rmsprop", lambda: gdlib.rmsprop(0.02, decay=0.8, eps=1e-2),
         lambda: optax.rmsprop(0.02, decay=0.8, eps=1e-2), None),
    Case("adam", lambda: gdlib.adam(0.05, b1=0.8, b2=0.95, eps=1e-3),
         lambda: optax.adam(0.05, b1=0.8, b2=0.95, eps=1e-3),
         lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.95), eps=1e-3, foreach=False)),
    Case("adamax", lambda: gdlib.adamax(0.05, b1=0.8, b2=0.95, eps=1e-3),
         lambda: optax.adamax(0.05, b1=0.8, b2=0.95, eps=1e-3),
         lambda p: torch.optim.Adamax(p, lr=0.05, betas=(0.8, 0.95), eps=1e-3, foreach=False)),
    Case("nadam", lambda: gdlib.nadam(0.05, b1=0.8, b2=0.95, eps=1e-3),
         lambda: optax.nadam(0.05, b1=0.8, b2=0.95, eps=1e-3),
         lambda p: torch.optim.NAdam(p, lr=0.05, betas=(0.8, 0.95), eps=1e-3,
                                     momentum_decay=float("inf"), foreach=False)),
]
IDS = [case.name for case in CASES]


@pytest.fixture(scope="module", params=[0, 1], ids=["problem0", "problem1"])
def problem(request):
    return Problem(seed=request.param)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_equals_optax(case, problem, x64):
    ours = run_optax_shaped(case.ours(), problem, STEPS)
    reference = run_optax_shaped(case.optax(), problem, STEPS, apply=optax.apply_updates)
    assert np.max(np.abs(ours[-1] - ours[0])) > 0.1, "the run must move to test anything"
    assert relative_difference(ours, reference) < TOLERANCE


@pytest.mark.parametrize("case", [c for c in CASES if c.torch], ids=[c.name for c in CASES
                                                                     if c.torch])
def test_equals_torch(case, problem, x64):
    ours = run_optax_shaped(case.ours(), problem, STEPS)
    assert relative_difference(ours, run_torch(case.torch, problem, STEPS)) < TOLERANCE


# Where the forms differ on purpose, the comparison must see it (so it could fail at all).
KNOWN_DIFFERENCES = [
    ("adagrad: eps outside the root in torch",
     lambda: gdlib.adagrad(0.3, eps=1e-2), lambda p: torch.optim.Adagrad(p, lr=0.3, eps=1e-2)),
    ("rmsprop: eps outside the root in torch",
     lambda: gdlib.rmsprop(0.02, decay=0.8, eps=1e-2),
     lambda p: torch.optim.RMSprop(p, lr=0.02, alpha=0.8, eps=1e-2)),
    ("nadam: torch's default momentum warm-up",
     lambda: gdlib.nadam(0.05), lambda p: torch.optim.NAdam(p, lr=0.05)),
]


@pytest.mark.parametrize("label,ours,theirs", KNOWN_DIFFERENCES,
                         ids=[d[0].split(":")[0] for d in KNOWN_DIFFERENCES])
def test_documented_differences_are_visible(label, ours, theirs, x64):
    problem = Problem(seed=0)
    ours = run_optax_shaped(ours(), problem, STEPS)
    assert relative_difference(ours, run_torch(theirs, problem, STEPS)) > 1e-4, label


def test_optax_default_adagrad_differs(x64):
    problem = Problem(seed=0)
    ours = run_optax_shaped(gdlib.adagrad(0.3, eps=1e-7), problem, STEPS)
    theirs = run_optax_shaped(optax.adagrad(0.3), problem, STEPS, apply=optax.apply_updates)
    assert relative_difference(ours, theirs) > 1e-3  # optax starts its accumulator at 0.1


def test_nesterov_is_the_slides_lookahead_form_after_a_change_of_variables(x64):
    problem = Problem(seed=1)
    params0 = problem.to_tree(problem.theta0)
    lr, gamma = 0.05, 0.8
    theta, v = gdlib.run_nesterov_lookahead(problem.loss_tree, params0, STEPS, lr, gamma)
    lookahead = jax.tree.map(lambda t, v: t - gamma * v, theta, v)
    flat = np.concatenate([np.asarray(x).reshape(STEPS + 1, -1)
                           for x in jax.tree.leaves(lookahead)], axis=1)
    practical = run_optax_shaped(gdlib.nesterov(lr, gamma), problem, STEPS)
    assert relative_difference(flat, practical) < TOLERANCE
    raw = np.concatenate([np.asarray(x).reshape(STEPS + 1, -1) for x in jax.tree.leaves(theta)],
                         axis=1)
    assert relative_difference(raw, practical) > 1e-3  # θ itself is not the oracle's iterate
    torch_run = run_torch(lambda p: torch.optim.SGD(p, lr=lr, momentum=gamma, nesterov=True),
                          problem, STEPS)
    assert relative_difference(flat, torch_run) < TOLERANCE


def test_gdlib_inside_optax_chain(x64):
    problem = Problem(seed=0)
    ours = run_optax_shaped(optax.chain(optax.clip(0.5), gdlib.adam(0.05)), problem, STEPS,
                            apply=optax.apply_updates)
    theirs = run_optax_shaped(optax.chain(optax.clip(0.5), optax.adam(0.05)), problem, STEPS,
                              apply=optax.apply_updates)
    assert relative_difference(ours, theirs) < TOLERANCE


# ----------------------------------------------------------------------------- by hand


def test_sgd_first_two_steps_by_hand(x64):
    # J(θ) = θ², g = 2θ, η = 0.1: θ = 3 → 3 - 0.6 = 2.4 → 2.4 - 0.48 = 1.92
    opt, theta = gdlib.sgd(0.1), jnp.array(3.0)
    state = opt.init(theta)
    expected = [2.4, 1.92]
    for want in expected:
        updates, state = opt.update(2 * theta, state)
        theta = gdlib.apply_updates(theta, updates)
        assert float(theta) == pytest.approx(want, rel=1e-14)


def test_momentum_first_two_steps_by_hand(x64):
    # J(θ) = θ², η = 0.1, γ = 0.9, θ0 = 3:
    # v1 = 0.1·6 = 0.6, θ1 = 2.4; v2 = 0.9·0.6 + 0.1·4.8 = 1.02, θ2 = 1.38
    opt, theta = gdlib.momentum(0.1, momentum=0.9), jnp.array(3.0)
    state = opt.init(theta)
    for want_theta, want_v in [(2.4, 0.6), (1.38, 1.02)]:
        updates, state = opt.update(2 * theta, state)
        theta = gdlib.apply_updates(theta, updates)
        assert float(theta) == pytest.approx(want_theta, rel=1e-14)
        assert float(state.velocity) == pytest.approx(want_v, rel=1e-14)


def test_schedule_drives_the_learning_rate(x64):
    # η_t = 0.1 / (1 + t) with t = 0, 1, 2 for updates 1, 2, 3; constant gradient 1.
    opt = gdlib.sgd(lambda count: 0.1 / (1 + count))
    state, total = opt.init(jnp.zeros(())), 0.0
    for _ in range(3):
        updates, state = opt.update(jnp.ones(()), state)
        total += float(updates)
    assert total == pytest.approx(-(0.1 + 0.05 + 0.1 / 3), rel=1e-14)


def test_momentum_with_a_schedule_keeps_the_rate_inside_the_velocity(x64):
    # Ruder's form v_t = γ v_{t-1} + η_t g_t, checked against a plain loop; optax (rate
    # outside the velocity) differs once the rate changes.
    schedule = lambda count: 0.1 * 0.5**count  # noqa: E731
    opt, theta, v = gdlib.momentum(schedule, 0.9), 2.0, 0.0
    params, state = jnp.array(theta), opt.init(jnp.array(theta))
    for t in range(5):
        v = 0.9 * v + schedule(t) * 2 * theta
        theta = theta - v
        updates, state = opt.update(2 * params, state)
        params = gdlib.apply_updates(params, updates)
        assert float(params) == pytest.approx(theta, rel=1e-13)


# ----------------------------------------------------------------------------- as JAX code


@pytest.mark.parametrize("name", list(BY_NAME))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_state_and_dtype_are_stable_and_update_compiles_once(name, dtype, x64):
    params = {"a": jnp.ones((3,), dtype), "b": jnp.full((2, 2), -0.5, dtype)}
    opt = BY_NAME[name](learning_rate=lambda count: 0.01 / (1.0 + np.float64(0.1) * count))
    traces = []

    def update(grads, state, params):
        traces.append(1)
        return opt.update(grads, state, params)

    update = jax.jit(update)
    state = opt.init(params)
    structure = jax.tree.map(lambda x: (x.shape, x.dtype), state)
    for _ in range(3):
        updates, state = update(params, state, params)
        assert jax.tree.map(lambda x: (x.shape, x.dtype), state) == structure
        assert all(u.dtype == jnp.dtype(dtype) for u in jax.tree.leaves(updates))
        params = gdlib.apply_updates(params, updates)
    assert len(traces) == 1
    assert all(p.dtype == jnp.dtype(dtype) for p in jax.tree.leaves(params))


@pytest.mark.parametrize("name", list(BY_NAME))
def test_vmap_over_problems_equals_a_loop(name):
    opt = BY_NAME[name]()
    thetas = jnp.array([[1.0, -2.0], [0.5, 0.25], [3.0, 0.0]])

    def five_steps(theta):
        state = opt.init(theta)
        for _ in range(5):
            updates, state = opt.update(2 * theta * jnp.array([1.0, 10.0]), state, theta)
            theta = gdlib.apply_updates(theta, updates)
        return theta

    batched = jax.vmap(five_steps)(thetas)
    looped = jnp.stack([five_steps(t) for t in thetas])
    np.testing.assert_allclose(batched, looped, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", list(BY_NAME))
def test_grad_through_the_optimizer_matches_finite_differences(name, x64):
    """d(final loss)/d(learning rate): the optimizer is differentiable in its hyperparameters."""
    loss = lambda theta: jnp.sum(jnp.array([1.0, 5.0]) * theta**2)  # noqa: E731

    def final_loss(lr):
        opt = BY_NAME[name](learning_rate=lr)
        theta = jnp.array([1.0, -1.0])
        state = opt.init(theta)
        for _ in range(10):
            updates, state = opt.update(jax.grad(loss)(theta), state, theta)
            theta = gdlib.apply_updates(theta, updates)
        return loss(theta)

    lr = 0.9 if name == "adadelta" else 0.01
    exact = jax.grad(final_loss)(lr)
    h = 1e-6 * lr
    numeric = (final_loss(lr + h) - final_loss(lr - h)) / (2 * h)
    assert math.isfinite(float(exact))
    assert float(exact) == pytest.approx(float(numeric), rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("name", ["adagrad", "rmsprop", "adam", "adamax", "nadam"])
def test_eps_zero_and_a_zero_gradient_is_no_nan(name):
    opt = BY_NAME[name](eps=0.0)
    theta = jnp.array([1.0, 0.0])
    updates, _ = opt.update(jnp.array([2.0, 0.0]), opt.init(theta))
    assert bool(jnp.all(jnp.isfinite(updates)))
    assert float(updates[1]) == 0.0


# ----------------------------------------------------------------------------- convergence


@pytest.mark.parametrize("name,kwargs,steps", [
    ("sgd", dict(learning_rate=0.15), 300),
    ("momentum", dict(learning_rate=0.05, momentum=0.9), 300),
    ("nesterov", dict(learning_rate=0.05, momentum=0.9), 300),
    ("adagrad", dict(learning_rate=1.0), 300),
    ("adadelta", dict(rho=0.95, eps=1e-4), 2000),
    ("rmsprop", dict(learning_rate=0.02), 500),
    ("adam", dict(learning_rate=0.1), 500),
    ("adamax", dict(learning_rate=0.1), 500),
    ("nadam", dict(learning_rate=0.1), 500),
])
def test_converges_on_an_ill_conditioned_bowl(name, kwargs, steps):
    bowl = gdlib.problems.surfaces.quadratic_bowl(condition_number=10.0)
    run = gdlib.run(BY_NAME[name](**kwargs), bowl, jnp.asarray(bowl.start, jnp.float32), steps)
    assert not bool(run.diverged)
    assert float(run.losses[-1]) < 1e-3 * float(run.losses[0])


# ----------------------------------------------------------------------------- defaults


PAPER_DEFAULTS = {
    "sgd": dict(learning_rate=0.01),
    "momentum": dict(learning_rate=0.01, momentum=0.9),  # Ruder: γ usually 0.9
    "nesterov": dict(learning_rate=0.01, momentum=0.9),
    "adagrad": dict(learning_rate=0.01, eps=1e-8),  # Ruder: η = 0.01, ε ≈ 1e-8
    "adadelta": dict(rho=0.95, eps=1e-6, learning_rate=1.0),  # Zeiler's experiments
    "rmsprop": dict(learning_rate=0.001, decay=0.9, eps=1e-8),  # Hinton / Ruder
    "adam": dict(learning_rate=0.001, b1=0.9, b2=0.999, eps=1e-8),  # Kingma & Ba
    "adamax": dict(learning_rate=0.002, b1=0.9, b2=0.999, eps=1e-8),  # Kingma & Ba, §7.1
    "nadam": dict(learning_rate=0.002, b1=0.9, b2=0.999, eps=1e-8),  # Dozat
}


@pytest.mark.parametrize("name", list(BY_NAME))
def test_defaults_are_the_papers(name):
    signature = inspect.signature(BY_NAME[name])
    assert {k: p.default for k, p in signature.parameters.items()} == PAPER_DEFAULTS[name]


# ----------------------------------------------------------------------------- peers' cases
# Cases from optax's and PyTorch's own tests that gdlib failed before (issue 16, item 1).

SECOND_MOMENTS = {"sum_sq_grad", "avg_sq_grad", "avg_sq_delta", "nu"}
COMPLEX_RATES = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 1.0, "adadelta": 1.0,
                 "rmsprop": 0.05, "adam": 0.1, "adamax": 0.1, "nadam": 0.1}


@pytest.mark.parametrize("name", ["adagrad", "rmsprop", "adam", "nadam", "adadelta"])
def test_second_moments_average_the_squared_modulus_of_a_complex_gradient(name, x64):
    # A first step on g = 3 + 4i: the accumulator holds |g|^2 = 25 (weighted), never g^2 =
    # -7 + 24i, and the update points along g (it is not a real number of size η).
    opt = BY_NAME[name]()
    g = jnp.array([3.0 + 4.0j])
    updates, state = opt.update(g, opt.init(jnp.zeros(1, jnp.complex128)))
    moments = {k: v for k, v in state._asdict().items() if k in SECOND_MOMENTS}
    assert moments and all(v.dtype == jnp.float64 and float(v[0]) > 0 for v in moments.values())
    direction = updates[0] / abs(updates[0])
    assert complex(direction) == pytest.approx(-(3 + 4j) / 5, abs=1e-12)


def test_adams_first_complex_step_has_size_eta_along_the_gradient(x64):
    opt = gdlib.adam(0.1, eps=0.0)
    updates, _ = opt.update(jnp.array([3.0 + 4.0j, -1.0j]), opt.init(jnp.zeros(2, jnp.complex128)))
    np.testing.assert_allclose(np.asarray(updates), [-0.1 * (3 + 4j) / 5, 0.1j], atol=1e-15)


@pytest.mark.parametrize("name", list(BY_NAME))
def test_complex_parameters_descend_a_complex_parabola(name, x64):
    # optax's alias_test: the optimizer is given the conjugate of JAX's gradient.
    target = jnp.array([1.0, -1.0, 1.0]) * (1 + 1j)
    loss = lambda p: jnp.sum(jnp.abs(p - target) ** 2)  # noqa: E731
    extra = {"adadelta": dict(rho=0.9, eps=1e-4)}.get(name, {})
    opt = BY_NAME[name](learning_rate=COMPLEX_RATES[name], **extra)

    @jax.jit
    def descend(params):
        def step(carry, _):
            params, state = carry
            updates, state = opt.update(jnp.conj(jax.grad(loss)(params)), state, params)
            return (gdlib.apply_updates(params, updates), state), None

        return lax.scan(step, (params, opt.init(params)), length=1000)[0][0]

    params = descend(jnp.array([-1.0, 10.0, 1.0], jnp.complex128))
    assert params.dtype == jnp.complex128
    np.testing.assert_allclose(params, target, rtol=3e-2, atol=3e-2)


@pytest.mark.parametrize("name", list(BY_NAME))
def test_update_takes_optaxs_extra_arguments(name):
    opt = BY_NAME[name]()
    theta = jnp.ones(2)
    plain, _ = jax.jit(opt.update)(theta, opt.init(theta), theta)
    extra, _ = jax.jit(opt.update)(theta, opt.init(theta), theta, value=jnp.array(1.0),
                                   unexpected_extra_args_your_optimizer_doesnt_expect=1)
    np.testing.assert_array_equal(extra, plain)
    eager, _ = opt.update(theta, opt.init(theta), theta, value=1.0)
    np.testing.assert_allclose(eager, plain, rtol=1e-6)


def test_chain_forwards_extra_arguments_to_parts_that_take_them():
    seen = []

    def update(grads, state, params=None, **extra_args):
        seen.append(extra_args)
        return grads, state

    spy = gdlib.GradientTransformation(lambda params: (), update)
    plain = gdlib.GradientTransformation(lambda params: (), lambda g, s, p=None: (g, s))
    opt = chain(spy, plain, gdlib.sgd(1.0))
    updates, _ = opt.update(jnp.ones(1), opt.init(jnp.ones(1)), None, value=3.0)
    assert seen == [{"value": 3.0}] and updates.tolist() == [-1.0]


@pytest.mark.parametrize("name", list(BY_NAME))
@pytest.mark.parametrize("value", [jnp.array([1e-3, 1e-3]), np.full((1,), 1e-3), [1e-3, 1e-3]])
def test_a_hyperparameter_that_is_not_a_number_outside_a_sweep_is_refused(name, value):
    # sgd(jnp.array([1e-3, 1e-3])) used to broadcast scalar parameters to shape (2,).
    with pytest.raises(ValueError, match=r"learning_rate must be one number, got an array of "
                                         r"shape \((2|1),\)"):
        BY_NAME[name](learning_rate=value)


def test_a_non_scalar_hyperparameter_is_refused_when_traced_too():
    with pytest.raises(ValueError, match=r"b1 must be one number, got an array of shape \(3,\)"):
        jax.jit(lambda b1: gdlib.adam(b1=b1).init(jnp.zeros(2)).mu)(jnp.full(3, 0.5))
    with pytest.raises(ValueError, match="decay_rate must be one number"):
        gdlib.schedules.exponential(0.1, decay_rate=np.array([0.1, 0.2]))


def test_a_sweep_still_takes_arrays_of_hyperparameters():
    runs = gdlib.sweep(lambda learning_rate, decay_rate: gdlib.momentum(
        gdlib.schedules.exponential(learning_rate, decay_rate), 0.5),
        lambda theta: jnp.sum(theta**2), jnp.ones(2), 10,
        learning_rate=[0.1, 0.2], decay_rate=[0.0, 0.1])
    assert runs.losses.shape == (2, 11) and not bool(jnp.any(runs.diverged))


def _meta_loss(name, lr, theta0, steps=10):
    # Coordinate 2's loss is flat: its gradient stays exactly 0, so its accumulators stay 0.
    loss = lambda theta: jnp.sum(jnp.array([1.0, 5.0, 0.0]) * theta**2)  # noqa: E731
    opt = BY_NAME[name](learning_rate=lr, **META_KWARGS.get(name, {}))
    theta, state = theta0, opt.init(theta0)
    for _ in range(steps):
        updates, state = opt.update(jax.grad(loss)(theta), state, theta)
        theta = gdlib.apply_updates(theta, updates)
    return loss(theta)


# Adagrad and RMSprop at ε = 0 (a zero accumulator under the square root); the others at their
# default ε, where Adam's and Nadam's sqrt(v̂) + ε still had an infinite derivative at v̂ = 0.
META_KWARGS = {"adagrad": dict(eps=0.0), "rmsprop": dict(eps=0.0)}
META_RATES = {"adadelta": 0.9}


@pytest.mark.parametrize("name", list(BY_NAME))
def test_meta_gradients_with_a_coordinate_whose_gradient_stays_zero(name, x64):
    lr = META_RATES.get(name, 0.01)
    theta0 = jnp.array([1.0, -1.0, 0.5])
    d_lr, d_theta0 = jax.grad(lambda lr, t: _meta_loss(name, lr, t), argnums=(0, 1))(lr, theta0)
    assert bool(jnp.isfinite(d_lr)) and bool(jnp.all(jnp.isfinite(d_theta0)))
    h = 1e-6 * lr
    numeric = (_meta_loss(name, lr + h, theta0) - _meta_loss(name, lr - h, theta0)) / (2 * h)
    assert float(d_lr) == pytest.approx(float(numeric), rel=1e-5, abs=1e-9)
    for i in range(2):  # the coordinates that move; the flat one has derivative 0
        e = jnp.zeros(3).at[i].set(1e-6)
        numeric = (_meta_loss(name, lr, theta0 + e) - _meta_loss(name, lr, theta0 - e)) / 2e-6
        assert float(d_theta0[i]) == pytest.approx(float(numeric), rel=1e-5, abs=1e-8)
    assert float(d_theta0[2]) == 0.0


@pytest.mark.parametrize("name", list(BY_NAME) + ["adam_eps_inside", "nadam_ruder",
                                                  "nadam_warmup"])
def test_float32_updates_are_the_same_eagerly_and_under_jit(name):
    # The bias correction 1 - β2^t was computed by repeated multiplication eagerly and through
    # exp/log under jit (an integer t): float32 Adam's and Nadam's updates differed by 1e-5.
    factory = BY_NAME.get(name) or getattr(forms, name)
    opt = factory(learning_rate=0.01)
    g = jnp.array([0.3, -1.0, 2.0, 1e-3], jnp.float32)
    eager = compiled = opt.init(jnp.zeros(4, jnp.float32))
    update = jax.jit(opt.update)
    for t in range(100):
        u_eager, eager = opt.update(g * (1 + 0.01 * t), eager)
        u_jit, compiled = update(g * (1 + 0.01 * t), compiled)
        # 2e-6: a few float32 roundings (XLA fuses a * b + c under jit); it was 1e-5
        np.testing.assert_allclose(u_eager, u_jit, rtol=2e-6, atol=0)


# Found by mutation testing (tests/mutation): the step counter that schedules read, Adadelta's
# eps range, and the derivative of the guarded square root at zero.

@pytest.mark.parametrize("name", list(BY_NAME))
def test_the_state_counts_the_updates_made(name):
    """``state.count`` is the number of updates so far: a schedule reads it (eta_t = s(t))."""
    optimizer = BY_NAME[name]()
    params = {"w": jnp.array([1.0, -2.0])}
    state = optimizer.init(params)
    assert int(state.count) == 0
    for made in range(1, 4):
        _, state = optimizer.update({"w": jnp.array([0.5, 0.25])}, state, params)
        assert int(state.count) == made


@pytest.mark.parametrize("eps", [0.0, -0.5])
def test_adadelta_refuses_an_eps_that_is_not_positive(eps):
    with pytest.raises(ValueError, match="eps"):
        gdlib.adadelta(eps=eps)


def test_the_guarded_square_root_has_derivative_zero_at_zero_and_sqrt_s_elsewhere():
    from gdlib.optim.optimizers import _sqrt

    value, slope = jax.jvp(_sqrt, (jnp.float32(0.0),), (jnp.float32(1.0),))
    assert float(value) == 0.0 and float(slope) == 0.0
    value, slope = jax.jvp(_sqrt, (jnp.float32(4.0),), (jnp.float32(1.0),))
    assert float(value) == 2.0 and float(slope) == 0.25
