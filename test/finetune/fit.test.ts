// fit: the loop's behaviour (train/eval switching, noGrad evaluation, files), early stopping,
// resume giving an identical continuation, gradient accumulation and clipping, EMA, gradual
// unfreezing, interruption, and flat memory over 300 steps.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eachDevice, expectClose, LOOSE, torch, type Device } from '../harness.js';
import { bitwiseEqual, blobs, collectGarbage, mlp, snapshot } from './helpers.js';

const { finetune: ft, nn, optim, data } = torch;
const tmp = () => mkdtempSync(join(tmpdir(), 'ft-fit-'));

/** An MLP with dropout (so resuming must restore the RNG too). */
function net(device: Device, seed: number): torch.nn.Sequential {
  torch.manualSeed(seed);
  return new nn.Sequential(
    new nn.Linear(6, 16, { device }),
    new nn.ReLU(),
    new nn.Dropout(0.2),
    new nn.Linear(16, 3, { device }),
  );
}
const loaders = (device: Device, seed = 5) => ({
  train: new data.DataLoader(blobs(48, 6, 3, 1), {
    batchSize: 8,
    shuffle: true,
    generator: new torch.Generator(seed),
    device,
  }),
  val: new data.DataLoader(blobs(24, 6, 3, 2), { batchSize: 8, device }),
});

