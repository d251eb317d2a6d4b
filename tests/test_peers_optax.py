"""optax's own optimizer tests, run on gdlib with their assertions unchanged (issue 16, item 1).

The tests come from the optax wheel this repository pins (``optax/_src/alias_test.py``,
``update_test.py``, ``float64_test.py``, ``transform_test.py``, ``sharding_test.py``). Each is
restated here in pytest form: the same problems, steps, dtypes and tolerances, with optax's own
assertion helpers (``optax._src.test_utils``); only the optimizer under test changes, from the
optax optimizer to the gdlib one with the same hyperparameters (optax's defaults written out
where gdlib's differ). A test or a case that cannot apply to gdlib says why, in
:data:`NOT_APPLICABLE` or in the case list; :func:`test_every_optax_test_is_adapted_or_has_a_reason`
reads the wheel's test files and fails on a test that is neither adapted nor explained.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
import pytest
from jax import lax
from optax._src import test_utils

import gdlib
from gdlib.optim.optimizers import BY_NAME
from gdlib.train.compilation import QUICK_CPU_OPTIONS

OPTAX_TESTS = Path(optax.__file__).parent / "_src"

# optax's tests call jax.jit; here the same, with XLA's CPU backend told to optimize less
# (gdlib.train.compilation.QUICK_CPU_OPTIONS): these small programs run a few times, and
# compile several times faster so.
jit = functools.partial(jax.jit, compiler_options=QUICK_CPU_OPTIONS)


class Case(NamedTuple):
    """An entry of optax's ``_OPTIMIZERS_UNDER_TEST``, as the gdlib optimizer it equals."""

    id: str
    name: str  # gdlib's optimizer
    kwargs: dict[str, Any]
    optax_entry: str  # the optax entry it stands for
    default_learning_rate: bool = False  # optax's entry passes no learning rate


# optax's _OPTIMIZERS_UNDER_TEST, for the optimizers gdlib has. The other 25 (adabelief,
# adafactor, adamw, adan, amsgrad, fromage, lamb, lars, lion, nadamw, noisy_sgd, novograd, the
# optimistic methods, polyak_sgd, radam, rprop, sign_sgd, signum, sm3, yogi, ...) are not among
# the nine optimizers of Ruder's overview that gdlib implements.
CASES = [
    # optax.adadelta's defaults are rho=0.9, eps=1e-6 (gdlib's rho is Zeiler's 0.95).
    Case("adadelta", "adadelta", dict(learning_rate=0.1, rho=0.9, eps=1e-6),
         "{'opt_name': 'adadelta', 'opt_kwargs': {'learning_rate': 0.1}}"),
    # optax passes learning_rate=None (no scaling, which climbs the loss: see the spec); gdlib's
    # default is Zeiler's learning rate of 1.
    Case("adadelta_default", "adadelta", dict(rho=0.9, eps=1e-6),
         "{'opt_name': 'adadelta', 'opt_kwargs': {}}", default_learning_rate=True),
    # optax.adagrad's eps is 1e-7; its accumulator starts at 0.1 (TensorFlow's convention),
    # gdlib's at 0 (Duchi et al., Ruder): the one difference left.
    Case("adagrad", "adagrad", dict(learning_rate=1.0, eps=1e-7),
         "{'opt_name': 'adagrad', 'opt_kwargs': {'learning_rate': 1.0}}"),
    Case("adam", "adam", dict(learning_rate=1e-1),
         "{'opt_name': 'adam', 'opt_kwargs': {'learning_rate': 1e-1}}"),
    Case("adamax", "adamax", dict(learning_rate=1e-1),
         "{'opt_name': 'adamax', 'opt_kwargs': {'learning_rate': 1e-1}}"),
    Case("nadam", "nadam", dict(learning_rate=1e-2),
         "{'opt_name': 'nadam', 'opt_kwargs': {'learning_rate': 1e-2}}"),
    Case("rmsprop", "rmsprop", dict(learning_rate=5e-3),
         "{'opt_name': 'rmsprop', 'opt_kwargs': {'learning_rate': 5e-3}}"),
    # optax's rmsprop with momentum=0.9 has no gdlib twin: gdlib's RMSprop is Hinton's, without
    # momentum.
    Case("sgd_momentum", "momentum", dict(learning_rate=1e-3, momentum=0.9),
         "{'opt_name': 'sgd', 'opt_kwargs': {'learning_rate': 1e-3, 'momentum': 0.9}}"),
    # gdlib's other two forms of optax.sgd, with the same learning rate.
    Case("sgd", "sgd", dict(learning_rate=1e-3),
         "{'opt_name': 'sgd', 'opt_kwargs': {'learning_rate': 1e-3}} (plain)"),
    Case("sgd_nesterov", "nesterov", dict(learning_rate=1e-3, momentum=0.9),
         "{'opt_name': 'sgd', 'opt_kwargs': {'learning_rate': 1e-3, 'momentum': 0.9}} "
         "(nesterov=True)"),
]
IDS = [case.id for case in CASES]
OPTAX_ENTRIES = [case for case in CASES if case.id not in ("sgd", "sgd_nesterov")]
# The tests other than test_optimization build the same Adadelta for both of optax's entries.
DISTINCT = [case for case in CASES if case.id != "adadelta_default"]
DISTINCT_IDS = [case.id for case in DISTINCT]


