r"""Ring all-reduce: how :math:`P` devices sum a vector sending :math:`2(P-1)/P` of it each.

The devices form a ring and the vector of :math:`n` numbers is cut into :math:`P` chunks. In
:math:`P - 1` *reduce-scatter* steps every device passes one chunk to its neighbour, which adds
its own copy of that chunk; afterwards device :math:`d` holds the full sum of chunk
:math:`d + 1`. In :math:`P - 1` *all-gather* steps the summed chunks travel once more around the
ring. Every device sends :math:`2(P-1)` chunks of :math:`n/P` numbers:

.. math:: \text{sent per device} = 2\,\frac{P-1}{P}\, n,

less than :math:`2n` however many devices there are, which is why the all-reduce of
synchronous data parallelism scales (Patarasuk and Yuan 2009; Baidu's and Horovod's
implementations for deep learning). :func:`ring_allreduce` writes it with ``lax.ppermute``, so
that the compiled program shows each step as a ``collective-permute``.
"""

from __future__ import annotations

import math
import re

import jax
from jax import lax

from gdlib.optim.hyperparams import check_positive_int


def sent_per_device(num_devices: int, size: int) -> float:
    r"""Numbers each device sends in a ring all-reduce of ``size`` numbers: :math:`2(P-1)n/P`.

    Example:
        >>> sent_per_device(1, 800), sent_per_device(2, 800), sent_per_device(8, 800)
        (0.0, 800.0, 1400.0)
    """
    num_devices = check_positive_int("num_devices", num_devices)
    return 2 * (num_devices - 1) / num_devices * size


def ring_allreduce(x: jax.Array, axis_name: str, num_devices: int) -> jax.Array:
    """Inside ``shard_map``: the sum of ``x`` over the devices of ``axis_name``, by a ring.

    ``x`` is 1-D with a length divisible by ``num_devices`` (the size of the mesh axis). The
    result equals ``lax.psum(x, axis_name)`` up to the order of the additions.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from jax.sharding import PartitionSpec as P
        >>> from gdlib.parallel.data_parallel import data_mesh
        >>> p = jax.device_count()  # 1, 2, 4 or 8
        >>> x = jnp.arange(8.0 * p).reshape(p, 8)  # one row per device
        >>> f = jax.shard_map(lambda v: ring_allreduce(v[0], "data", p)[None], mesh=data_mesh(),
        ...                   in_specs=P("data"), out_specs=P("data"))
        >>> bool((f(x) == x.sum(0)).all())
        True
    """
    p = check_positive_int("num_devices", num_devices)
    if x.ndim != 1 or x.shape[0] % p:
        raise ValueError(f"x must be 1-D with a length divisible by {p}, got shape {x.shape}")
    chunks = x.reshape(p, -1)
    me = lax.axis_index(axis_name)
    right = [(d, (d + 1) % p) for d in range(p)]
    # Reduce-scatter: at step k device d sends its partial sum of chunk (d - k) mod p.
    for k in range(p - 1):
        outgoing = chunks[(me - k) % p]
        incoming = lax.ppermute(outgoing, axis_name, right)
        index = (me - k - 1) % p
        chunks = chunks.at[index].add(incoming)
    # Now device d holds the whole sum of chunk (d + 1) mod p; pass the sums around the ring.
    for k in range(p - 1):
        outgoing = chunks[(me + 1 - k) % p]
        incoming = lax.ppermute(outgoing, axis_name, right)
        chunks = chunks.at[(me - k) % p].set(incoming)
    return chunks.reshape(-1)


def numbers_sent(collective_lines: list[str]) -> int:
    """Numbers one device sends in the ``collective-permute`` lines of a compiled program.

    Example:
        >>> numbers_sent(["%cp = f32[100]{0} collective-permute(%a), "
        ...               "source_target_pairs={{0,1},{1,0}}"])
        100
    """
    total = 0
    for line in collective_lines:
        if "collective-permute" not in line:
            continue
        result = line.split("=", 1)[1].split(" collective-permute", 1)[0]
        for dims in re.findall(r"\w+\[([0-9,]*)\]", result):
            total += math.prod(int(d) for d in dims.split(",") if d)
    return total
