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


_SHAPE = re.compile(r"\b([a-z]+\d*\[[0-9,]*\])(?:\{[^}]*\})?")
_PARAMETER = re.compile(r"parameter\((\d+)\)")
_TILES = re.compile(r"devices=\[([0-9,]+)\]")


def _shapes(text: str) -> list[str]:
    """The array types in ``text`` (``f32[8,64]``), without their layouts (``{1,0}``)."""
    return _SHAPE.findall(text)


def sharding_summary(annotation: str) -> str:
    """A sharding annotation in words that do not depend on how XLA happens to print it.

    ``devices=[8,1]<=[8]``, ``devices=[8,1]0,1,2,3,4,5,6,7`` and their variants all read
    "split 8 ways along axis 0"; a trailing replicated tile dimension is reported as such.

    Example:
        >>> sharding_summary("{replicated}")
        'replicated'
        >>> sharding_summary("{devices=[8,1]<=[8]}"), sharding_summary("{devices=[1,4]0,1,2,3}")
        ('split 8 ways along axis 0', 'split 4 ways along axis 1')
        >>> sharding_summary("{devices=[2,1,4]<=[8] last_tile_dim_replicate}")
        'split 2 ways along axis 0, replicated 4 times'
    """
    if "replicated" in annotation and "devices=" not in annotation:
        return "replicated"
    if "maximal" in annotation:
        return "on one device"
    match = _TILES.search(annotation)
    if not match:
        return annotation.strip("{} ")
    tiles = [int(t) for t in match.group(1).split(",")]
    replicated = 1
    if "last_tile_dim_replicate" in annotation:
        replicated, tiles = tiles[-1], tiles[:-1]
    parts = [f"split {t} ways along axis {axis}" for axis, t in enumerate(tiles) if t > 1]
    if replicated > 1:
        parts.append(f"replicated {replicated} times")
    return ", ".join(parts) or "replicated"


def parameters(hlo_text: str) -> list[str]:
    """The entry computation's inputs, in argument order: per-device type and sharding.

    Only what does not depend on the XLA version: the position, the array type each device
    holds, and the sharding in words (:func:`sharding_summary`).

    Example:
        >>> text = '''ENTRY %main (a: f32[8,64], b: f32[10]) -> f32[10] {
        ...   %b = f32[10]{0} parameter(1), sharding={replicated}
        ...   %a = f32[8,64]{1,0} parameter(0), sharding={devices=[8,1]<=[8]}
        ...   ROOT %r = f32[10]{0} add(%b, %b)
        ... }'''
        >>> for line in parameters(text): print(line)
        input 0: f32[8,64] on each device, split 8 ways along axis 0
        input 1: f32[10] on each device, replicated
    """
    found = []
    for line in entry_computation(hlo_text).splitlines():
        match = _PARAMETER.search(line)
        if opcode(line) != "parameter" or not match:
            continue
        sharding = re.search(r"sharding=(\{.*?\})(?:,|$)", line)
        where = sharding_summary(sharding.group(1)) if sharding else "not annotated"
        type_ = _shapes(line.split("=", 1)[1])[0]
        found.append((int(match.group(1)), f"{type_} on each device, {where}"))
    return [f"input {i}: {text}" for i, text in sorted(found)]


def _groups(line: str) -> str:
    """How a collective groups the devices, in words."""
    iota = re.search(r"replica_groups=\[(\d+),(\d+)\]", line)
    if iota:
        return f"{iota.group(1)} group(s) of {iota.group(2)} devices"
    listed = re.search(r"replica_groups=\{(\{[0-9,]*\}(?:,\{[0-9,]*\})*)\}", line)
    if listed:
        groups = re.findall(r"\{([0-9,]*)\}", listed.group(1))
        return f"{len(groups)} group(s) of {len(groups[0].split(','))} devices"
    pairs = re.search(r"source_target_pairs=\{(.*?)\}(?:,|$)", line + ",")
    if pairs:
        found = re.findall(r"\{(\d+),(\d+)\}", pairs.group(0))
        return "device " + ", ".join(f"{s} → {t}" for s, t in found)
    return "all devices"


def describe(line: str) -> str:
    """A collective instruction in words: what moves (the array types) and between whom.

    Example:
        >>> describe("%all-reduce = (f32[10]{0}, f32[]) all-reduce(%a, %b), "
        ...          "replica_groups=[1,8]<=[8], to_apply=%add")
        'all-reduce of f32[10], f32[]: 1 group(s) of 8 devices'
        >>> describe("%cp = f32[4,64]{1,0} collective-permute(%h), "
        ...          "source_target_pairs={{0,1}}")
        'collective-permute of f32[4,64]: device 0 → 1'
    """
    op = opcode(line) or "?"
    result = line.split("=", 1)[1].split(f" {op}(", 1)[0]
    return f"{op} of {', '.join(_shapes(result))}: {_groups(line)}"