def make(case: Case):
    return BY_NAME[case.name](**case.kwargs)


def abs_sq(x):
    """optax's ``numerics.abs_sq``: |x|^2, real."""
    return (x.conj() * x).real


def _setup_parabola(dtype):
    """Quadratic function as an optimization target (optax's alias_test)."""
    initial_params = jnp.array([-1.0, 10.0, 1.0], dtype=dtype)
    final_params = jnp.array([1.0, -1.0, 1.0], dtype=dtype)
    if jnp.iscomplexobj(dtype):
        final_params *= 1 + 1j

    def objective(params):
        return jnp.sum(abs_sq(params - final_params))

    return initial_params, final_params, objective


def _setup_rosenbrock(dtype):
    """Rosenbrock function as an optimization target (optax's alias_test)."""
    a = 1.0
    b = 100.0
    if jnp.iscomplexobj(dtype):
        a *= 1 + 1j
    initial_params = jnp.array([0.0, 0.0], dtype=dtype)
    final_params = jnp.array([a, a**2], dtype=dtype)

    def objective(params):
        return abs_sq(a - params[0]) + b * abs_sq(params[1] - params[0] ** 2)

    return initial_params, final_params, objective


# ----------------------------------------------------------------------------- alias_test.py


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.complex64], ids=["float32", "complex64"])
@pytest.mark.parametrize("target", [_setup_parabola, _setup_rosenbrock],
                         ids=["parabola", "rosenbrock"])
@pytest.mark.parametrize("case", OPTAX_ENTRIES, ids=[case.id for case in OPTAX_ENTRIES])
def test_optimization(case, target, dtype):
    """AliasTest.test_optimization: 10,000 steps reach the minimizer; no recompilation.

    For optax's own entries: gdlib.sgd and gdlib.nesterov at these rates are no optax entry, and
    ``optax.sgd(1e-3, momentum=0.9, nesterov=True)`` itself stalls at a loss of 0.18 on the
    complex Rosenbrock function after 10,000 steps (gdlib's Nesterov at 0.16). optax skips
    adadelta on complex parameters ("does not support complex parameters"); gdlib's Adadelta
    averages |g|^2 and |Δθ|^2 and reaches the complex parabola's minimizer, but on the complex
    Rosenbrock function it stalls at a loss of 0.37 after 10,000 steps and drifts up after
    (0.44 after 40,000): that one case keeps optax's skip.
    """
    if case.name == "adadelta" and target is _setup_rosenbrock and jnp.iscomplexobj(dtype):
        pytest.skip("optax's skip of adadelta on complex parameters: on the complex "
                    "Rosenbrock function it stalls at a loss of 0.37 (see the docstring)")
    opt = make(case)
    initial_params, final_params, objective = target(dtype)
    traces = []

    def step(params, state):
        traces.append(1)
        value, updates = jax.value_and_grad(objective)(params)
        # Complex gradients need to be conjugated before being added to parameters
        updates = jax.tree.map(lambda x: x.conj(), updates)
        updates, state = opt.update(updates, state, params)
        params = gdlib.apply_updates(params, updates)
        return params, state

    # optax calls the jitted step 10,000 times from Python; here the same step runs in one
    # compiled fori_loop (the same arithmetic, seconds faster), and the recompilation check
    # below calls the jitted step itself twice.
    @jit
    def optimize(params, state):
        return lax.fori_loop(0, 10000, lambda _, carry: step(*carry), (params, state))

    params, _ = optimize(initial_params, opt.init(initial_params))
    if case.default_learning_rate:
        pytest.skip("optax skips this assertion for adadelta with learning_rate=None: it "
                    "'needs a non-None learning rate for numerically stable optimization in "
                    "practice'")
    test_utils.assert_trees_all_close(params, final_params, rtol=3e-2, atol=3e-2)

    # 'Test that the optimizer doesn't recompile on 2nd call'
    jitted, traces[:] = jit(step), []
    params, state = jitted(initial_params, opt.init(initial_params))
    with test_utils.log_compilations() as compilation_logs:
        _ = jitted(params, state)
    assert not compilation_logs and len(traces) == 1, \
        'Optimizer recompiles on second call to "update".'


