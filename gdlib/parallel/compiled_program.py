r"""Read the program XLA compiled for a jitted function: where the devices communicate.

TensorFlow (Abadi et al. 2015) split a computation graph into one subgraph per device and
connected the pieces with Send/Recv node pairs. JAX hands a whole program to XLA; for a mesh of
devices, XLA's SPMD partitioner rewrites it into the program *each* device runs and inserts the
communication as collective operations (``all-reduce``, ``all-gather``, ``reduce-scatter``,
``all-to-all``, ``collective-permute``, and ``send``/``recv``). This module extracts them from
``jax.jit(f).lower(*args).compile().as_text()``, the optimized HLO that will run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

#: HLO opcodes that move data between devices.
COLLECTIVES = ("all-reduce", "all-gather", "reduce-scatter", "all-to-all",
               "collective-permute", "send", "recv")

_OPCODE = re.compile(r"=\s*(?:\([^=]*?\)|\S+)\s+([a-z][a-z0-9-]*)\(")
_METADATA = re.compile(r",\s*(metadata|backend_config|frontend_attributes)=\{.*?\}(?=,|$)")


def lowered_text(jitted: Callable[..., Any], *args: Any) -> str:
    """The program as traced (StableHLO, before partitioning): the source the compiler sees."""
    return jitted.lower(*args).as_text()


def compiled_text(jitted: Callable[..., Any], *args: Any) -> str:
    """The optimized HLO that each device runs, after partitioning and fusion."""
    return jitted.lower(*args).compile().as_text()


def opcode(line: str) -> str | None:
    """The HLO opcode of an instruction line, e.g. ``all-reduce``.

    Example:
        >>> opcode("%all-reduce = f32[3]{0} all-reduce(%x), replica_groups={{0,1}}")
        'all-reduce'
        >>> opcode("ROOT %t = (f32[3]{0}, f32[]) tuple(%a, %b)")
        'tuple'
        >>> opcode("ENTRY %main (x: f32[3]) -> f32[3] {") is None
        True
    """
    match = _OPCODE.search(line)
    return match.group(1) if match else None


def strip_metadata(line: str) -> str:
    """An instruction without its ``metadata={...}`` (source locations) and backend config.

    Example:
        >>> strip_metadata('%a = f32[] add(%x, %y), metadata={op_name="jit(f)/add"}')
        '%a = f32[] add(%x, %y)'
    """
    return _METADATA.sub("", line.strip())


def collectives(hlo_text: str) -> list[str]:
    """The instructions of a compiled program that communicate between devices.

    Example:
        >>> text = '''ENTRY %main {
        ...   %x = f32[3]{0} parameter(0)
        ...   %all-reduce = f32[3]{0} all-reduce(%x), replica_groups={{0,1}}, to_apply=%sum
        ...   ROOT %y = f32[3]{0} multiply(%all-reduce, %all-reduce)
        ... }'''
        >>> collectives(text)
        ['%all-reduce = f32[3]{0} all-reduce(%x), replica_groups={{0,1}}, to_apply=%sum']
    """
    return [strip_metadata(line) for line in hlo_text.splitlines()
            if opcode(line) in COLLECTIVES or _is_async_collective(line)]


def _is_async_collective(line: str) -> bool:
    """``all-reduce-start``/``-done`` pairs (asynchronous collectives on GPU): count the start."""
    op = opcode(line)
    return op is not None and op.endswith("-start") and op[: -len("-start")] in COLLECTIVES


def entry_computation(hlo_text: str) -> str:
    """Only the ``ENTRY`` computation (the program's top level), without metadata.

    Example:
        >>> text = '''%f {
        ...   ROOT %r = f32[] add(%a, %b)
        ... }
        ...
        ... ENTRY %main {
        ...   ROOT %x = f32[] parameter(0), metadata={op_name="x"}
        ... }'''
        >>> print(entry_computation(text))
        ENTRY %main {
          ROOT %x = f32[] parameter(0)
        }
    """
    lines = hlo_text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("ENTRY"))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("}"))
    body = ["  " + strip_metadata(line) for line in lines[start + 1:end]]
    return "\n".join([lines[start], *body, lines[end]])
