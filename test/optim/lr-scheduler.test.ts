// LR schedulers against PyTorch 1.13's sequences (tools/reference/optim.py): the lr (and the cycled
// momentum / beta1) of two param groups after construction and after each of 50 steps.
import { describe, expect, it } from 'vitest';
import { fixture, torch } from '../harness.js';
import {
  expectSeq,
  record as recordSteps,
  twoGroups,
  type Optimizer,
  type Seq,
  type Stepper,
} from './scheduler-util.js';

const { optim } = torch;
const S = optim.lrScheduler;

const fx = fixture('optim/schedulers');
const seqs = JSON.parse(fx.metadata.sequences) as Record<string, Seq>;
const STEPS = Number(fx.metadata.steps);
const record = (opt: Optimizer, sched: Stepper, metrics?: number[], steps = STEPS) =>
  recordSteps(opt, sched, steps, metrics);

type Factory = (o: Optimizer) => Stepper;
const a = (name: string) => seqs[name].args as Record<string, never>;
const cases: [string, 'SGD' | 'Adam', Factory][] = [
  ['StepLR', 'SGD', (o) => new S.StepLR(o, a('StepLR').stepSize, { gamma: a('StepLR').gamma })],
  ['MultiStepLR', 'SGD', (o) => new S.MultiStepLR(o, a('MultiStepLR').milestones, { gamma: a('MultiStepLR').gamma })],
  ['ExponentialLR', 'SGD', (o) => new S.ExponentialLR(o, a('ExponentialLR').gamma)],
  [
    'CosineAnnealingLR',
    'SGD',
    (o) => new S.CosineAnnealingLR(o, a('CosineAnnealingLR').tMax, { etaMin: a('CosineAnnealingLR').etaMin }),
  ],
  ['LinearLR', 'SGD', (o) => new S.LinearLR(o, a('LinearLR'))],
  ['LinearLRDecay', 'SGD', (o) => new S.LinearLR(o, a('LinearLRDecay'))],
  ['LambdaLR', 'SGD', (o) => new S.LambdaLR(o, [(e) => 1 / (1 + 0.1 * e), (e) => 0.95 ** e])],
  ['OneCycleLR_cos', 'SGD', (o) => new S.OneCycleLR(o, a('OneCycleLR_cos').maxLr, a('OneCycleLR_cos'))],
  [
    'OneCycleLR_linear_3p',
    'SGD',
    (o) => new S.OneCycleLR(o, a('OneCycleLR_linear_3p').maxLr, a('OneCycleLR_linear_3p')),
  ],
  ['OneCycleLR_adam', 'Adam', (o) => new S.OneCycleLR(o, a('OneCycleLR_adam').maxLr, a('OneCycleLR_adam'))],
  [
    'SequentialLR',
    'SGD',
    (o) =>
      new S.SequentialLR(
        o,
        [new S.LinearLR(o, { startFactor: 0.1, totalIters: 5 }), new S.CosineAnnealingLR(o, 45)],
        [5],
      ),
  ],
  [
    'SequentialLR3',
    'SGD',
    (o) =>
      new S.SequentialLR(
        o,
        [
          new S.ExponentialLR(o, 0.9),
          new S.StepLR(o, 4, { gamma: 0.5 }),
          new S.CosineAnnealingLR(o, 10, { etaMin: 0.0005 }),
        ],
        [10, 25],
      ),
  ],
  [
    'ChainedScheduler',
    'SGD',
    (o) =>
      new S.ChainedScheduler([
        new S.LinearLR(o, { startFactor: 0.5, totalIters: 8 }),
        new S.CosineAnnealingLR(o, 15, { etaMin: 0.002 }),
      ]),
  ],
  ['ReduceLROnPlateau_min', 'SGD', (o) => new S.ReduceLROnPlateau(o, a('ReduceLROnPlateau_min'))],
  ['ReduceLROnPlateau_max_abs', 'SGD', (o) => new S.ReduceLROnPlateau(o, a('ReduceLROnPlateau_max_abs'))],
];

