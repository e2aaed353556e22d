// fit with gradual unfreezing and each scheduler kind: the param group added mid-run is scheduled
// like the others (the optimizer tells the schedulers; fit reaches into none of their fields), the
// lrs fit records are those a hand-written loop gets, and a run resumed after the group was added
// continues identically.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eachDevice, torch, type Device } from '../harness.js';
import { blobs, mlp } from './helpers.js';

const { finetune: ft, optim, data } = torch;
const S = optim.lrScheduler;
type Optimizer = torch.optim.Optimizer;
type Sched = (torch.optim.lrScheduler.Scheduler & { step(): void }) | torch.optim.lrScheduler.ReduceLROnPlateau;

const EPOCHS = 4,
  STEPS = 2; // 16 samples in batches of 8
const kinds: [string, (o: Optimizer) => Sched, 'epoch' | 'batch'][] = [
  ['StepLR', (o) => new S.StepLR(o, 2, { gamma: 0.5 }), 'epoch'],
  ['MultiStepLR', (o) => new S.MultiStepLR(o, [1, 3], { gamma: 0.5 }), 'epoch'],
  ['ConstantLR', (o) => new S.ConstantLR(o, { factor: 0.5, totalIters: 2 }), 'epoch'],
  ['LinearLR', (o) => new S.LinearLR(o, { startFactor: 0.5, totalIters: 3 }), 'epoch'],
  ['PolynomialLR', (o) => new S.PolynomialLR(o, { totalIters: 6 }), 'epoch'],
  ['ExponentialLR', (o) => new S.ExponentialLR(o, 0.8), 'epoch'],
  ['CosineAnnealingLR', (o) => new S.CosineAnnealingLR(o, 4), 'epoch'],
  ['LambdaLR', (o) => new S.LambdaLR(o, (e) => 1 / (1 + e)), 'epoch'],
  ['MultiplicativeLR', (o) => new S.MultiplicativeLR(o, () => 0.9), 'epoch'],
  ['CosineAnnealingWarmRestarts', (o) => new S.CosineAnnealingWarmRestarts(o, 2), 'epoch'],
  ['SWALR', (o) => new S.SWALR(o, 0.02, { annealEpochs: 3 }), 'epoch'],
  [
    'SequentialLR',
    (o) =>
      new S.SequentialLR(o, [new S.ConstantLR(o, { factor: 0.5, totalIters: 1 }), new S.ExponentialLR(o, 0.8)], [2]),
    'epoch',
  ],
  [
    'ChainedScheduler',
    (o) => new S.ChainedScheduler([new S.ExponentialLR(o, 0.8), new S.StepLR(o, 2, { gamma: 0.5 })]),
    'epoch',
  ],
  ['ReduceLROnPlateau', (o) => new S.ReduceLROnPlateau(o, { patience: 0, factor: 0.5 }), 'epoch'],
  ['OneCycleLR', (o) => new S.OneCycleLR(o, 0.1, { totalSteps: EPOCHS * STEPS }), 'batch'],
  ['CyclicLR', (o) => new S.CyclicLR(o, 0.01, 0.1, { stepSizeUp: 3 }), 'batch'],
];

/** A frozen first layer that opens at epoch 2 as a second param group with a smaller lr. */
function setup(device: Device, make: (o: Optimizer) => Sched) {
  torch.manualSeed(3);
  const model = mlp(6, 8, 3, device);
  ft.freeze(model, '0');
  const optimizer = new optim.SGD(ft.trainableParameters(model), { lr: 0.1, momentum: 0.9 });
  const scheduler = make(optimizer);
  const unfreeze = ft.unfreezeSchedule(model, ['2', '0'], { every: 2, groupOptions: { lr: 0.03 } });
  const train = new data.DataLoader(blobs(16, 6, 3, 1), { batchSize: 8, device });
  return { model, optimizer, scheduler, unfreeze, train };
}

eachDevice((device) => {
  describe('fit: unfreezing adds a param group mid-run, with each scheduler kind', () => {
    for (const [name, make, per] of kinds) {
      it(`${name}: fit's lrs are a hand-written loop's, with the new group scheduled`, async () => {
        const a = setup(device, make);
        const h = await ft.fit(a.model, {
          train: a.train,
          optimizer: a.optimizer,
          scheduler: a.scheduler,
          schedulerStep: per,
          unfreeze: a.unfreeze,
          epochs: EPOCHS,
          log: false,
        });
        expect(h.epochs[2].unfrozen).toEqual(['0.weight', '0.bias']);
        // the same schedule by hand, without training (the monitored value fit saw drives ReduceLROnPlateau)
        const b = setup(device, make);
        const want: number[][] = [];
        for (let e = 0; e < EPOCHS; e++) {
          b.unfreeze.onEpochStart(e, b.optimizer);
          want.push(b.optimizer.paramGroups.map((g) => g.lr));
          const s = b.scheduler;
          if (s instanceof S.ReduceLROnPlateau) s.step(h.epochs[e].trainLoss);
          else for (let k = 0; k < (per === 'batch' ? STEPS : 1); k++) s.step();
        }
        expect(h.epochs.map((r) => r.lr)).toEqual(want);
        expect(want[2].length).toBe(2);
        expect(a.scheduler.getLastLr()).toEqual(a.optimizer.paramGroups.map((g) => g.lr));
        expect(a.scheduler.getLastLr()).toEqual(b.scheduler.getLastLr());
        for (const lr of want.flat()) expect(Number.isFinite(lr) && lr > 0, `lr ${lr}`).toBe(true);
      });
    }

    for (const name of ['OneCycleLR', 'ReduceLROnPlateau', 'SequentialLR', 'SWALR']) {
      it(`${name}: resuming after the group was added continues identically`, async () => {
        const [, make, per] = kinds.find(([n]) => n === name)!;
        const a = setup(device, make);
        const ha = await ft.fit(a.model, { ...a, schedulerStep: per, epochs: EPOCHS, log: false });
        const dir = mkdtempSync(join(tmpdir(), 'ft-unfreeze-sched-'));
        const b = setup(device, make);
        await ft.fit(b.model, { ...b, schedulerStep: per, epochs: 3, log: false, checkpointDir: dir });
        const c = setup(device, make); // a fresh process builds everything again
        const hc = await ft.fit(c.model, {
          ...c,
          schedulerStep: per,
          epochs: EPOCHS,
          log: false,
          checkpointDir: dir,
          resume: true,
        });
        const strip = (r: torch.finetune.EpochRecord) => ({ ...r, seconds: 0 });
        expect(hc.epochs.map(strip)).toEqual(ha.epochs.map(strip));
        expect(c.scheduler.getLastLr()).toEqual(a.scheduler.getLastLr());
        expect(c.scheduler.stateDict()).toEqual(a.scheduler.stateDict());
      });
    }
  });
});
