"""Tests for gdlib.optim.schedules: optax and PyTorch as oracles, tracing, and argument checks."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

from gdlib.optim import schedules

pytestmark = pytest.mark.filterwarnings("error")

ETA0 = 0.1
K = 0.1
STEPS = 50
EVERY = 7
DROP = 0.5

# name -> (gdlib schedule, optax schedule, torch scheduler factory taking the optimizer)
ORACLES = {
    "constant": (
        lambda: schedules.constant(ETA0),
        lambda: optax.constant_schedule(ETA0),
        lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1.0),
    ),
    "time_based": (
        lambda: schedules.time_based(ETA0, K),
        lambda: lambda count: ETA0 / (1 + K * count),
        lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1 / (1 + K * t)),
    ),
    "exponential": (
        lambda: schedules.exponential(ETA0, K),
        lambda: optax.exponential_decay(ETA0, transition_steps=1, decay_rate=math.exp(-K)),
        lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=math.exp(-K)),
    ),
    "step_decay": (
        lambda: schedules.step_decay(ETA0, drop=DROP, every=EVERY),
        lambda: optax.exponential_decay(ETA0, EVERY, DROP, staircase=True),
        lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=EVERY, gamma=DROP),
    ),
}
NAMES = list(ORACLES)


def torch_learning_rates(make_scheduler, steps: int = STEPS) -> np.ndarray:
    """The learning rate PyTorch uses for each of ``steps`` updates, stepping once per update."""
    param = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([param], lr=ETA0)
    scheduler = make_scheduler(opt)
    rates = []
    for _ in range(steps):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()  # before scheduler.step(), as PyTorch asks
        scheduler.step()
    return np.array(rates)


@pytest.mark.parametrize("name", NAMES)
def test_matches_optax(name):
    ours, theirs, _ = ORACLES[name]
    counts = jnp.arange(STEPS)
    # optax works in float32; exponential_decay raises float32(exp(-K)) to the power t, which
    # is off by up to t * 2**-24 relative (6.8e-7 here, at t = 49), ours by 2.6e-7.
    expected = np.array([theirs()(count) for count in counts])
    np.testing.assert_allclose(ours()(counts), expected, rtol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_matches_torch_in_float64(name):
    ours, _, make_scheduler = ORACLES[name]
    with jax.enable_x64(True):
        rates = ours()(np.arange(STEPS))
        assert rates.dtype == jnp.float64
    np.testing.assert_allclose(rates, torch_learning_rates(make_scheduler), rtol=1e-12, atol=0)


def test_closed_forms_in_float64():
    t = np.arange(STEPS, dtype=float)
    with jax.enable_x64(True):
        np.testing.assert_allclose(schedules.time_based(ETA0, K)(t), ETA0 / (1 + K * t), rtol=1e-15)
        np.testing.assert_allclose(
            schedules.exponential(ETA0, K)(t), ETA0 * np.exp(-K * t), rtol=1e-14
        )
        # The slides' form gamma0 * exp(-k floor(t / T)) is step_decay with drop = exp(-k).
        np.testing.assert_allclose(
            schedules.step_decay(ETA0, drop=math.exp(-K), every=EVERY)(t),
            ETA0 * np.exp(-K * np.floor(t / EVERY)),
            rtol=1e-14,
        )


def test_step_decay_slides_default_halves_every_ten():
    rates = schedules.step_decay(0.01)(np.array([0, 9, 10, 19, 20, 29, 30]))
    np.testing.assert_allclose(rates, [0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025, 0.00125])


def test_zero_decay_keeps_the_initial_rate():
    counts = np.arange(STEPS)
    for schedule in (
        schedules.time_based(ETA0, 0.0),
        schedules.exponential(ETA0, 0.0),
        schedules.step_decay(ETA0, drop=1.0, every=1),
    ):
        np.testing.assert_array_equal(schedule(counts), np.float32(ETA0))


@pytest.mark.parametrize("name", NAMES)
def test_numpy_arange_gives_the_whole_curve(name):
    schedule = ORACLES[name][0]()
    curve = schedule(np.arange(STEPS))
    assert curve.shape == (STEPS,)
    np.testing.assert_array_equal(curve, [schedule(t) for t in range(STEPS)])


@pytest.mark.parametrize("name", NAMES)
def test_jit_vmap_and_scan_with_int32_counter(name):
    schedule = ORACLES[name][0]()
    expected = np.array([schedule(t) for t in range(STEPS)])
    jitted = jax.jit(schedule)
    assert all(jitted(jnp.int32(t)) == expected[t] for t in (0, 1, EVERY, STEPS - 1))
    counts = jnp.arange(STEPS, dtype=jnp.int32)
    np.testing.assert_allclose(jax.jit(jax.vmap(schedule))(counts), expected, rtol=1e-6)

    def body(count, _):
        return count + 1, schedule(count)

    _, rates = jax.lax.scan(body, jnp.int32(0), length=STEPS)
    np.testing.assert_allclose(rates, expected, rtol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_rate_is_weakly_typed_so_float32_stays_float32(name):
    schedule = ORACLES[name][0]()
    grad = jnp.ones(3, dtype=jnp.float32)
    with jax.enable_x64(True):
        assert (schedule(jnp.int32(3)) * grad).dtype == jnp.float32
        assert (jax.jit(schedule)(jnp.int32(3)) * grad).dtype == jnp.float32
        assert schedule(3).dtype == jnp.float64
    assert schedule(3).dtype == jnp.float32


def test_sweep_over_traced_decay_rates():
    decay_rates = jnp.array([0.0, 0.1, 0.5])
    rates = jax.vmap(lambda k: schedules.exponential(ETA0, k)(10))(decay_rates)
    np.testing.assert_allclose(rates, ETA0 * np.exp(-10 * np.array([0.0, 0.1, 0.5])), rtol=1e-6)


def test_torch_adagrad_lr_decay_is_time_based():
    """``torch.optim.Adagrad(lr_decay=k)`` runs Adagrad with the time-based learning rate."""
    curvature = np.array([1.0, 3.0, 10.0])
    start = np.array([1.0, -2.0, 0.5])
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adagrad([param], lr=ETA0, lr_decay=K, eps=1e-10, foreach=False)
    with jax.enable_x64(True):
        rates = np.asarray(schedules.time_based(ETA0, K)(np.arange(STEPS)))
    theta, accumulator = start.copy(), np.zeros(3)
    for t in range(STEPS):
        opt.zero_grad()
        (0.5 * (torch.tensor(curvature) * param**2).sum()).backward()
        opt.step()
        grad = curvature * theta
        accumulator += grad**2
        theta = theta - rates[t] * grad / (np.sqrt(accumulator) + 1e-10)
        np.testing.assert_allclose(param.detach().numpy(), theta, rtol=1e-12, atol=1e-15)


BAD_ARGUMENTS = [
    # (factory, keyword arguments, error, parameter named in the message)
    (schedules.constant, {"value": -0.1}, ValueError, "value"),
    (schedules.constant, {"value": math.inf}, ValueError, "value"),
    (schedules.constant, {"value": math.nan}, ValueError, "value"),
    (schedules.constant, {"value": "0.1"}, TypeError, "value"),
    (schedules.constant, {"value": None}, TypeError, "value"),
    (schedules.constant, {"value": True}, TypeError, "value"),
    (schedules.time_based, {"init_value": -0.1, "decay_rate": K}, ValueError, "init_value"),
    (schedules.time_based, {"init_value": math.inf, "decay_rate": K}, ValueError, "init_value"),
    (schedules.time_based, {"init_value": ETA0, "decay_rate": -0.1}, ValueError, "decay_rate"),
    (schedules.time_based, {"init_value": ETA0, "decay_rate": math.nan}, ValueError, "decay_rate"),
    (schedules.time_based, {"init_value": ETA0, "decay_rate": "0.1"}, TypeError, "decay_rate"),
    (schedules.time_based, {"init_value": None, "decay_rate": K}, TypeError, "init_value"),
    (schedules.exponential, {"init_value": -0.1, "decay_rate": K}, ValueError, "init_value"),
    (schedules.exponential, {"init_value": ETA0, "decay_rate": -0.1}, ValueError, "decay_rate"),
    (schedules.exponential, {"init_value": ETA0, "decay_rate": math.inf}, ValueError, "decay_rate"),
    (schedules.exponential, {"init_value": ETA0, "decay_rate": None}, TypeError, "decay_rate"),
    (schedules.exponential, {"init_value": ETA0, "decay_rate": False}, TypeError, "decay_rate"),
    (schedules.step_decay, {"init_value": -0.01}, ValueError, "init_value"),
    (schedules.step_decay, {"init_value": "0.01"}, TypeError, "init_value"),
    (schedules.step_decay, {"init_value": 0.01, "drop": 0.0}, ValueError, "drop"),
    (schedules.step_decay, {"init_value": 0.01, "drop": -0.5}, ValueError, "drop"),
    (schedules.step_decay, {"init_value": 0.01, "drop": 1.5}, ValueError, "drop"),
    (schedules.step_decay, {"init_value": 0.01, "drop": math.nan}, ValueError, "drop"),
    (schedules.step_decay, {"init_value": 0.01, "drop": "0.5"}, TypeError, "drop"),
    (schedules.step_decay, {"init_value": 0.01, "every": 0}, ValueError, "every"),
    (schedules.step_decay, {"init_value": 0.01, "every": -10}, ValueError, "every"),
    (schedules.step_decay, {"init_value": 0.01, "every": 2.5}, TypeError, "every"),
    (schedules.step_decay, {"init_value": 0.01, "every": 10.0}, TypeError, "every"),
    (schedules.step_decay, {"init_value": 0.01, "every": "10"}, TypeError, "every"),
    (schedules.step_decay, {"init_value": 0.01, "every": None}, TypeError, "every"),
    (schedules.step_decay, {"init_value": 0.01, "every": True}, TypeError, "every"),
]


@pytest.mark.parametrize("factory, kwargs, error, name", BAD_ARGUMENTS)
def test_bad_arguments_are_refused_with_the_parameter_named(factory, kwargs, error, name):
    with pytest.raises(error, match=rf"^{name} must be"):
        factory(**kwargs)


def test_value_error_names_the_value_and_the_range():
    with pytest.raises(ValueError, match=r"decay_rate must be a finite number >= 0, got -0\.5"):
        schedules.exponential(ETA0, decay_rate=-0.5)
    with pytest.raises(ValueError, match=r"drop must be in \(0\.0, 1\.0\], got 1\.5"):
        schedules.step_decay(ETA0, drop=1.5)
    with pytest.raises(ValueError, match=r"every must be a whole number >= 1, got 0"):
        schedules.step_decay(ETA0, every=0)


def test_numpy_integer_period_is_accepted():
    rates = schedules.step_decay(ETA0, every=np.int64(2))(np.arange(4))
    np.testing.assert_allclose(rates, [ETA0, ETA0, ETA0 / 2, ETA0 / 2])