describe('LR sequences equal PyTorch 1.13 for 50 steps', () => {
  for (const [name, kind, make] of cases) {
    it(name, () => {
      const opt = twoGroups(kind);
      const got = record(opt, make(opt), seqs[name].metrics);
      expectSeq(got.lr, seqs[name].lr, `${name} lr`);
      expectSeq(got.momentum, seqs[name].momentum, `${name} momentum`);
    });
  }
});

describe('stateDict round trip resumes the same sequence', () => {
  for (const [name, kind, make] of cases) {
    it(name, () => {
      const opt = twoGroups(kind);
      const sched = make(opt);
      const metrics = seqs[name].metrics;
      const first = record(opt, sched, metrics, 20);
      const optSd = opt.stateDict(),
        sd = (sched as unknown as torch.optim.lrScheduler.Scheduler).stateDict();
      // a fresh optimizer and scheduler, then the saved states
      const opt2 = twoGroups(kind);
      const sched2 = make(opt2);
      opt2.loadStateDict(optSd);
      (sched2 as unknown as torch.optim.lrScheduler.Scheduler).loadStateDict(sd);
      const rest = record(opt2, sched2, metrics?.slice(20), STEPS - 20);
      expectSeq([...first.lr, ...rest.lr.slice(1)], seqs[name].lr, `${name} resumed lr`);
      expectSeq([...first.momentum, ...rest.momentum.slice(1)], seqs[name].momentum, `${name} resumed momentum`);
    });
  }
});

describe('scheduler details', () => {
  it('stateDict uses PyTorch field names', () => {
    const opt = twoGroups();
    const cos = new S.CosineAnnealingLR(opt, 20, { etaMin: 0.001 });
    cos.step();
    expect(cos.stateDict()).toEqual({
      base_lrs: [0.1, 0.01],
      last_epoch: 1,
      _step_count: 2,
      _last_lr: opt.paramGroups.map((g) => g.lr),
      T_max: 20,
      eta_min: 0.001,
    });
    expect(opt.stateDict().param_groups[1]).toMatchObject({ initial_lr: 0.01, lr: opt.paramGroups[1].lr });
    const plateau = new S.ReduceLROnPlateau(opt, { mode: 'max' });
    expect(plateau.stateDict()).toMatchObject({
      best: -Infinity,
      mode_worse: -Infinity,
      num_bad_epochs: 0,
      threshold_mode: 'rel',
      min_lrs: [0, 0],
      last_epoch: 0,
    });
    expect(() => cos.loadStateDict({ bogus_field: 1 })).toThrow(/unknown key 'bogus_field'/);
  });
  it('resuming needs initialLr in every group, as PyTorch', () => {
    expect(() => new S.StepLR(twoGroups(), 3, { lastEpoch: 4 })).toThrow(
      "param 'initial_lr' is not specified in param_groups[0] when resuming an optimizer",
    );
  });
  it('OneCycleLR refuses to step past totalSteps and optimizers without momentum', () => {
    const opt = twoGroups();
    const s = new S.OneCycleLR(opt, 0.1, { totalSteps: 3 });
    for (let i = 0; i < 3; i++) s.step();
    expect(() => s.step()).toThrow('Tried to step 5 times. The specified number of total steps is 3');
    expect(() => new S.OneCycleLR(opt, 0.1)).toThrow(/totalSteps/);
  });
  it('SequentialLR checks milestones against schedulers', () => {
    const opt = twoGroups();
    expect(() => new S.SequentialLR(opt, [new S.ExponentialLR(opt, 0.9)], [3])).toThrow(
      /one more than the number of milestone points/,
    );
    const other = twoGroups();
    expect(
      () => new S.SequentialLR(opt, [new S.ExponentialLR(opt, 0.9), new S.ExponentialLR(other, 0.9)], [3]),
    ).toThrow(/same optimizer/);
  });
  it('ReduceLROnPlateau takes a cpu tensor metric', () => {
    const opt = twoGroups();
    const s = new S.ReduceLROnPlateau(opt, { patience: 0 });
    s.step(torch.tensor(1.0, { device: 'cpu' }));
    s.step(torch.tensor(2.0, { device: 'cpu' }));
    expect(s.getLastLr()).toEqual([0.1 * 0.1, 0.01 * 0.1]);
  });
});