eachDevice((device) => {
  describe('fit', () => {
    it('trains, switches train/eval, evaluates without grad, writes best weights, metrics.jsonl and the curve', async () => {
      const model = net(device, 0);
      const seen: { training: boolean; grad: boolean }[] = [];
      model.registerForwardHook((m) => {
        seen.push({ training: m.training, grad: torch.isGradEnabled() });
      });
      const dir = tmp();
      const lines: string[] = [];
      const { train, val } = loaders(device);
      const h = await ft.fit(model, {
        train,
        val,
        epochs: 6,
        optimizer: new optim.Adam(model.parameters(), { lr: 0.02 }),
        checkpointDir: dir,
        log: (l) => lines.push(l),
      });
      expect(h.epochs.map((r) => r.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
      const first = h.epochs[0],
        last = h.epochs[5];
      expect(last.trainLoss).toBeLessThan(first.trainLoss);
      expect(last.valLoss!).toBeLessThan(first.valLoss!);
      expect(last.valAccuracy as number).toBeGreaterThan(0.6);
      expect(Object.keys(last).sort()).toEqual(
        ['epoch', 'lr', 'samples', 'seconds', 'steps', 'trainAccuracy', 'trainLoss', 'valAccuracy', 'valLoss'].sort(),
      );
      expect([last.steps, last.samples, last.lr]).toEqual([6, 48, [0.02]]);
      // 6 training forwards per epoch in train mode with grad, 3 val forwards in eval mode without
      expect(seen.length).toBe(6 * 9);
      for (let e = 0; e < 6; e++) {
        expect(seen.slice(e * 9, e * 9 + 6).every((s) => s.training && s.grad)).toBe(true);
        expect(seen.slice(e * 9 + 6, e * 9 + 9).every((s) => !s.training && !s.grad)).toBe(true);
      }
      expect(model.training).toBe(true);
      // best epoch by val loss; its weights are in model.safetensors
      const bestEpoch = h.epochs.reduce((b, r) => (r.valLoss! < b.valLoss! ? r : b));
      expect(h.best).toEqual({ epoch: bestEpoch.epoch, monitor: 'valLoss', value: bestEpoch.valLoss });
      const saved = await torch.load(h.files.model!);
      expect(Object.keys(saved).sort()).toEqual(Object.keys(model.stateDict({ keepVars: true })).sort());
      const jsonl = readFileSync(h.files.metrics!, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(jsonl).toEqual(JSON.parse(JSON.stringify(h.epochs)));
      const svg = readFileSync(h.files.curve!, 'utf8');
      expect(svg).toMatch(
        /^<\?xml[\s\S]*<svg[\s\S]*learning curve: loss[\s\S]*learning curve: accuracy[\s\S]*<\/svg>\n$/,
      );
      expect((svg.match(/<path d="M/g) ?? []).length).toBe(4); // train/val loss, train/val accuracy
      expect(existsSync(h.files.checkpoint!)).toBe(true);
      // plain lines when not a TTY: one summary per epoch, the best marked with *
      const summaries = lines.filter((l) => /^epoch \d+ {2}train loss/.test(l));
      expect(summaries.length).toBe(6);
      expect(summaries[bestEpoch.epoch - 1]).toMatch(/ {2}\*$/);
      expect(summaries[0]).toMatch(
        /^epoch 1 {2}train loss \d\.\d{4} {2}train accuracy \d\.\d{4} {2}val loss \d\.\d{4} {2}val accuracy \d\.\d{4} {2}[\d.]+ samples\/s/,
      );
    });

    it('resuming from the checkpoint continues identically (model, optimizer, scheduler, RNG, unfreezing)', async () => {
      const setup = (dir: string) => {
        const model = net(device, 11);
        ft.freeze(model, '0');
        const optimizer = new optim.SGD(ft.trainableParameters(model), { lr: 0.1, momentum: 0.9 });
        const scheduler = new optim.lrScheduler.StepLR(optimizer, 2, { gamma: 0.5 });
        const unfreeze = ft.unfreezeSchedule(model, ['3', '0'], { every: 2, groupOptions: { lr: 0.05 } });
        return { model, optimizer, scheduler, unfreeze, dir, ...loaders(device, 9), log: false as const, ema: 0.9 };
      };
      const a = setup(tmp());
      const ha = await ft.fit(a.model, { ...a, epochs: 5, checkpointDir: a.dir });
      const b = setup(tmp());
      await ft.fit(b.model, { ...b, epochs: 3, checkpointDir: b.dir });
      const c = setup(b.dir); // a fresh process would build everything again
      const hc = await ft.fit(c.model, { ...c, epochs: 5, checkpointDir: c.dir, resume: true });
      expect(hc.epochs.length).toBe(5);
      const strip = (r: torch.finetune.EpochRecord) => ({ ...r, seconds: 0 });
      expect(hc.epochs.map(strip)).toEqual(ha.epochs.map(strip));
      expect(hc.epochs[2].unfrozen).toEqual(['0.weight', '0.bias']);
      expect(c.optimizer.paramGroups.length).toBe(2);
      const sa = await snapshot(a.model),
        sc = await snapshot(c.model);
      for (const [k, v] of sa) expect(bitwiseEqual(sc.get(k)!, v), k).toBe(true);
      expect(c.scheduler.getLastLr()).toEqual(a.scheduler.getLastLr());
      const lines = readFileSync(join(b.dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
      expect(lines.length).toBe(5);
    });

    it('stops early when the monitored value stops improving', async () => {
      const model = net(device, 1);
      const h = await ft.fit(model, {
        ...loaders(device),
        epochs: 20,
        optimizer: new optim.SGD(model.parameters(), { lr: 0 }),
        earlyStopping: { patience: 2 },
        log: false,
      });
      // lr 0: the first epoch sets the best val loss, the next three do not beat it
      expect(h.stoppedEarly).toBe(true);
      expect(h.epochs.length).toBe(4);
      expect(h.best!.epoch).toBe(1);
    });

    it('gradient accumulation over 2 micro-batches of 4 equals batches of 8', async () => {
      const ds = blobs(32, 6, 3, 3);
      const run = async (batchSize: number, accumulateSteps: number) => {
        const model = mlp(6, 8, 3, device);
        torch.manualSeed(4);
        for (const p of model.parameters()) torch.noGrad(() => p.copy_(torch.randn(p.shape, { device: 'cpu' })));
        await ft.fit(model, {
          train: new data.DataLoader(ds, { batchSize, device }),
          epochs: 1,
          optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
          accumulateSteps,
          log: false,
        });
        return model;
      };
      const a = await run(8, 1),
        b = await run(4, 2);
      for (const [k, p] of a.namedParameters()) await expectClose(b.getParameter(k), p, LOOSE, k);
    });

    it('clips the gradient norm before each step', async () => {
      const model = mlp(6, 8, 3, device);
      const before = await snapshot(model);
      await ft.fit(model, {
        train: new data.DataLoader(blobs(8, 6, 3, 1), { batchSize: 8, device }),
        epochs: 1,
        optimizer: new optim.SGD(model.parameters(), { lr: 1 }),
        clipGradNorm: 1e-3,
        log: false,
      });
      const after = await snapshot(model);
      let sq = 0;
      for (const [k, v] of before)
        after.get(k)!.forEach((x, i) => {
          sq += (x - v[i]) ** 2;
        });
      expect(Math.sqrt(sq)).toBeLessThan(1e-3 * 1.01);
      expect(Math.sqrt(sq)).toBeGreaterThan(1e-3 * 0.9);
    });

    it('evaluates an EMA of the weights alongside the raw ones and restores the raw weights', async () => {
      const model = mlp(6, 8, 3, device);
      const w0 = await snapshot(model);
      const { val } = loaders(device);
      const h = await ft.fit(model, {
        train: new data.DataLoader(blobs(8, 6, 3, 1), { batchSize: 8, device }),
        val,
        epochs: 1,
        optimizer: new optim.SGD(model.parameters(), { lr: 0.5 }),
        ema: 0.75,
        log: false,
      });
      const w1 = await snapshot(model);
      // one step: ema = 0.75 w0 + 0.25 w1
      const twin = mlp(6, 8, 3, device);
      torch.noGrad(() => {
        for (const [k, p] of twin.namedParameters()) {
          const v = w0.get(k)!.map((x, i) => 0.75 * x + 0.25 * w1.get(k)![i]);
          p.copy_(torch.tensor(Float32Array.from(v), { device: 'cpu' }).reshape(p.shape));
        }
      });
      const r = await ft.evaluate(twin, val);
      expect(h.epochs[0].emaValLoss).toBeCloseTo(r.loss, 5);
      expect(h.epochs[0].emaValAccuracy).toBeCloseTo(r.accuracy, 6);
      expect(h.epochs[0].emaValLoss).not.toBeCloseTo(h.epochs[0].valLoss!, 5);
      const again = await ft.evaluate(model, val);
      expect(again.loss).toBeCloseTo(h.epochs[0].valLoss!, 5);
    });

    it('gradual unfreezing adds each stage to the optimizer when it opens', async () => {
      const model = mlp(6, 8, 3, device);
      ft.freeze(model);
      ft.unfreeze(model, '2');
      const optimizer = new optim.SGD(ft.trainableParameters(model), { lr: 0.1 });
      const scheduler = new optim.lrScheduler.ExponentialLR(optimizer, 0.5);
      const schedule = ft.unfreezeSchedule(model, ['2', '0'], { every: 1 });
      const w0 = await snapshot(model);
      const seenGroups: number[] = [];
      const h = await ft.fit(model, {
        train: new data.DataLoader(blobs(16, 6, 3, 1), { batchSize: 8, device }),
        epochs: 3,
        optimizer,
        scheduler,
        unfreeze: schedule,
        log: false,
        onEpoch: async (r) => {
          seenGroups.push(optimizer.paramGroups.length);
          if (r.epoch === 1) {
            const s = await snapshot(model);
            expect(bitwiseEqual(s.get('0.weight')!, w0.get('0.weight')!)).toBe(true);
          }
        },
      });
      expect(seenGroups).toEqual([1, 2, 2]);
      expect(h.epochs.map((r) => r.unfrozen)).toEqual([undefined, ['0.weight', '0.bias'], undefined]);
      expect(h.epochs.map((r) => r.lr)).toEqual([[0.1], [0.05, 0.1], [0.025, 0.05]]);
      expect(schedule.events.map((e) => [e.epoch, e.unfrozen.length, e.added])).toEqual([
        [0, 0, 0],
        [1, 2, 2],
      ]);
      const w = await snapshot(model);
      expect(bitwiseEqual(w.get('0.weight')!, w0.get('0.weight')!)).toBe(false);
    });

    it('an abort (what Ctrl-C does) finishes the step, saves the checkpoint and returns', async () => {
      const model = mlp(6, 8, 3, device);
      const ctl = new AbortController();
      const ds = blobs(32, 6, 3, 1);
      let k = 0;
      const batches = new data.DataLoader(ds, { batchSize: 4, device });
      const train = {
        length: batches.length,
        async *[Symbol.asyncIterator]() {
          for await (const b of batches) {
            if (++k === 11) ctl.abort(); // epoch 2, third step
            yield b;
          }
        },
      };
      const dir = tmp();
      const h = await ft.fit(model, {
        train,
        epochs: 5,
        optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
        checkpointDir: dir,
        signal: ctl.signal,
        log: false,
        disposeBatches: true,
      });
      expect(h.interrupted).toBe(true);
      expect(h.epochs.length).toBe(1);
      expect(k).toBe(11);
      const h2 = await ft.fit(model, {
        train: batches,
        epochs: 3,
        optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
        checkpointDir: dir,
        resume: true,
        log: false,
      });
      expect(h2.epochs.map((r) => r.epoch)).toEqual([1, 2, 3]);
      expect(h2.interrupted).toBe(false);
    });

    it('keeps memory flat over 300 steps', async () => {
      const model = mlp(6, 8, 3, device);
      const live: [number, number][] = [];
      await collectGarbage(); // what earlier tests left to the garbage collector goes now, not mid-measurement
      const train = new data.DataLoader(blobs(40, 6, 3, 1), { batchSize: 4, device });
      const h = await ft.fit(model, {
        train,
        epochs: 30,
        optimizer: new optim.Adam(model.parameters(), { lr: 1e-3 }),
        log: false,
        logEvery: 5,
        onEpoch: () => {
          const m = torch.memory()[device];
          live.push([m.liveBytes, m.liveTensors]);
        },
      });
      expect(h.epochs.reduce((s, r) => s + r.steps, 0)).toBe(300);
      for (const x of live.slice(2)) expect(x).toEqual(live[1]);
    });
  });
});

describe('fit argument errors', () => {
  const model = mlp(2, 2, 2, 'cpu');
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
  const train = [[torch.zeros([2, 2], { device: 'cpu' }), torch.tensor(new Int32Array([0, 1]), { device: 'cpu' })]];
  it.each([
    [{ epochs: 0 }, /epochs must be a positive integer/],
    [{ accumulateSteps: 0 }, /accumulateSteps must be a positive integer/],
    [{ monitor: 'valLoss' }, /monitor 'valLoss' is not in the epoch record/],
    [{ resume: true }, /resume: true needs checkpointDir/],
    [{ metrics: ['f1'] }, /unknown metric 'f1'/],
    [
      { resume: '/nonexistent/ckpt.safetensors' },
      /cannot read the resume checkpoint '\/nonexistent\/ckpt\.safetensors': no such file/,
    ],
  ])('%o', async (extra, msg) => {
    await expect(
      ft.fit(model, { train, optimizer, epochs: 1, log: false, ...extra } as torch.finetune.FitOptions),
    ).rejects.toThrow(msg);
  });
  it('installs no SIGINT listener unless handleSigint: true (a library does not own the process)', async () => {
    const before = process.listenerCount('SIGINT');
    const seen: number[] = [];
    await ft.fit(model, {
      train,
      optimizer,
      epochs: 1,
      log: false,
      onEpoch: () => {
        seen.push(process.listenerCount('SIGINT'));
      },
    });
    await ft.fit(model, {
      train,
      optimizer,
      epochs: 1,
      log: false,
      handleSigint: true,
      onEpoch: () => {
        seen.push(process.listenerCount('SIGINT'));
      },
    });
    expect(seen).toEqual([before, before + 1]);
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
  it('a plain array of batches is reused every epoch (not disposed)', async () => {
    const h = await ft.fit(model, { train, optimizer, epochs: 3, log: false });
    expect(h.epochs.length).toBe(3);
    expect(train[0][0].isDisposed).toBe(false);
  });
});