@pytest.mark.parametrize("case", DISTINCT, ids=DISTINCT_IDS)
def test_optimizers_accept_extra_args(case):
    """AliasTest.test_optimizers_accept_extra_args (without optax.with_extra_args_support)."""
    opt = make(case)
    initial_params, _, objective = _setup_rosenbrock(jnp.float32)

    @jit
    def step(params, state):
        value, updates = jax.value_and_grad(objective)(params)
        update_kwargs = {"unexpected_extra_args_your_optimizer_doesnt_expect": 1}
        updates, state = opt.update(updates, state, params, **update_kwargs)
        params = gdlib.apply_updates(params, updates)
        return params, state

    params = initial_params
    state = opt.init(params)
    for _ in range(2):
        params, state = step(params, state)


@pytest.mark.parametrize("case", DISTINCT, ids=DISTINCT_IDS)
def test_optimizers_can_be_wrapped_in_inject_hyperparams(case):
    """AliasTest.test_optimizers_can_be_wrapped_in_inject_hyperparams (optax issue 412)."""
    opt = make(case)
    opt_inject = optax.inject_hyperparams(BY_NAME[case.name])(**case.kwargs)

    params = [jnp.negative(jnp.ones((2, 3))), jnp.ones((2, 5, 2))]
    grads = [jnp.ones((2, 3)), jnp.negative(jnp.ones((2, 5, 2)))]

    state = jit(opt.init)(params)
    updates, new_state = jit(opt.update)(grads, state, params)

    state_inject = jit(opt_inject.init)(params)
    updates_inject, new_state_inject = jit(opt_inject.update)(grads, state_inject, params)

    test_utils.assert_trees_all_close(updates_inject, updates, rtol=1e-3)
    test_utils.assert_trees_all_close(
        optax.tree.unwrap_random_key_data(new_state_inject.inner_state),
        optax.tree.unwrap_random_key_data(new_state), rtol=1e-4)


@pytest.mark.parametrize("dtype", ["bfloat16", "float32"])
@pytest.mark.parametrize("case", DISTINCT, ids=DISTINCT_IDS)
def test_preserve_dtype(case, dtype):
    """AliasTest.test_preserve_dtype: updates have the gradients' dtype."""
    dtype = jnp.dtype(dtype)
    opt = make(case)
    fun = lambda x: jnp.sum(x**2)  # noqa: E731

    params = jnp.array([1.0, 2.0], dtype=dtype)
    grads = jax.grad(fun)(params)
    state = jit(opt.init)(params)
    updates, _ = jit(opt.update)(grads, state, params)
    assert updates.dtype == grads.dtype


STABILITY_DTYPES = [jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64, jnp.complex64,
                    jnp.complex128]


