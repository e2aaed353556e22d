// ConstantLR, PolynomialLR, MultiplicativeLR, CyclicLR, CosineAnnealingWarmRestarts and SWALR against
// PyTorch (tools/reference/schedulers.py): lr and momentum/beta1 of two groups for 50 steps, the
// state dict's keys, and a resume from stateDict/loadStateDict that continues the same sequence.
import { describe, expect, it } from 'vitest';
import { fixture, torch } from '../harness.js';
import { expectSeq, record, twoGroups, type Optimizer, type Seq, type Stepper } from './scheduler-util.js';

const S = torch.optim.lrScheduler;
type Scheduler = torch.optim.lrScheduler.Scheduler;

const fx = fixture('optim/schedulers_extra');
const seqs = JSON.parse(fx.metadata.sequences) as Record<string, Seq>;
const STEPS = Number(fx.metadata.steps),
  STATE_AT = Number(fx.metadata.state_at);
const a = (name: string) => seqs[name].args as Record<string, never>;

type Factory = (o: Optimizer) => Stepper & Scheduler;
const cyclic =
  (name: string): Factory =>
  (o) =>
    new S.CyclicLR(o, a(name).baseLr, a(name).maxLr, a(name));
const cases: [string, 'SGD' | 'Adam', Factory][] = [
  ['ConstantLR', 'SGD', (o) => new S.ConstantLR(o, a('ConstantLR'))],
  ['ConstantLR_default', 'SGD', (o) => new S.ConstantLR(o)],
  ['PolynomialLR', 'SGD', (o) => new S.PolynomialLR(o, a('PolynomialLR'))],
  ['PolynomialLR_sqrt', 'SGD', (o) => new S.PolynomialLR(o, a('PolynomialLR_sqrt'))],
  ['MultiplicativeLR', 'SGD', (o) => new S.MultiplicativeLR(o, [() => 0.95, (e) => 1 - 0.01 * e])],
  ['CyclicLR_triangular', 'SGD', cyclic('CyclicLR_triangular')],
  ['CyclicLR_triangular2', 'SGD', cyclic('CyclicLR_triangular2')],
  ['CyclicLR_exp_range', 'SGD', cyclic('CyclicLR_exp_range')],
  [
    'CyclicLR_scale_cycle',
    'SGD',
    (o) => new S.CyclicLR(o, 0.01, 0.1, { stepSizeUp: 4, scaleFn: (x) => 1 / (1 + 0.5 * (x - 1)) }),
  ],
  [
    'CyclicLR_scale_iterations',
    'SGD',
    (o) => new S.CyclicLR(o, 0.01, 0.1, { stepSizeUp: 4, scaleFn: (x) => 0.99 ** x, scaleMode: 'iterations' }),
  ],
  ['CyclicLR_no_momentum', 'SGD', cyclic('CyclicLR_no_momentum')],
  ['CyclicLR_adam', 'Adam', cyclic('CyclicLR_adam')],
  [
    'CosineAnnealingWarmRestarts',
    'SGD',
    (o) => new S.CosineAnnealingWarmRestarts(o, a('CosineAnnealingWarmRestarts').t0, a('CosineAnnealingWarmRestarts')),
  ],
  [
    'CosineAnnealingWarmRestarts_mult',
    'SGD',
    (o) =>
      new S.CosineAnnealingWarmRestarts(
        o,
        a('CosineAnnealingWarmRestarts_mult').t0,
        a('CosineAnnealingWarmRestarts_mult'),
      ),
  ],
  ['SWALR_cos', 'SGD', (o) => new S.SWALR(o, a('SWALR_cos').swaLr, a('SWALR_cos'))],
  ['SWALR_linear', 'SGD', (o) => new S.SWALR(o, a('SWALR_linear').swaLr, a('SWALR_linear'))],
  ['SWALR_zero', 'SGD', (o) => new S.SWALR(o, a('SWALR_zero').swaLr, a('SWALR_zero'))],
];

describe('LR sequences equal PyTorch for 50 steps', () => {
  for (const [name, kind, make] of cases) {
    it(name, () => {
      const opt = twoGroups(kind);
      const got = record(opt, make(opt), STEPS);
      expectSeq(got.lr, seqs[name].lr, `${name} lr`);
      expectSeq(got.momentum, seqs[name].momentum, `${name} momentum`);
      if (kind === 'Adam') for (const g of opt.paramGroups) expect((g.betas as number[])[1]).toBe(0.999);
    });
  }
});

