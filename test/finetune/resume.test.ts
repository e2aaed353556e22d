// fit stopped anywhere — inside an accumulation, on the last batch with a partial step pending, during
// validation, during the EMA's validation, mid-epoch — and resumed (each time with everything built
// afresh, as a new process would) ends with the same weights, buffers and epoch records as a run that
// was never stopped, bit for bit. The DataLoader path (order redrawn, skipped batches never made),
// the generic path (any iterable: its first batches are dropped) and plain arrays are all covered.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eachDevice, torch, type Device } from '../harness.js';
import { bitwiseEqual, blobs, snapshot } from './helpers.js';

const { finetune: ft, nn, optim, data } = torch;
const tmp = () => mkdtempSync(join(tmpdir(), 'ft-resume-'));

type Kind = 'loader' | 'iterable' | 'array';

/** Everything a run builds, from scratch each time. 7 training batches (the last of 4), 3 val batches. */
function setup(device: Device, kind: Kind) {
  torch.manualSeed(3);
  const model = new nn.Sequential(
    new nn.Linear(6, 16, { device }),
    new nn.BatchNorm1d(16, { device }),
    new nn.ReLU(),
    new nn.Dropout(0.3),
    new nn.Linear(16, 3, { device }),
  );
  const optimizer = new optim.AdamW(model.parameters(), { lr: 0.01 });
  const scheduler = new optim.lrScheduler.OneCycleLR(optimizer, 0.05, { totalSteps: 9 });
  const gen = new torch.Generator(7);
  const loader = new data.DataLoader(blobs(52, 6, 3, 1), {
    batchSize: 8,
    shuffle: kind !== 'array',
    generator: gen,
    device,
  });
  let train: torch.finetune.Batches = loader;
  // no epochIndices: fit drops the batches already trained on; the generators must be named
  if (kind === 'iterable')
    train = {
      length: loader.length,
      [Symbol.asyncIterator]: () => loader[Symbol.asyncIterator](),
    } as torch.finetune.Batches;
  if (kind === 'array') train = fixedBatches(52, device);
  const val = new data.DataLoader(blobs(24, 6, 3, 2), { batchSize: 8, device });
  return {
    model,
    optimizer,
    scheduler,
    schedulerStep: 'batch' as const,
    train,
    val,
    epochs: 3,
    accumulateSteps: 3,
    clipGradNorm: 5,
    ema: 0.9,
    earlyStopping: 10,
    log: false as const,
    generators: [torch.defaultGenerator, gen],
  };
}

function fixedBatches(n: number, device: Device): [torch.Tensor, torch.Tensor][] {
  const ds = blobs(n, 6, 3, 1);
  const out: [torch.Tensor, torch.Tensor][] = [];
  for (let i = 0; i < n; i += 8) {
    const rows = Array.from({ length: Math.min(8, n - i) }, (_, k) => ds.get(i + k));
    const x = torch
      .tensor(Float32Array.from(rows.flatMap((r) => Array.from((r[0] as torch.data.HostTensor).data))), { device })
      .reshape([rows.length, 6]);
    out.push([x, torch.tensor(Int32Array.from(rows.map((r) => r[1] as number)), { device })]);
  }
  return out;
}

/** Run fit, aborting inside the `abortAt`-th forward of this run (train, val and EMA val forwards all count). */
async function leg(device: Device, kind: Kind, dir: string, resume: boolean, abortAt: number | null) {
  const s = setup(device, kind);
  const ctl = new AbortController();
  let forwards = 0;
  s.model.registerForwardHook(() => {
    if (++forwards === abortAt) ctl.abort();
  });
  const h = await ft.fit(s.model, { ...s, checkpointDir: dir, resume, signal: ctl.signal });
  return { h, model: s.model, forwards };
}

const strip = (r: torch.finetune.EpochRecord) => ({ ...r, seconds: 0 });

eachDevice((device) => {
  describe('fit resumed after a stop inside an epoch', () => {
    // 13 forwards per epoch: 7 training steps, 3 val, 3 EMA val
    const cases: [Kind, number[]][] = [
      // step 2 (2 of 3 micro-batches accumulated) → step 7, the last (1 accumulated, the partial step
      // pending) → val batch 2 → EMA val batch 2 → epoch 2 step 4 → the rest
      ['loader', [2, 5, 2, 5, 10]],
      ['iterable', [4, 6, 9]],
      ['array', [3, 12]],
    ];
    it.each(cases)(
      '%s: stopped at forwards %j of successive runs, the result equals an uninterrupted run bit for bit',
      async (kind, stops) => {
        const ref = await leg(device, kind, tmp(), false, null);
        expect(ref.h.epochs.length).toBe(3);
        const dir = tmp();
        let last = await leg(device, kind, dir, false, stops[0]);
        for (const at of [...stops.slice(1), null]) {
          expect(last.h.interrupted).toBe(true);
          last = await leg(device, kind, dir, true, at);
        }
        expect(last.h.interrupted).toBe(false);
        expect(last.h.epochs.map(strip)).toEqual(ref.h.epochs.map(strip));
        expect(last.h.best).toEqual(ref.h.best);
        const a = await snapshot(ref.model),
          b = await snapshot(last.model);
        const differ = [...a].filter(([k, v]) => !bitwiseEqual(b.get(k)!, v)).map(([k]) => k);
        expect(differ).toEqual([]);
      },
    );

    it('a stop right after a step reports the position and saves the accumulated gradients', async () => {
      const dir = tmp();
      const lines: string[] = [];
      const s = setup(device, 'loader');
      const ctl = new AbortController();
      let forwards = 0;
      s.model.registerForwardHook(() => {
        if (++forwards === 2) ctl.abort();
      });
      const h = await ft.fit(s.model, { ...s, checkpointDir: dir, signal: ctl.signal, log: (l) => lines.push(l) });
      expect(h.interrupted).toBe(true);
      expect(h.epochs).toEqual([]);
      expect(lines).toContain(
        `interrupted in epoch 1 after step 2 of 7; checkpoint saved to ${join(dir, 'checkpoint.safetensors')}`,
      );
      const saved = await torch.load(join(dir, 'checkpoint.safetensors'));
      expect(
        Object.keys(saved)
          .filter((k) => k.startsWith('grad.'))
          .sort(),
      ).toEqual(['grad.0', 'grad.1', 'grad.2', 'grad.3', 'grad.4', 'grad.5']);
      const r: string[] = [];
      const s2 = setup(device, 'loader');
      await ft.fit(s2.model, { ...s2, epochs: 1, checkpointDir: dir, resume: true, log: (l) => r.push(l) });
      expect(r[0]).toBe(
        `resumed from ${join(dir, 'checkpoint.safetensors')} after epoch 0, continuing epoch 1 at step 3`,
      );
    });
  });
});
