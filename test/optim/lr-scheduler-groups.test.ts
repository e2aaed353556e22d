// Param groups added after a scheduler (what gradual unfreezing does): every scheduler extends its
// per-group state through onParamGroupAdded, so the new group is scheduled from its own lr, the
// lists of its state dict have one entry per group, and a state-dict round trip still works.
import { describe, expect, it } from 'vitest';
import { torch } from '../harness.js';

const { optim } = torch;
const S = optim.lrScheduler;
type Optimizer = torch.optim.Optimizer;
type Sched = (torch.optim.lrScheduler.Scheduler & { step(): void }) | torch.optim.lrScheduler.ReduceLROnPlateau;
/** ReduceLROnPlateau steps on a metric that never improves, the others on nothing */
const stepOf = (s: Sched, i: number) => (s instanceof S.ReduceLROnPlateau ? s.step(10 + i) : s.step());

const param = (n: number) => torch.zeros([n], { device: 'cpu', requiresGrad: true });
const sgd = () => new optim.SGD([param(2)], { lr: 0.1, momentum: 0.9 });
const lrs = (o: Optimizer) => o.paramGroups.map((g) => g.lr);
const momenta = (o: Optimizer) => o.paramGroups.map((g) => g.momentum as number);

const kinds: [string, (o: Optimizer) => Sched][] = [
  ['StepLR', (o) => new S.StepLR(o, 2, { gamma: 0.5 })],
  ['MultiStepLR', (o) => new S.MultiStepLR(o, [2, 5], { gamma: 0.5 })],
  ['ConstantLR', (o) => new S.ConstantLR(o, { factor: 0.5, totalIters: 6 })],
  ['LinearLR', (o) => new S.LinearLR(o, { startFactor: 0.5, totalIters: 6 })],
  ['PolynomialLR', (o) => new S.PolynomialLR(o, { totalIters: 10, power: 2 })],
  ['ExponentialLR', (o) => new S.ExponentialLR(o, 0.9)],
  ['CosineAnnealingLR', (o) => new S.CosineAnnealingLR(o, 6, { etaMin: 0.001 })],
  ['LambdaLR', (o) => new S.LambdaLR(o, (e) => 1 / (1 + e))],
  ['MultiplicativeLR', (o) => new S.MultiplicativeLR(o, [() => 0.9])],
  ['OneCycleLR', (o) => new S.OneCycleLR(o, 0.1, { totalSteps: 12 })],
  ['CyclicLR', (o) => new S.CyclicLR(o, 0.01, 0.1, { stepSizeUp: 3 })],
  ['CosineAnnealingWarmRestarts', (o) => new S.CosineAnnealingWarmRestarts(o, 3, { tMult: 2, etaMin: 0.001 })],
  ['SWALR', (o) => new S.SWALR(o, 0.05, { annealEpochs: 4 })],
  [
    'SequentialLR',
    (o) =>
      new S.SequentialLR(o, [new S.LinearLR(o, { startFactor: 0.5, totalIters: 3 }), new S.ExponentialLR(o, 0.9)], [3]),
  ],
  [
    'ChainedScheduler',
    (o) => new S.ChainedScheduler([new S.ExponentialLR(o, 0.9), new S.CyclicLR(o, 0.01, 0.1, { stepSizeUp: 3 })]),
  ],
  ['ReduceLROnPlateau', (o) => new S.ReduceLROnPlateau(o, { patience: 0, minLr: 0.002 })],
];

/** Lists in a (nested) scheduler state dict that have `n` entries, by path. */
function listsOf(sd: Record<string, unknown>, n: number, path = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(sd)) {
    if (k === '_schedulers')
      (v as Record<string, unknown>[]).forEach((s, i) => out.push(...listsOf(s, n, `${path}${k}.${i}.`)));
    else if (Array.isArray(v) && v.length === n && k !== '_milestones' && k !== '_schedule_phases') out.push(path + k);
  }
  return out;
}