@pytest.mark.parametrize("dtype", STABILITY_DTYPES, ids=lambda d: jnp.dtype(d).name)
@pytest.mark.parametrize("case", DISTINCT, ids=DISTINCT_IDS)
def test_state_shape_dtype_shard_stability(case, dtype):
    """AliasTest.test_state_shape_dtype_shard_stability: state types survive ``lax.cond``.

    optax skips adadelta for complex dtypes; gdlib's Adadelta takes complex parameters.
    """
    with jax.enable_x64(dtype in (jnp.float64, jnp.complex128)):
        opt = make(case)
        initial_params, _, objective = _setup_parabola(dtype)

        @jit
        def step(params, state):
            value, updates = jax.value_and_grad(objective)(params)
            updates = jax.tree.map(lambda x: x.conj(), updates)
            # defeat compiler optimization, use lax.cond to check for stability
            cond = jax.random.randint(jax.random.key(0), (), 0, 2) == 0
            updates, state = lax.cond(cond, lambda: opt.update(updates, state, params),
                                      lambda: (params, state))
            params = gdlib.apply_updates(params, updates)
            return params, state

        params = initial_params
        state = opt.init(params)
        for _ in range(2):
            params, new_state = step(params, state)
            assert jax.tree.leaves(params)[0].dtype == dtype
            cond = jax.random.randint(jax.random.key(0), (), 0, 2) == 0
            state = lax.cond(cond, lambda: state,  # noqa: B023
                             lambda: new_state)  # noqa: B023


@pytest.mark.parametrize("dtype", ["bfloat16", "float32"])
@pytest.mark.parametrize("case", DISTINCT, ids=DISTINCT_IDS)
def test_gradient_accumulation(case, dtype):
    """AliasTest.test_gradient_accumulation: a gdlib optimizer inside optax.MultiSteps."""
    dtype = jnp.dtype(dtype)
    opt = optax.MultiSteps(make(case), every_k_schedule=4)
    fun = lambda x: jnp.sum(x**2)  # noqa: E731

    params = jnp.array([1.0, 2.0], dtype=dtype)
    grads = jax.grad(fun)(params)
    state = jit(opt.init)(params)
    updates, _ = jit(opt.update)(grads, state, params)
    test_utils.assert_trees_all_equal(updates, jnp.zeros_like(grads))


# ----------------------------------------------------------------------------- update_test.py


def test_apply_updates():
    """UpdateTest.test_apply_updates."""
    params = ({"a": jnp.ones((3, 2))}, jnp.ones((1,)))
    grads = jax.tree.map(lambda t: 2 * t, params)
    exp_params = jax.tree.map(lambda t: 3 * t, params)
    new_params = jit(gdlib.apply_updates)(params, grads)
    test_utils.assert_trees_all_close(exp_params, new_params, atol=1e-10, rtol=1e-5)


def test_apply_updates_mixed_precision():
    """UpdateTest.test_apply_updates_mixed_precision: bfloat16 parameters stay bfloat16."""
    params = ({"a": jnp.ones((3, 2), dtype=jnp.bfloat16)}, jnp.ones((1,), dtype=jnp.bfloat16))
    grads = jax.tree.map(lambda t: (2 * t).astype(jnp.float32), params)
    new_params = jit(gdlib.apply_updates)(params, grads)
    for leaf in jax.tree.leaves(new_params):
        assert leaf.dtype == jnp.bfloat16


# ----------------------------------------------------------------------------- float64_test.py


@pytest.mark.parametrize("name", list(BY_NAME))
def test_mixed_dtype_input_outputs(name, x64):
    """Float64Test.test_mixed_dtype_input_outputs, for every gdlib optimizer (optax lists its
    adagrad, adam, rmsprop and sgd among its transformations)."""
    initial_params = (jnp.array([1.0, 2.0], dtype=jnp.float32),
                      jnp.array([3.0, 4.0], dtype=jnp.float64))
    updates = (jnp.array([10.0, 21.0], dtype=jnp.float32),
               jnp.array([33.0, 42.0], dtype=jnp.float64))
    scaler = BY_NAME[name](learning_rate=0.1)
    init_fn = jit(scaler.init)
    update_fn = jit(scaler.update)

    initial_state = init_fn(initial_params)
    updates, new_state = update_fn(updates, initial_state, params=initial_params)
    new_params = gdlib.apply_updates(initial_params, updates)

    dtypes = functools.partial(jax.tree.map, lambda t: t.dtype)
    assert dtypes(initial_state) == dtypes(new_state)
    assert dtypes(initial_params) == dtypes(new_params)


# ----------------------------------------------------------------------------- transform_test.py

# TransformTest.test_scalers runs optax's scale_by_* transformations. gdlib has no separate
# scaling transformations: each optimizer is the scaling and the learning rate together, so the
# optimizers stand in for scale_by_adadelta, scale_by_adam, scale_by_adamax and scale_by_rms
# (and the others, for the same checks).
SCALERS = ["adadelta", "adam", "adamax", "rmsprop", "adagrad", "nadam", "momentum", "nesterov"]


