r"""Pipeline (model) parallelism: each device holds one layer; activations move by ``ppermute``.

Data parallelism (:mod:`gdlib.parallel.data_parallel`) gives every device the whole model and a
slice of the batch. *Model* parallelism places different parts of the model on different
devices, as TensorFlow's graph partitioning did (Abadi et al. 2015): there, device placement
cut the graph into one subgraph per device and a Send/Recv pair carried every tensor across a
cut (MPMD: multiple programs). In JAX the same split is written as one program for every device
(SPMD): device :math:`s` of a ``"stage"`` mesh axis holds stage :math:`s`'s parameters and runs

.. math:: h_{s} = \text{layer}(\theta_s, h_{s-1}),

and ``lax.ppermute`` passes :math:`h_s` to device :math:`s + 1`, which XLA compiles to a
``collective-permute``. Splitting the batch into :math:`M` *micro-batches* keeps the stages busy
at once (GPipe): at tick :math:`t` stage :math:`s` works on micro-batch :math:`t - s`, so
:math:`M` micro-batches pass :math:`S` stages in :math:`M + S - 1` ticks.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax
from jax.sharding import AxisType, Mesh
from jax.sharding import PartitionSpec as P

from gdlib.optim.hyperparams import check_positive_int

PyTree = Any

#: The name of the mesh axis along which the stages are placed.
AXIS = "stage"


def stage_mesh(num_stages: int = 2) -> Mesh:
    """A 1-D mesh of the first ``num_stages`` devices, axis ``"stage"``.

    Example:
        >>> import jax
        >>> dict(stage_mesh(1).shape)  # two stages need two devices: see the notebook
        {'stage': 1}
    """
    num_stages = check_positive_int("num_stages", num_stages)
    available = jax.devices()
    if num_stages > len(available):
        raise ValueError(f"num_stages must be in [1, {len(available)}] (the devices JAX "
                         f"sees), got {num_stages}")
    return jax.make_mesh((num_stages,), (AXIS,), axis_types=(AxisType.Auto,),
                         devices=available[:num_stages])


def sequential(layer: Callable[[PyTree, jax.Array], jax.Array], stage_params: PyTree,
               x: jax.Array) -> jax.Array:
    """The same layers applied one after the other on one device: the reference.

    Example:
        >>> import jax.numpy as jnp
        >>> sequential(lambda w, h: h * w, jnp.array([2.0, 3.0]), jnp.ones(2)).tolist()
        [6.0, 6.0]
    """
    num_stages = jax.tree.leaves(stage_params)[0].shape[0]
    for s in range(num_stages):
        x = layer(jax.tree.map(lambda p, s=s: p[s], stage_params), x)
    return x


@partial(jax.jit, static_argnums=(0, 3))
def stage_outputs(layer: Callable[[PyTree, jax.Array], jax.Array], stage_params: PyTree,
                  microbatches: jax.Array, mesh: Mesh) -> jax.Array:
    """The compiled pipeline: ``(S, M, batch, features)``, what each stage's device produced.

    Entry :math:`S - 1` holds the results and lives on the last device; the others are the
    intermediate activations. Its compiled program communicates only by ``collective-permute``.
    """
    num_stages = mesh.size
    forward_pairs = [(s, s + 1) for s in range(num_stages - 1)]

    def on_stage(params, xs):
        params = jax.tree.map(lambda p: p[0], params)  # this device's stage
        stage = lax.axis_index(AXIS)
        count = xs.shape[0]

        def tick(received, t):
            fed = xs[jnp.minimum(t, count - 1)]
            out = layer(params, jnp.where(stage == 0, fed, received))
            return lax.ppermute(out, AXIS, forward_pairs), out

        start = lax.pcast(jnp.zeros_like(xs[0]), (AXIS,), to="varying")  # differs per device
        _, outs = lax.scan(tick, start, jnp.arange(count + num_stages - 1))
        return outs[num_stages - 1:][None]  # micro-batch m leaves stage s at tick m + s

    return jax.shard_map(on_stage, mesh=mesh, in_specs=(P(AXIS), P()),
                         out_specs=P(AXIS))(stage_params, microbatches)


def forward(layer: Callable[[PyTree, jax.Array], jax.Array], stage_params: PyTree,
            microbatches: jax.Array, mesh: Mesh) -> jax.Array:
    r"""The pipeline: stage :math:`s` on device :math:`s`, activations passed on by ``ppermute``.

    Args:
        layer: ``layer(params, h) -> h``, with an output shaped like its input.
        stage_params: a pytree whose leaves have a leading axis of size ``mesh.size``, one
            entry per stage (device).
        microbatches: ``(M, batch, features)``, the micro-batches fed to the first stage.
        mesh: from :func:`stage_mesh`.

    Returns:
        ``(M, batch, features)``: the last stage's outputs, equal to :func:`sequential`.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> layer = lambda w, h: jnp.tanh(h @ w)
        >>> stages = min(2, jax.device_count())
        >>> w = jax.random.normal(jax.random.key(0), (stages, 3, 3))
        >>> x = jax.random.normal(jax.random.key(1), (4, 5, 3))
        >>> out = forward(layer, w, x, stage_mesh(stages))
        >>> bool(jnp.allclose(out, sequential(layer, w, x), atol=1e-6))
        True
    """
    return stage_outputs(layer, stage_params, microbatches, mesh)[-1]
