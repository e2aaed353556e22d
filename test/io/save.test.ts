// torch.save / torch.load: round trips in both formats, the archive layout torch expects, and
// the choice of format by extension (saving) and by magic bytes (loading).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectFormat, serializeCheckpoint } from '../../src/io/index.js';
import { unpickle, type PyDict } from '../../src/io/pickle/index.js';
import { ZipReader } from '../../src/io/zip.js';
import { eachDevice, torch } from '../harness.js';
import { expected, expectExact, flatten, readFixture } from './util.js';

const dir = mkdtempSync(join(tmpdir(), 'finetorch-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

eachDevice((device) => {
  it('a nested checkpoint round-trips through .pth', async () => {
    const w = torch.tensor(
      [
        [1.25, -2],
        [3, 4],
      ],
      { device },
    );
    const ck = {
      epoch: 3,
      lr: 0.25,
      name: 'r\u00fcn',
      flags: [true, false, null],
      big: 2 ** 40,
      neg: -70000,
      negZero: -0,
      model: {
        weight: w,
        steps: torch.tensor(new Int32Array([7]), { device }),
        mask: torch.tensor([true, false], { device }),
      },
      optimizer: {
        state: { 0: { momentum_buffer: torch.zeros([2, 2], { device }) } },
        param_groups: [{ lr: 0.25, params: [0] }],
      },
      again: w,
    };
    const file = join(dir, `ck-${device}.pth`);
    await torch.save(ck, file);
    const back = await torch.load(file, { device });
    expect(back.epoch).toBe(3);
    expect(back.lr).toBe(0.25);
    expect(back.name).toBe('r\u00fcn');
    expect(back.flags).toEqual([true, false, null]);
    expect(back.big).toBe(2 ** 40);
    expect(back.neg).toBe(-70000);
    expect(Object.is(back.negZero, -0)).toBe(true);
    expect(await back.model.weight.tolist()).toEqual([
      [1.25, -2],
      [3, 4],
    ]);
    expect(back.model.steps.dtype).toBe('int32');
    expect(await back.model.mask.tolist()).toEqual([true, false]);
    expect(back.again).toBe(back.model.weight);
    expect(Object.keys(back.optimizer.state)).toEqual(['0']);
    expect(back.model.weight.device).toBe(device);
  });
  it('a state dict round-trips through .safetensors', async () => {
    const sd = {
      'fc.weight': torch.randn([3, 2], { device }),
      'fc.bias': torch.tensor([0.5, -1, 2], { device }),
      'bn.num_batches_tracked': torch.tensor(new Int32Array([9]), { device }),
    };
    const file = join(dir, `sd-${device}.safetensors`);
    await torch.save(sd, file, { metadata: { format: 'pt' } });
    const back = await torch.load(file, { device });
    expect(Object.keys(back).sort()).toEqual(Object.keys(sd).sort());
    for (const k of Object.keys(sd))
      expect(Array.from(await back[k].data())).toEqual(Array.from(await sd[k as keyof typeof sd].data()));
  });
});

describe('pth layout', () => {
  it('writes the records torch writes: data.pkl, data/N (64-byte aligned, STORED), version "3\\n"', async () => {
    const bytes = await serializeCheckpoint(
      { a: torch.tensor([1, 2, 3]), b: torch.tensor(new Int32Array([4])) },
      'pth',
    );
    expect(detectFormat(bytes)).toBe('pth');
    const zip = new ZipReader(bytes);
    expect([...zip.entries.keys()]).toEqual([
      'archive/data.pkl',
      'archive/data/0',
      'archive/data/1',
      'archive/version',
    ]);
    for (const e of zip.entries.values()) {
      expect(e.method).toBe(0);
      expect(e.dataStart % 64).toBe(0);
    }
    expect(new TextDecoder().decode(zip.read('archive/version'))).toBe('3\n');
    // a mapping of tensors pickles as collections.OrderedDict, as state_dict() does
    expect((unpickle(zip.read('archive/data.pkl'), 'data.pkl') as PyDict).ordered).toBe(true);
  });
  it('a torch-written checkpoint survives load → save → load exactly, int keys and OrderedDicts included', async () => {
    const first = await torch.load(readFixture('checkpoint.pth'));
    const again = await torch.load(await serializeCheckpoint(first, 'pth'));
    const { tensors, other } = flatten(again);
    const e = expected['checkpoint.pth'];
    for (const [k, t] of tensors) await expectExact(t, e.tensors[k], k);
    expect(Object.fromEntries(other)).toEqual(Object.fromEntries(flatten(first).other));
    const zip = new ZipReader(await serializeCheckpoint(again, 'pth'));
    const root = unpickle(zip.read('archive/data.pkl'), 'data.pkl') as PyDict;
    const opt = root.values[root.keys.indexOf('optimizer')] as PyDict;
    const state = opt.values[opt.keys.indexOf('state')] as PyDict;
    expect(state.keys).toEqual([0, 1, 2, 3, 4, 5]);
    expect((root.values[root.keys.indexOf('model')] as PyDict).ordered).toBe(true);
  });
});

describe('format choice and errors', () => {
  it('save picks the format by extension; load by the bytes, whatever the name', async () => {
    const t = { x: torch.tensor([1]) };
    await torch.save(t, join(dir, 'a.pt'));
    await torch.save(t, join(dir, 'b.safetensors'));
    expect(detectFormat(readFileSync(join(dir, 'a.pt')))).toBe('pth');
    expect(detectFormat(readFileSync(join(dir, 'b.safetensors')))).toBe('safetensors');
    await torch.save(t, join(dir, 'c.pth'));
    expect(await (await torch.load(join(dir, 'c.pth'))).x.tolist()).toEqual([1]);
    await expect(torch.save(t, join(dir, 'd.json'))).rejects.toThrow(torch.ArgumentError);
    await expect(torch.save({ nested: t }, join(dir, 'e.safetensors'))).rejects.toThrow(/not a Tensor/);
    await expect(torch.save([t.x], join(dir, 'f.safetensors'))).rejects.toThrow(/flat \{ name: Tensor \}/);
    await expect(torch.save({ f: () => 1 }, join(dir, 'g.pth'))).rejects.toThrow(/'f' is a function/);
    await expect(torch.load(join(dir, 'missing.pth'))).rejects.toThrow(/cannot read .*missing\.pth/);
    expect(existsSync(join(dir, 'd.json'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