describe('a param group added after the scheduler', () => {
  for (const [name, make] of kinds) {
    it(`${name}: is scheduled from its own lr; every per-group list grows; the state dict round-trips`, () => {
      const opt = sgd();
      const sched = make(opt);
      for (let i = 0; i < 3; i++) stepOf(sched, i);
      const perGroup = listsOf(sched.stateDict(), 1);
      expect(perGroup.length).toBeGreaterThan(0);
      opt.addParamGroup({ params: [param(3)], lr: 0.01 });
      expect(sched.getLastLr()).toEqual(lrs(opt));
      // SWALR blends it, ConstantLR/LinearLR scale it to their current factor: their own tests
      if (!['SWALR', 'ConstantLR', 'LinearLR'].includes(name)) expect(opt.paramGroups[1].lr).toBe(0.01);
      for (let i = 3; i < 9; i++) {
        stepOf(sched, i);
        for (const lr of lrs(opt)) expect(Number.isFinite(lr) && lr > 0, `${name} lr ${lr}`).toBe(true);
        expect(sched.getLastLr()).toEqual(lrs(opt));
      }
      const sd = sched.stateDict();
      expect(
        listsOf(sd, 2)
          .filter((k) => perGroup.includes(k))
          .sort(),
      ).toEqual([...perGroup].sort());
      // a fresh optimizer with both groups takes the saved states and continues alike
      const opt2 = sgd();
      const sched2 = make(opt2);
      opt2.addParamGroup({ params: [param(3)], lr: 0.01 });
      opt2.loadStateDict(opt.stateDict());
      sched2.loadStateDict(JSON.parse(JSON.stringify(sd)));
      stepOf(sched, 9);
      stepOf(sched2, 9);
      expect(lrs(opt2)).toEqual(lrs(opt));
    });
  }
});