@pytest.mark.parametrize("name", SCALERS)
def test_scalers(name):
    """TransformTest.test_scalers: finite state and updates of the parameters' shapes."""
    params = (jnp.array([1.0, 2.0]), jnp.array([3.0, 4.0]))
    per_step_updates = (jnp.array([500.0, 5.0]), jnp.array([300.0, 3.0]))
    scaler = BY_NAME[name]()
    init_fn = jit(scaler.init)
    transform_fn = jit(scaler.update)

    state = init_fn(params)
    test_utils.assert_tree_all_finite(state)
    updates, state = transform_fn(per_step_updates, state, params)
    test_utils.assert_tree_all_finite((params, updates, state))
    test_utils.assert_trees_all_equal_shapes(params, updates)


# ----------------------------------------------------------------------------- sharding_test.py

# ShardingTest needs 8 devices; the test process has one (the device count is fixed once JAX
# starts), so the checks run in a fresh process and report back, as in tests/test_data_parallel.
SHARDING = r"""
import json, sys
import jax, jax.numpy as jnp
from optax._src import test_utils
from gdlib.optim.optimizers import BY_NAME

results = {"devices": len(jax.devices())}
for name, factory in BY_NAME.items():
    optimizer = factory(learning_rate=1.0)
    outcome = {}
    try:  # test_init_with_abstract_input
        params = jax.ShapeDtypeStruct(shape=(2, 4, 8), dtype=jnp.float32)
        outcome["abstract_init"] = optimizer.init(params) is not None
        mesh = jax.make_mesh((8,), ("x",), axis_types=(jax.sharding.AxisType.Explicit,))
        sharding = jax.sharding.NamedSharding(mesh, jax.P(None, "x"))
        with jax.set_mesh(mesh):
            params = jnp.zeros((2, 8, 4), dtype=jnp.float16, out_sharding=sharding)
            # test_state_sharding_type_init_match_update
            state0 = optimizer.init(params)
            _, state1 = optimizer.update(params, state0, params)
            type0 = jax.tree.map(jax.typeof, state0)
            type1 = jax.tree.map(jax.typeof, state1)
            test_utils.assert_trees_all_equal(type0, type1)
            outcome["init_matches_update"] = True
            # test_state_sharding_type_preserved_with_jit
            state1 = jax.jit(optimizer.init)(params)
            test_utils.assert_trees_all_equal(type0, jax.tree.map(jax.typeof, state1))
            _, state2 = optimizer.update(params, state0, params)
            _, state3 = jax.jit(optimizer.update)(params, state0, params)
            test_utils.assert_trees_all_equal(jax.tree.map(jax.typeof, state2),
                                              jax.tree.map(jax.typeof, state3))
            outcome["preserved_with_jit"] = True
            outcome["sharded"] = str(jax.typeof(jax.tree.leaves(state2)[-1]))
    except Exception as error:  # reported, and the test names it
        outcome["error"] = f"{type(error).__name__}: {error}"
    results[name] = outcome
json.dump(results, sys.stdout)
"""


