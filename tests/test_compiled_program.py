"""Reading compiled HLO: opcodes, collectives, the entry computation."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gdlib.parallel import compiled_program

# Shaped like the GPU output of an asynchronous all-reduce and a TensorFlow-style Send/Recv.
HLO = """HloModule jit_step, entry_computation_layout={(f32[3]{0})->f32[3]{0}}

%add (a: f32[], b: f32[]) -> f32[] {
  ROOT %s = f32[] add(f32[] %a, f32[] %b)
}

ENTRY %main (p: f32[3]) -> f32[3] {
  %p = f32[3]{0} parameter(0), sharding={replicated}, metadata={op_name="x"}
  %ars = f32[3]{0} all-reduce-start(%p), replica_groups={{0,1}}, to_apply=%add
  %ard = f32[3]{0} all-reduce-done(%ars)
  %token = token[] after-all()
  %send = (f32[3]{0}, u32[], token[]) send(%ard, %token), channel_id=2
  %recv = (f32[3]{0}, u32[], token[]) recv(%token), channel_id=2
  %ag = f32[6]{0} all-gather(%p), dimensions={0}, metadata={op_name="jit(f)/all_gather"}
  ROOT %out = f32[3]{0} multiply(%ard, %ard), backend_config={"flag":true}
}
"""


def test_opcodes_are_parsed_from_instruction_lines():
    lines = HLO.splitlines()
    ops = [compiled_program.opcode(line) for line in lines]
    assert "all-reduce-start" in ops and "send" in ops and "recv" in ops and "multiply" in ops
    assert compiled_program.opcode("HloModule jit_step") is None


def test_collectives_lists_communication_only_and_counts_async_pairs_once():
    found = compiled_program.collectives(HLO)
    assert [compiled_program.opcode(line) for line in found] == [
        "all-reduce-start", "send", "recv", "all-gather"]
    assert all("metadata" not in line for line in found)


def test_entry_computation_drops_helpers_and_metadata():
    entry = compiled_program.entry_computation(HLO)
    assert entry.startswith("ENTRY %main") and entry.endswith("}")
    assert "%add" not in entry.splitlines()[0] and "metadata" not in entry
    assert "backend_config" not in entry
    assert "ROOT %out = f32[3]{0} multiply(%ard, %ard)" in entry


def test_a_real_single_device_program_has_no_collective_but_has_its_arithmetic():
    f = jax.jit(lambda x: jnp.sin(x) * 2.0)
    text = compiled_program.compiled_text(f, jnp.ones(3))
    assert compiled_program.collectives(text) == []
    assert "sine" in text
    assert "sine" in compiled_program.lowered_text(f, jnp.ones(3))
