// Every op forward and backward against PyTorch, on both devices. The cases live in
// test/fixtures/ops/<family>.safetensors, written by tools/reference/ops.py (and edge_fixes.py): inputs,
// outputs, an upstream gradient per float output and the gradient of each input that requires one.
// The op table and the runner are in op-cases.ts (shared with the generated sweep, edge-sweep.test.ts).
import { describe, expect, it } from 'vitest';
import { eachDevice, fixture, LOOSE, TOL } from '../harness.js';
import { type Case, OPS, runCase } from './op-cases.js';

const FAMILIES = ['elementwise', 'compare', 'reduce', 'linalg', 'shape', 'activation', 'loss', 'edge_fixes'];
const loaded = FAMILIES.map((f) => {
  const { tensors, metadata } = fixture(`ops/${f}`);
  return { family: f, tensors, cases: JSON.parse(metadata.cases) as Case[] };
});

/** Long reductions (hundreds of terms) are compared with LOOSE; everything else with TOL. */
const tolFor = (c: Case) => (/\.long/.test(c.name) ? LOOSE : TOL);

eachDevice((device) => {
  for (const { family, tensors, cases } of loaded) {
    describe(family, () => {
      for (const c of cases) it(c.name, () => runCase(c, tensors, device, tolFor(c)));
    });
  }
});

it('every op of the fixtures has an OPS entry (the sweep checks that every OPS entry has cases)', () => {
  const ops = new Set(loaded.flatMap((l) => l.cases.map((c) => c.op)));
  expect([...ops].filter((op) => !(op in OPS))).toEqual([]);
});