@pytest.fixture(scope="module")
def sharded():
    env = {**os.environ, "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=8"}
    result = subprocess.run([sys.executable, "-c", SHARDING], env=env, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", list(BY_NAME))
def test_sharding(sharded, name):
    """ShardingTest.test_init_with_abstract_input, test_state_sharding_type_init_match_update
    and test_state_sharding_type_preserved_with_jit, on 8 CPU devices with an Explicit mesh.

    optax gates the last two on ``jax.__version__ < '0.7.2'``, a string comparison that skips
    them on jax 0.10; here they run."""
    assert sharded["devices"] == 8
    outcome = sharded[name]
    assert "error" not in outcome, outcome.get("error")
    assert outcome == {"abstract_init": True, "init_matches_update": True,
                       "preserved_with_jit": True, "sharded": outcome["sharded"]}
    if name != "sgd":  # plain SGD's state is only its step count
        assert "x" in outcome["sharded"], outcome  # the state really is sharded over the mesh


# ----------------------------------------------------------------------------- coverage

#: optax tests that do not apply to gdlib, and why. Every other test of the five files is
#: adapted above, under its own name.
NOT_APPLICABLE = {
    "alias_test.py::test_explicit_dtype": "gdlib's optimizers keep their state in the "
    "parameters' dtype; they take no accumulator_dtype or mu_dtype",
    **{f"alias_test.py::{name}": "L-BFGS is not among Ruder's optimizers, which gdlib implements"
       for name in ["test_plain_preconditioning", "test_preconditioning_by_lbfgs_on_vectors",
                    "test_preconditioning_by_lbfgs_on_trees", "test_against_plain_implementation",
                    "test_handling_pytrees", "test_multiclass_logreg", "test_binary_logreg",
                    "test_against_scipy", "test_minimize_bad_initialization",
                    "test_steep_objective", "test_lbfgs_complex", "test_lbfgs_complex_rosenbrock"]},
    "update_test.py::test_incremental_update": "gdlib has no incremental_update (Polyak "
    "averaging of a target network is outside the book)",
    "update_test.py::test_periodic_update": "gdlib has no periodic_update (as above)",
    "update_test.py::test_none_argument": "gdlib's apply_updates adds an update to every "
    "parameter; it takes no None placeholders for parameters (optax passes them through), "
    "and the book shows its one-line body as it is",
    "transform_test.py::test_apply_every": "gdlib has no apply_every transformation",
    "transform_test.py::test_scale": "gdlib has no scale transformation (the learning rate is "
    "part of each optimizer)",
    "transform_test.py::test_centralize": "gdlib has no gradient centralization",
    "transform_test.py::test_scale_by_optimistic_gradient": "not one of Ruder's optimizers",
    "transform_test.py::test_lion_modes_variants": "Lion is not one of Ruder's optimizers",
    "transform_test.py::test_lion_invalid_mode_raises": "Lion is not one of Ruder's optimizers",
    "transform_test.py::test_scale_by_polyak_l1_norm": "Polyak's step size is not one of "
    "Ruder's optimizers",
    "transform_test.py::test_rms_match_adam": "gdlib's RMSprop has no bias correction (Hinton's "
    "rule), so it has no form equal to Adam with b1=0",
    "sharding_test.py::test_microbatch_with_explicit_sharding": "gdlib has no microbatching",
}
ADAPTED = {
    "alias_test.py": ["test_optimization", "test_optimizers_accept_extra_args",
                      "test_optimizers_can_be_wrapped_in_inject_hyperparams",
                      "test_preserve_dtype", "test_state_shape_dtype_shard_stability",
                      "test_gradient_accumulation"],
    "update_test.py": ["test_apply_updates", "test_apply_updates_mixed_precision"],
    "float64_test.py": ["test_mixed_dtype_input_outputs"],
    "transform_test.py": ["test_scalers"],
    "sharding_test.py": ["test_init_with_abstract_input",
                         "test_state_sharding_type_init_match_update",
                         "test_state_sharding_type_preserved_with_jit"],
}


def _optax_tests(filename: str) -> list[str]:
    tree = ast.parse((OPTAX_TESTS / filename).read_text())
    return [node.name for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]


@pytest.mark.parametrize("filename", list(ADAPTED))
def test_every_optax_test_is_adapted_or_has_a_reason(filename):
    names = _optax_tests(filename)
    assert names, f"no tests found in the optax wheel's {filename}"
    missing = [name for name in names if name not in ADAPTED[filename]
               and f"{filename}::{name}" not in NOT_APPLICABLE]
    assert not missing, f"optax's {filename} has tests neither adapted nor explained: {missing}"
    stale = [name for name in ADAPTED[filename] if name not in names]
    assert not stale, f"adapted tests that optax's {filename} no longer has: {stale}"
    here = {name for name in globals() if name.startswith("test_")}
    assert set(ADAPTED[filename]) - {"test_init_with_abstract_input",
                                     "test_state_sharding_type_init_match_update",
                                     "test_state_sharding_type_preserved_with_jit"} <= here


def test_the_cases_are_optax_entries_for_gdlibs_optimizers():
    source = (OPTAX_TESTS / "alias_test.py").read_text()
    for case in CASES:
        if "(plain)" not in case.optax_entry and "(nesterov=True)" not in case.optax_entry:
            assert case.optax_entry in source, case.optax_entry
    assert {case.name for case in CASES} == set(BY_NAME)
