// The generated edge-case sweep: every op of the public set (OPS in op-cases.ts) on random shapes —
// 0-d, zero-size and size-1 dims, broadcast operands, transposed / sliced / expanded inputs — forward
// and gradients against PyTorch 1.13, on both devices. The cases are written by
// tools/reference/edge_sweep.py (seeded) into test/fixtures/ops/edge_sweep.safetensors.
//
// Tolerances, stated once: TOL (rtol 1e-4, atol 1e-5) for everything computed the way PyTorch does;
// LOOSE (rtol 1e-3, atol 1e-4) for ops whose float32 result sums or normalises many terms or goes
// through exp/log of a sum (matmul, linear, conv, norms, softmax family, logsumexp, var/std, losses),
// since the fixture holds the exact (float64) answer.
//
// KNOWN_FAILURES lists, with the reason, the cases that still differ from PyTorch. Each is asserted to
// fail, so the list must shrink when one is fixed.
import { describe, expect, it } from 'vitest';
import { eachDevice, fixture, LOOSE, TOL, type Device } from '../harness.js';
import { type Case, OPS, runCase } from './op-cases.js';

const { tensors, metadata } = fixture('ops/edge_sweep');
const cases = JSON.parse(metadata.cases) as Case[];

const LOOSE_OPS = new Set([
  'matmul',
  'linear',
  'conv2d',
  'conv1d',
  'batchNorm',
  'layerNorm',
  'groupNorm',
  'softmax',
  'logSoftmax',
  'logsumexp',
  'var',
  'std',
  'crossEntropy',
  'nllLoss',
  'binaryCrossEntropy',
  'binaryCrossEntropyWithLogits',
  'avgPool2d',
  'avgPool1d',
  'adaptiveAvgPool2d',
  'adaptiveAvgPool1d',
  'mean',
]);
const tolFor = (c: Case) => (LOOSE_OPS.has(c.op) ? LOOSE : TOL);

/** case name → device ('*' = both) and why it still differs from PyTorch */
const KNOWN_FAILURES: Record<string, { device: Device | '*'; reason: string }> = {};

const known = (name: string, device: Device) => {
  const k = KNOWN_FAILURES[name];
  return k && (k.device === '*' || k.device === device) ? k : null;
};

eachDevice((device) => {
  describe('edge sweep', () => {
    for (const c of cases) {
      const k = known(c.name, device);
      if (!k) it(c.name, () => runCase(c, tensors, device, tolFor(c)));
      else {
        it(`${c.name} (known failure: ${k.reason})`, async () => {
          const err = await runCase(c, tensors, device, tolFor(c)).then(
            () => null,
            (e: unknown) => e,
          );
          expect(err, `${c.name} now matches PyTorch on ${device}: remove it from KNOWN_FAILURES`).not.toBeNull();
        });
      }
    }
  });
});

it('the sweep covers every op of OPS, and every known failure names a case of the sweep', () => {
  const ops = new Set(cases.map((c) => c.op));
  expect(Object.keys(OPS).filter((op) => !ops.has(op))).toEqual([]);
  const names = new Set(cases.map((c) => c.name));
  expect(Object.keys(KNOWN_FAILURES).filter((n) => !names.has(n))).toEqual([]);
});
