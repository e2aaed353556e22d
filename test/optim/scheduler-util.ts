// Shared by the LR scheduler tests: two param groups as tools/reference/optim.py's `two_groups`,
// and the lr/momentum recording of its `record`, compared at float64 precision.
import { expect } from 'vitest';
import { torch } from '../harness.js';

const { optim } = torch;
export type Optimizer = torch.optim.Optimizer;
export interface Seq {
  lr: number[][];
  momentum: number[][];
  args?: Record<string, unknown>;
  metrics?: number[];
  state_keys?: string[];
}

// The sequences are float64 host arithmetic on both sides, done in the same order; only the last
// bits of cos/pow may differ between V8 and glibc, so they must agree far below float32's TOL.
const LR_RTOL = 1e-12;
export function expectSeq(actual: number[][], expected: number[][], what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  actual.forEach((row, i) =>
    row.forEach((x, j) => {
      const e = expected[i][j];
      if (Math.abs(x - e) > LR_RTOL * Math.abs(e))
        expect.fail(`${what}: step ${i}, group ${j}: got ${x}, expected ${e}`);
    }),
  );
}

export function twoGroups(kind: 'SGD' | 'Adam' = 'SGD'): Optimizer {
  const a = torch.zeros([2], { device: 'cpu', requiresGrad: true }),
    b = torch.zeros([3], { device: 'cpu', requiresGrad: true });
  const groups = [{ params: [a] }, { params: [b], lr: 0.01 }];
  return kind === 'Adam' ? new optim.Adam(groups, { lr: 0.1 }) : new optim.SGD(groups, { lr: 0.1, momentum: 0.9 });
}
export const momentumOf = (o: Optimizer) =>
  o.paramGroups.map((g) => (Array.isArray(g.betas) ? (g.betas as number[])[0] : (g.momentum as number)));

// ReduceLROnPlateau's step takes the metric, the others take nothing
export type Stepper = { step(metric: never): void; getLastLr(): number[] };
/** lr and momentum after construction and after each step; checks getLastLr against the groups */
export function record(opt: Optimizer, sched: Stepper, steps: number, metrics?: number[]) {
  const lr = [opt.paramGroups.map((g) => g.lr)],
    momentum = [momentumOf(opt)];
  for (let i = 0; i < steps; i++) {
    (sched.step as (m?: number) => void).call(sched, metrics?.[i]);
    lr.push(opt.paramGroups.map((g) => g.lr));
    momentum.push(momentumOf(opt));
    expect(sched.getLastLr()).toEqual(lr[lr.length - 1]);
  }
  return { lr, momentum };
}