describe('how each kind schedules the new group', () => {
  const grow = (opt: Optimizer, lr = 0.01) =>
    opt.paramGroups.length === 1 && opt.addParamGroup({ params: [param(3)], lr });

  it("recursive and closed forms both continue from the new group's lr", () => {
    const opt = sgd();
    const s = new S.StepLR(opt, 2, { gamma: 0.5 });
    s.step();
    grow(opt);
    s.step(); // epoch 2: recursive form halves both
    expect(lrs(opt)).toEqual([0.05, 0.005]);
    s.step(6); // closed form from base lrs 0.1 and 0.01
    expect(lrs(opt)).toEqual([0.1 * 0.5 ** 3, 0.01 * 0.5 ** 3]);
  });

  it('ConstantLR/LinearLR: a group added mid-warm-up joins at the current factor and ends at its own lr', () => {
    const c = sgd();
    const constant = new S.ConstantLR(c, { factor: 0.5, totalIters: 6 });
    for (let i = 0; i < 3; i++) constant.step();
    grow(c);
    expect(lrs(c)).toEqual([0.05, 0.005]);
    for (let i = 3; i < 8; i++) constant.step();
    lrs(c).forEach((lr, j) => expect(lr).toBeCloseTo([0.1, 0.01][j], 15));
    const l = sgd();
    const linear = new S.LinearLR(l, { startFactor: 0.5, totalIters: 6 });
    for (let i = 0; i < 3; i++) linear.step();
    grow(l);
    expect(lrs(l)[1]).toBeCloseTo(0.01 * 0.75, 15);
    for (let i = 3; i < 8; i++) linear.step();
    lrs(l).forEach((lr, j) => expect(lr).toBeCloseTo([0.1, 0.01][j], 15));
  });

  it('LambdaLR: one function follows the new group; one per group leaves it at its lr', () => {
    const one = sgd();
    const a = new S.LambdaLR(one, (e) => 1 / (1 + e));
    grow(one);
    a.step();
    a.step();
    lrs(one).forEach((lr, j) => expect(lr).toBeCloseTo([0.1 / 3, 0.01 / 3][j], 15));
    const list = new optim.SGD([{ params: [param(2)] }, { params: [param(2)], lr: 0.2 }], { lr: 0.1 });
    const b = new S.LambdaLR(list, [(e) => 1 / (1 + e), (e) => 0.5 ** e]);
    list.addParamGroup({ params: [param(3)], lr: 0.01 });
    b.step();
    expect(lrs(list)).toEqual([0.1 / 2, 0.1, 0.01]);
  });

  it("OneCycleLR: the new group's lr is its max lr, in the first group's cycle shape; momentum alike", () => {
    const opt = sgd();
    const s = new S.OneCycleLR(opt, 0.1, { totalSteps: 20 });
    for (let i = 0; i < 4; i++) s.step();
    grow(opt, 0.02);
    expect(opt.paramGroups[1]).toMatchObject({ maxLr: 0.02, maxMomentum: 0.95, baseMomentum: 0.85 });
    expect(opt.paramGroups[1].initialLr).toBeCloseTo(0.02 / 25, 15);
    expect(opt.paramGroups[1].minLr).toBeCloseTo(0.02 / 25 / 1e4, 15);
    for (let i = 0; i < 12; i++) {
      s.step();
      const [a, b] = lrs(opt);
      expect(b).toBeCloseTo(a * 0.2, 14);
      expect(momenta(opt)[1]).toBe(momenta(opt)[0]);
    }
  });

  it("CyclicLR: cycles from the new group's lr with the first group's max/base ratio", () => {
    const opt = sgd();
    const s = new S.CyclicLR(opt, 0.01, 0.1, { stepSizeUp: 3 });
    s.step();
    grow(opt, 0.002);
    for (let i = 0; i < 7; i++) {
      s.step();
      const [a, b] = lrs(opt);
      expect(b).toBeCloseTo(a * 0.2, 14);
      expect(momenta(opt)[1]).toBe(momenta(opt)[0]);
    }
  });

  it('SWALR: the new group anneals from its lr as if it had been there from the start', () => {
    const late = sgd();
    const a = new S.SWALR(late, 0.05, { annealEpochs: 5, annealStrategy: 'linear' });
    const early = new optim.SGD([{ params: [param(2)] }, { params: [param(3)], lr: 0.01 }], { lr: 0.1, momentum: 0.9 });
    const b = new S.SWALR(early, 0.05, { annealEpochs: 5, annealStrategy: 'linear' });
    a.step();
    b.step();
    grow(late);
    expect(late.paramGroups[1].swaLr).toBe(0.05);
    for (let i = 0; i < 6; i++) {
      a.step();
      b.step();
      lrs(late).forEach((lr, j) => expect(lr).toBeCloseTo(lrs(early)[j], 14));
    }
  });

  it("ReduceLROnPlateau: the new group is reduced too, down to the first group's minLr", () => {
    const opt = sgd();
    const s = new S.ReduceLROnPlateau(opt, { patience: 0, minLr: 0.004 });
    s.step(1);
    grow(opt);
    s.step(2);
    expect(lrs(opt)).toEqual([0.1 * 0.1, 0.004]);
    expect(s.minLrs).toEqual([0.004, 0.004]);
  });

  it('SequentialLR and ChainedScheduler: the inner schedulers and the outer _lastLr all grow', () => {
    const opt = sgd();
    const inner = [new S.LinearLR(opt, { startFactor: 0.5, totalIters: 2 }), new S.ExponentialLR(opt, 0.5)];
    const s = new S.SequentialLR(opt, inner, [2]);
    s.step();
    grow(opt);
    for (const x of inner) expect(x.baseLrs).toEqual([0.1, 0.01]);
    s.step(); // the milestone: ExponentialLR restarts from the base lrs
    expect(lrs(opt)).toEqual([0.1, 0.01]);
    s.step();
    expect(s.getLastLr()).toEqual([0.05, 0.005]);
  });
});