describe('stateDict: PyTorch keys, and a resume continues the same sequence', () => {
  for (const [name, kind, make] of cases) {
    it(name, () => {
      const opt = twoGroups(kind);
      const sched = make(opt);
      const first = record(opt, sched, STATE_AT);
      const sd = sched.stateDict();
      expect(Object.keys(sd).sort()).toEqual(seqs[name].state_keys);
      const optSd = opt.stateDict();
      const opt2 = twoGroups(kind);
      const sched2 = make(opt2);
      opt2.loadStateDict(optSd);
      sched2.loadStateDict(JSON.parse(JSON.stringify(sd)));
      const rest = record(opt2, sched2, STEPS - STATE_AT);
      expectSeq([...first.lr, ...rest.lr.slice(1)], seqs[name].lr, `${name} resumed lr`);
      expectSeq([...first.momentum, ...rest.momentum.slice(1)], seqs[name].momentum, `${name} resumed momentum`);
    });
  }
});

describe('CosineAnnealingWarmRestarts with fractional epochs', () => {
  const frac = JSON.parse(fx.metadata.fractional) as {
    epochs: number[];
    cases: Record<string, { args: { t0: number; tMult: number; etaMin: number }; lr: number[][] }>;
  };
  for (const [name, c] of Object.entries(frac.cases)) {
    it(name, () => {
      const opt = twoGroups();
      const s = new S.CosineAnnealingWarmRestarts(opt, c.args.t0, c.args);
      const got = frac.epochs.map((e) => {
        s.step(e);
        return [...opt.paramGroups.map((g) => g.lr), s.lastEpoch, s.tCur, s.tI];
      });
      expectSeq(got, c.lr, name);
    });
  }
});

describe('scheduler argument checks, as PyTorch', () => {
  it('rejects bad arguments with typed errors', () => {
    const o = twoGroups();
    expect(() => new S.ConstantLR(o, { factor: 1.5 })).toThrow(torch.ArgumentError);
    expect(() => new S.CosineAnnealingWarmRestarts(o, 0)).toThrow('Expected positive integer T_0, but got 0');
    expect(() => new S.CosineAnnealingWarmRestarts(o, 3, { tMult: 1.5 })).toThrow(
      'Expected integer T_mult >= 1, but got 1.5',
    );
    expect(() => new S.CosineAnnealingWarmRestarts(o, 3).step(-1)).toThrow('Expected non-negative epoch, but got -1');
    expect(() => new S.SWALR(o, [0.1])).toThrow(/swa_lr has 1, optimizer.param_groups has 2/);
    expect(() => new S.SWALR(o, 0.1, { annealStrategy: 'exp' as 'cos' })).toThrow(
      /anneal_strategy must by one of 'cos' or 'linear'/,
    );
    expect(() => new S.SWALR(o, 0.1, { annealEpochs: -1 })).toThrow(/anneal_epochs must be equal or greater than 0/);
    expect(() => new S.CyclicLR(o, [0.1], 0.2)).toThrow('expected 2 values for base_lr, got 1');
    expect(() => new S.CyclicLR(o, 0.1, 0.2, { mode: 'sine' as 'triangular' })).toThrow(
      'mode is invalid and scale_fn is None',
    );
    expect(() => new S.MultiplicativeLR(o, [() => 1])).toThrow('Expected 2 lr_lambdas, but got 1');
  });
  it('CyclicLR needs momentum or betas to cycle', () => {
    const p = torch.zeros([2], { device: 'cpu', requiresGrad: true });
    class Plain extends torch.optim.Optimizer {
      constructor() {
        super([p], { lr: 0.1 });
      }
      protected update(): void {}
    }
    expect(() => new S.CyclicLR(new Plain(), 0.1, 0.2)).toThrow(
      'optimizer must support momentum with `cycle_momentum` option enabled',
    );
    expect(new S.CyclicLR(new Plain(), 0.1, 0.2, { cycleMomentum: false }).getLastLr()).toEqual([0.1]);
  });
  it('CyclicLR keeps a custom scaleFn out of its state dict and through a load', () => {
    const o = twoGroups();
    const s = new S.CyclicLR(o, 0.01, 0.1, { stepSizeUp: 2, scaleFn: () => 0.5 });
    s.loadStateDict({ ...s.stateDict(), _scale_fn_ref: null, _scale_fn_custom: null });
    s.step();
    expect(s.getLastLr()[0]).toBeCloseTo(0.01 + 0.09 * 0.5 * 0.5, 15);
  });
  it('SWALR writes swa_lr into each group, as PyTorch', () => {
    const o = twoGroups();
    new S.SWALR(o, [0.05, 0.002]);
    expect(o.stateDict().param_groups.map((g) => g.swa_lr)).toEqual([0.05, 0.002]);
  });
});
