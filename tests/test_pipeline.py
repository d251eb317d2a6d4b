"""Pipeline parallelism and the ring all-reduce: one layer per device, chunks around a ring.

The test process has one CPU device, so the multi-device checks run in a fresh process with
``--xla_force_host_platform_device_count=8`` and report back as JSON.
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
from jax.sharding import PartitionSpec

from gdlib.parallel import pipeline, ring_allreduce

SEVERAL_DEVICES = textwrap.dedent("""
    import json
    import jax, jax.numpy as jnp, numpy as np
    from jax.sharding import PartitionSpec as P
    from gdlib.parallel import compiled_program, data_parallel, pipeline, ring_allreduce

    out = {}
    layer = lambda w, h: jnp.tanh(h @ w)
    for stages in (2, 4):
        w = jax.random.normal(jax.random.key(0), (stages, 6, 6)) / 2
        x = jax.random.normal(jax.random.key(1), (5, 3, 6))
        mesh = pipeline.stage_mesh(stages)
        got = pipeline.forward(layer, w, x, mesh)
        out[f"pipe{stages}"] = float(jnp.abs(got - pipeline.sequential(layer, w, x)).max())
        text = compiled_program.compiled_text(pipeline.stage_outputs, layer, w, x, mesh)
        out[f"ops{stages}"] = sorted({compiled_program.opcode(l)
                                      for l in compiled_program.collectives(text)})
        loss = lambda w: jnp.sum(pipeline.forward(layer, w, x, mesh) ** 2)
        reference = lambda w: jnp.sum(pipeline.sequential(layer, w, x) ** 2)
        out[f"grad{stages}"] = float(jnp.abs(jax.grad(loss)(w) - jax.grad(reference)(w)).max())
    for p in (2, 4, 8):
        mesh = data_parallel.data_mesh(p)
        x = jax.random.normal(jax.random.key(2), (p, 48))
        f = jax.jit(jax.shard_map(lambda v: ring_allreduce.ring_allreduce(v[0], "data", p)[None],
                                  mesh=mesh, in_specs=P("data"), out_specs=P("data")))
        out[f"ring{p}"] = float(jnp.abs(f(x) - x.sum(0)).max())
        lines = compiled_program.collectives(compiled_program.compiled_text(f, x))
        out[f"sent{p}"] = ring_allreduce.numbers_sent(lines)
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def several():
    env = {**os.environ, "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=8"}
    result = subprocess.run([sys.executable, "-c", SEVERAL_DEVICES], env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("stages", [2, 4])
def test_the_pipeline_computes_the_layers_in_sequence_and_only_permutes(several, stages):
    assert several[f"pipe{stages}"] < 1e-5
    assert several[f"grad{stages}"] < 1e-4  # the backward pass flows through ppermute too
    assert several[f"ops{stages}"] == ["collective-permute"]


@pytest.mark.parametrize("p", [2, 4, 8])
def test_the_ring_sums_and_each_device_sends_2_p_minus_1_over_p(several, p):
    assert several[f"ring{p}"] < 1e-4
    assert several[f"sent{p}"] == ring_allreduce.sent_per_device(p, 48)


def test_one_stage_is_the_layer_itself():
    layer = lambda w, h: h @ w  # noqa: E731
    w = jnp.eye(3)[None] * 2.0
    x = jnp.ones((2, 4, 3))
    np.testing.assert_allclose(pipeline.forward(layer, w, x, pipeline.stage_mesh(1)), 2 * x)


def test_a_ring_of_one_sends_nothing_and_returns_the_input():
    assert ring_allreduce.sent_per_device(1, 100) == 0.0
    mesh = jax.make_mesh((1,), ("data",), axis_types=(jax.sharding.AxisType.Auto,))
    f = jax.shard_map(lambda v: ring_allreduce.ring_allreduce(v[0], "data", 1)[None],
                      mesh=mesh, in_specs=PartitionSpec("data"), out_specs=PartitionSpec("data"))
    np.testing.assert_array_equal(f(jnp.arange(4.0)[None]), jnp.arange(4.0)[None])


@pytest.mark.parametrize("call, message", [
    (lambda: pipeline.stage_mesh(0), "num_stages"),
    (lambda: pipeline.stage_mesh(10_000), "num_stages"),
    (lambda: ring_allreduce.sent_per_device(0, 10), "num_devices"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
