"""Synchronous data-parallel SGD: same run on 1 or 8 devices, the all-reduce in the program.

The test process runs JAX with one CPU device (tests/conftest.py imports jax, and the device
count cannot change once a backend exists), so the 8-device checks run in a fresh Python
process with ``--xla_force_host_platform_device_count=8`` and report back as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gdlib
from gdlib.parallel import compiled_program, data_parallel

EIGHT_DEVICES = textwrap.dedent("""
    import json
    import jax, jax.numpy as jnp, numpy as np
    from jax import lax
    from jax.sharding import PartitionSpec as P
    import gdlib
    from gdlib.parallel import compiled_program, data_parallel

    out = {"devices": len(jax.devices())}
    loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
    x = jax.random.normal(jax.random.key(0), (30, 16, 3))
    y = x @ jnp.array([1.0, -2.0, 0.5]) + 0.1 * jax.random.normal(jax.random.key(1), (30, 16))
    runs = {n: data_parallel.train(gdlib.adam(0.05), loss, jnp.zeros(3), x, y,
                                   data_parallel.data_mesh(n)) for n in (1, 2, 8)}
    out["params"] = {n: np.asarray(r[0]).tolist() for n, r in runs.items()}
    out["losses"] = {n: np.asarray(r[1]).tolist() for n, r in runs.items()}

    # The pitfall: pmean of the local gradient of a replicated parameter is K times too big.
    mesh = data_parallel.data_mesh()
    def naive(w, x, y):
        return lax.pmean(jax.grad(loss)(w, x, y), "data")
    def right(w, x, y):
        return data_parallel.mean_gradient(loss, w, x, y)[1]
    specs = dict(mesh=mesh, in_specs=(P(), P("data"), P("data")), out_specs=P())
    out["naive"] = np.asarray(jax.shard_map(naive, **specs)(jnp.ones(3), x[0], y[0])).tolist()
    out["right"] = np.asarray(jax.shard_map(right, **specs)(jnp.ones(3), x[0], y[0])).tolist()
    out["reference"] = np.asarray(jax.grad(loss)(jnp.ones(3), x[0], y[0])).tolist()

    step = data_parallel.sharded_step(gdlib.sgd(0.1), loss, mesh)
    state = gdlib.sgd(0.1).init(jnp.zeros(3))
    out["step"] = np.asarray(step(jnp.zeros(3), state, x[0], y[0])[0]).tolist()
    compiled = compiled_program.compiled_text(step, jnp.zeros(3), state, x[0], y[0])
    out["collectives"] = compiled_program.collectives(compiled)
    out["lowered_collectives"] = compiled_program.collectives(
        compiled_program.lowered_text(step, jnp.zeros(3), state, x[0], y[0]))
    out["entry"] = compiled_program.entry_computation(compiled)
    try:
        data_parallel.train(gdlib.sgd(0.1), loss, jnp.zeros(3), x[:, :12], y[:, :12], mesh)
    except ValueError as error:
        out["error"] = str(error)
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def eight():
    env = {**os.environ, "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=8"}
    result = subprocess.run([sys.executable, "-c", EIGHT_DEVICES], env=env, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_subprocess_really_has_eight_devices(eight):
    assert eight["devices"] == 8


def test_the_run_does_not_depend_on_the_number_of_devices(eight):
    for n in ("2", "8"):
        np.testing.assert_allclose(eight["params"][n], eight["params"]["1"], rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(eight["losses"][n], eight["losses"]["1"], rtol=1e-5)


def test_mean_gradient_is_the_batch_gradient_and_pmean_of_grad_is_8x(eight):
    np.testing.assert_allclose(eight["right"], eight["reference"], rtol=1e-5)
    np.testing.assert_allclose(eight["naive"], 8 * np.asarray(eight["reference"]), rtol=1e-5)


def test_sharded_step_is_the_plain_step_with_one_all_reduce_over_eight_devices(eight):
    x = jax.random.normal(jax.random.key(0), (30, 16, 3))[0]
    y = x @ jnp.array([1.0, -2.0, 0.5]) + 0.1 * jax.random.normal(jax.random.key(1), (30, 16))[0]
    expected = -0.1 * jax.grad(lambda w: jnp.mean((x @ w - y) ** 2))(jnp.zeros(3))
    np.testing.assert_allclose(eight["step"], expected, rtol=1e-5)
    assert len(eight["collectives"]) == 1
    assert "all-reduce(" in eight["collectives"][0]
    assert "'axis_0'=8" in eight["collectives"][0] or "{0,1,2,3,4,5,6,7}" in eight["collectives"][0]
    assert eight["lowered_collectives"] == []  # we wrote none: the partitioner added it
    assert "f32[2,3]" in eight["entry"]  # each device holds 16 / 8 = 2 rows of the batch


def test_a_batch_that_does_not_split_evenly_is_refused(eight):
    assert eight["error"] == ("batch_size must be a multiple of the number of devices (8), "
                              "got 12")


def python_loop(optimizer, loss, params, x_batches, y_batches):
    state, losses = optimizer.init(params), []
    for x, y in zip(x_batches, y_batches, strict=True):
        value, grads = jax.value_and_grad(loss)(params, x, y)
        updates, state = optimizer.update(grads, state, params)
        params = gdlib.apply_updates(params, updates)
        losses.append(value)
    return params, jnp.stack(losses)


def test_train_on_one_device_is_the_textbook_loop_for_any_pytree():
    loss = lambda p, x, y: jnp.mean((x @ p["w"] + p["b"] - y) ** 2)  # noqa: E731
    x = jax.random.normal(jax.random.key(0), (20, 8, 2))
    y = jnp.sin(x[..., 0])
    params = {"w": jnp.zeros(2), "b": jnp.zeros(())}
    got = data_parallel.train(gdlib.momentum(0.05, 0.9), loss, params, x, y,
                              data_parallel.data_mesh())
    want = python_loop(gdlib.momentum(0.05, 0.9), loss, params, x, y)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5)
    for leaf_got, leaf_want in zip(jax.tree.leaves(got[0]), jax.tree.leaves(want[0]),
                                   strict=True):
        np.testing.assert_allclose(leaf_got, leaf_want, rtol=1e-5, atol=1e-7)


def test_one_device_compiles_no_collective():
    mesh = data_parallel.data_mesh(1)
    loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)  # noqa: E731
    step = data_parallel.sharded_step(gdlib.sgd(0.1), loss, mesh)
    args = (jnp.zeros(2), gdlib.sgd(0.1).init(jnp.zeros(2)), jnp.ones((4, 2)), jnp.ones(4))
    assert compiled_program.collectives(compiled_program.compiled_text(step, *args)) == []


def test_asking_for_more_devices_than_exist_is_refused():
    count = len(jax.devices())
    with pytest.raises(ValueError, match=rf"num_devices must be in \[1, {count}\]"):
        data_parallel.data_mesh(count + 1)
    with pytest.raises(ValueError, match="num_devices must be a whole number >= 1, got 0"):
        data_parallel.data_mesh(0)
