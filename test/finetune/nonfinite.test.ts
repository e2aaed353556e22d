// A loss that becomes NaN stops fit with NonFiniteLossError at the next readback it already does
// (every `logEvery` steps, and at the epoch's end), naming the epoch and the steps, and the best
// weights and the resume checkpoint stay those of the last good epoch.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eachDevice, torch, type Device } from '../harness.js';
import { bitwiseEqual, mlp } from './helpers.js';

const { finetune: ft, optim } = torch;

/** 4 batches of 4; in the second pass over them (epoch 2), batch 3 holds a NaN input. */
function data(device: Device) {
  const g = new torch.Generator(1);
  const batches = Array.from(
    { length: 4 },
    () =>
      [
        torch
          .tensor(
            Float32Array.from({ length: 24 }, () => g.normal()),
            { device },
          )
          .reshape([4, 6]),
        torch.tensor(Int32Array.from([0, 1, 2, 0]), { device }),
      ] as [torch.Tensor, torch.Tensor],
  );
  const bad = torch
    .tensor(
      Float32Array.from({ length: 24 }, (_, i) => (i === 5 ? NaN : 0)),
      { device },
    )
    .reshape([4, 6]);
  let pass = 0;
  return {
    length: 4,
    *[Symbol.iterator]() {
      pass++;
      for (let k = 0; k < 4; k++) yield pass === 2 && k === 2 ? [bad, batches[k][1]] : batches[k];
    },
  };
}

eachDevice((device) => {
  describe('fit and a non-finite loss', () => {
    it.each([
      [2, 'between steps 3 and 4'],
      [25, 'between steps 1 and 4'],
    ])('logEvery %d: stops in epoch 2 %s, files untouched', async (logEvery, where) => {
      const dir = tmp();
      torch.manualSeed(0);
      const model = mlp(6, 8, 3, device);
      const opts = {
        train: data(device),
        optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
        checkpointDir: dir,
        log: false as const,
        logEvery,
      };
      const e = await ft.fit(model, { ...opts, epochs: 3 }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ft.NonFiniteLossError);
      expect((e as Error).message).toMatch(
        new RegExp(`^fit: the training loss became NaN in epoch 2, ${where}; stopped without saving`),
      );
      expect([(e as torch.finetune.NonFiniteLossError).epoch, (e as torch.finetune.NonFiniteLossError).key]).toEqual([
        2,
        'training loss',
      ]);
      // the files are those written after epoch 1 (records hold times: compared without them)
      const saved = await Promise.all(
        ['model.safetensors', 'checkpoint.safetensors'].map(
          (f) => torch.load(join(dir, f)) as Promise<Record<string, torch.Tensor>>,
        ),
      );
      const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => ({ ...JSON.parse(l), seconds: 0 }));
      torch.manualSeed(0);
      const twin = mlp(6, 8, 3, device);
      const dir1 = tmp();
      await ft.fit(twin, {
        ...opts,
        train: data(device),
        optimizer: new optim.SGD(twin.parameters(), { lr: 0.1 }),
        checkpointDir: dir1,
        epochs: 1,
      });
      const want = await Promise.all(
        ['model.safetensors', 'checkpoint.safetensors'].map(
          (f) => torch.load(join(dir1, f)) as Promise<Record<string, torch.Tensor>>,
        ),
      );
      for (const [i, sd] of saved.entries()) {
        expect(Object.keys(sd)).toEqual(Object.keys(want[i]));
        for (const [k, t] of Object.entries(sd))
          expect(bitwiseEqual(await t.data(), await want[i][k].data()), k).toBe(true);
      }
      expect(lines).toEqual(
        readFileSync(join(dir1, 'metrics.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => ({ ...JSON.parse(l), seconds: 0 })),
      );
      expect(lines.length).toBe(1);
    });
  });
});

const tmp = () => mkdtempSync(join(tmpdir(), 'ft-nan-'));
