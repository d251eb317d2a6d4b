r"""Synchronous data-parallel SGD on a mesh of devices, with JAX's own collectives.

Every device holds the same parameters (replicated) and a slice of each mini-batch (the batch
is sharded along the mesh axis ``"data"``). Each device computes the gradient of the loss on
its slice; an all-reduce averages the gradients; every device applies the same update. With
:math:`K` devices and a batch :math:`B = B_1 \cup \dots \cup B_K` of equal slices,

.. math:: g_t = \frac1K \sum_{k=1}^K \nabla_\theta \frac{1}{|B_k|} \sum_{i\in B_k}
          \ell_i(\theta_{t-1}) = \nabla_\theta \frac1{|B|} \sum_{i \in B} \ell_i(\theta_{t-1}),

exactly the mini-batch gradient one device would compute: the run does not depend on the
number of devices (up to the order of floating-point additions), only its speed does.

Two ways to write it, both here:

* :func:`train`: ``jax.shard_map`` says what each device does; the gradient is taken of
  ``lax.pmean(loss)``, whose transpose is the all-reduce. (The gradient of the *local* loss
  with respect to replicated parameters inside ``shard_map`` is already summed over devices:
  ``pmean(grad(loss))`` would be :math:`K` times too large.) The whole loop of steps is one
  ``lax.scan`` inside one ``jit``, so no Python loop waits on collectives.
* :func:`sharded_step`: the ordinary single-device step under ``jax.jit`` with the batch
  placed on the mesh; XLA's partitioner splits the program per device and inserts the
  all-reduce itself (see :mod:`gdlib.parallel.compiled_program` to read it).

The code uses whatever devices JAX has: 8 virtual CPU devices (set
``jax.config.update("jax_num_cpu_devices", 8)`` before anything creates an array), the GPUs of
a machine, or every device of every host after ``jax.distributed.initialize()``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
from jax import lax
from jax.sharding import AxisType, Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from gdlib.optim.base import GradientTransformation, apply_updates
from gdlib.optim.hyperparams import check_positive_int

PyTree = Any
Loss = Callable[[PyTree, jax.Array, jax.Array], jax.Array]

#: The name of the mesh axis along which batches are split.
AXIS = "data"


def data_mesh(num_devices: int | None = None) -> Mesh:
    """A 1-D mesh over the first ``num_devices`` devices (all by default), axis ``"data"``.

    Example:
        >>> import jax
        >>> mesh = data_mesh()
        >>> mesh.axis_names, mesh.size == len(jax.devices())
        (('data',), True)
    """
    available = jax.devices()
    count = len(available) if num_devices is None else check_positive_int("num_devices",
                                                                           num_devices)
    if count > len(available):
        raise ValueError(f"num_devices must be in [1, {len(available)}] (the devices JAX "
                         f"sees), got {count}")
    return jax.make_mesh((count,), (AXIS,), axis_types=(AxisType.Auto,),
                         devices=available[:count])


def _check_divides(name: str, size: int, mesh: Mesh) -> None:
    if size % mesh.size:
        raise ValueError(f"{name} must be a multiple of the number of devices ({mesh.size}), "
                         f"got {size}")


def mean_gradient(loss_fn: Loss, params: PyTree, x: jax.Array, y: jax.Array
                  ) -> tuple[jax.Array, PyTree]:
    r"""Inside ``shard_map``: the loss and gradient averaged over the devices' slices.

    The gradient of ``lax.pmean(loss)``: :math:`\frac1K \sum_k \nabla \ell_k`. Its backward
    pass is the all-reduce.
    """
    return jax.value_and_grad(lambda p: lax.pmean(loss_fn(p, x, y), AXIS))(params)


@partial(jax.jit, static_argnums=(0, 1, 5))
def _train(optimizer, loss_fn, params, x_batches, y_batches, mesh):
    def on_each_device(params, x_batches, y_batches):
        def step(carry, batch):
            params, state = carry
            loss, grads = mean_gradient(loss_fn, params, *batch)
            updates, state = optimizer.update(grads, state, params)
            return (apply_updates(params, updates), state), loss

        carry = (params, optimizer.init(params))
        (params, _), losses = lax.scan(step, carry, (x_batches, y_batches))
        return params, losses

    batch_spec = P(None, AXIS)  # (step, example, ...): the examples of each batch are split
    return jax.shard_map(on_each_device, mesh=mesh, in_specs=(P(), batch_spec, batch_spec),
                         out_specs=(P(), P()))(params, x_batches, y_batches)


def train(optimizer: GradientTransformation, loss_fn: Loss, params: PyTree,
          x_batches: jax.Array, y_batches: jax.Array, mesh: Mesh) -> tuple[PyTree, jax.Array]:
    """Synchronous data-parallel training: one update per batch, each batch split over ``mesh``.

    Args:
        optimizer: any gdlib (or optax) optimizer; its state is replicated like the parameters.
        loss_fn: ``loss_fn(params, x, y)``, a *mean* over the examples of ``x`` (so that the
            average of the devices' means is the mean over the batch).
        params: the initial parameters, replicated on every device.
        x_batches: ``(num_steps, batch_size, ...)``, one mini-batch per update; ``batch_size``
            must be a multiple of the number of devices.
        y_batches: ``(num_steps, batch_size, ...)``, the targets.
        mesh: from :func:`data_mesh`.

    Returns:
        The final parameters and the batch loss before each update, ``(num_steps,)``.

    Example:
        >>> import jax, jax.numpy as jnp, gdlib
        >>> loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
        >>> x = jax.random.normal(jax.random.key(0), (100, 32, 3))
        >>> y = x @ jnp.array([1.0, -2.0, 0.5])
        >>> w, losses = train(gdlib.sgd(0.1), loss, jnp.zeros(3), x, y, data_mesh())
        >>> [round(v, 3) for v in w.tolist()], bool(losses[-1] < 1e-4 * losses[0])
        ([1.0, -2.0, 0.5], True)
    """
    _check_divides("batch_size", x_batches.shape[1], mesh)
    sharded = NamedSharding(mesh, P(None, AXIS))
    x_batches, y_batches = jax.device_put((x_batches, y_batches), sharded)
    params = jax.device_put(params, NamedSharding(mesh, P()))
    return _train(optimizer, loss_fn, params, x_batches, y_batches, mesh)


def sharded_step(optimizer: GradientTransformation, loss_fn: Loss, mesh: Mesh
                 ) -> Callable[..., tuple[PyTree, PyTree, jax.Array]]:
    """One plain SGD step, ``step(params, state, x, y) -> (params, state, loss)``, jitted for
    a batch split over ``mesh`` and replicated parameters: no collective is written anywhere;
    the compiler partitions the program and adds the communication.

    Example:
        >>> import jax, jax.numpy as jnp, gdlib
        >>> mesh = data_mesh()
        >>> step = sharded_step(gdlib.sgd(0.1), lambda w, x, y: jnp.mean((x @ w - y) ** 2), mesh)
        >>> x, y = jnp.ones((8, 2)), jnp.ones(8)
        >>> w, state, loss = step(jnp.zeros(2), gdlib.sgd(0.1).init(jnp.zeros(2)), x, y)
        >>> [round(v, 6) for v in w.tolist()], float(loss)
        ([0.2, 0.2], 1.0)
    """
    replicated, batch = NamedSharding(mesh, P()), NamedSharding(mesh, P(AXIS))

    def step(params, state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, state = optimizer.update(grads, state, params)
        return apply_updates(params, updates), state, loss

    return jax.jit(step, in_shardings=(replicated, replicated, batch, batch),
                   out_shardings=replicated)
