// Views in a .pth that ask for far more memory than their file: a tensor that is not a whole storage
// is copied out, and a few bytes of pickle can ask for any size (stride 0 expands one element to
// 2^33). The copies are bounded before anything is allocated — by 4× the file (at least 16 MiB), or
// by load's maxViewBytes — with an error naming the key, shape and stride. Legitimate views (slices,
// transposes, modest expanded buffers) still load.
import { describe, expect, it } from 'vitest';
import { load } from '../../src/io/index.js';
import { devices, torch } from '../harness.js';
import { manyViewsPth, viewPth } from './hostile.js';
import { expected, expectExact, flatten, readFixture } from './util.js';

async function refused(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  const before = torch.memory().cpu.liveTensors;
  await expect(p).rejects.toThrow(pattern);
  await p.catch((e) => expect(e).toBeInstanceOf(torch.CheckpointError));
  // nothing was left allocated
  expect(torch.memory().cpu.liveTensors).toBe(before);
}

describe('views are bounded before they are materialised', () => {
  it('[2^26] with stride [0] over one element (a 591-byte file asking for 256 MiB)', async () => {
    const file = viewPth([2 ** 26], [0]);
    expect(file.length).toBeLessThan(1000);
    await refused(
      load(file),
      /tensor 'w' is a view of shape \[67108864\] with stride \[0\] at offset 0 on storage '0' of 1 elements; copying it out takes 268435456 bytes, over the limit \(4× the \d+-byte file, at least 16777216\) of 16777216 bytes for views; if the file is trusted, load it with \{ maxViewBytes \} raised/,
    );
  });
  it('[2^28] and [2^33] (no RangeError, no half-minute copy)', async () => {
    await refused(load(viewPth([2 ** 28], [0])), /shape \[268435456\] with stride \[0\]/);
    await refused(load(viewPth([2 ** 33], [0])), /shape \[8589934592\] with stride \[0\].*takes 34359738368 bytes/);
  });
  it('[16384, 16384] over a 128 KB storage (1 GiB)', async () => {
    await refused(
      load(viewPth([16384, 16384], [1, 1], 32768)),
      /shape \[16384, 16384\] with stride \[1, 1\] .* of 32768 elements; copying it out takes 1073741824 bytes/,
    );
  });
  it('many views each under the limit but over it together', async () => {
    await refused(
      load(manyViewsPth(40, 2 ** 20)),
      /tensor 'v\d+' is a view of shape \[1048576\].*\(\d+ with the views before it\)/,
    );
  });
  it('maxViewBytes raises (or lowers) the limit; a bad value is an ArgumentError', async () => {
    const file = viewPth([5_000_000], [0]);
    await refused(load(file), /takes 20000000 bytes/);
    const t = (await load(file, { maxViewBytes: 2 ** 25 })).w as torch.Tensor;
    expect(t.shape).toEqual([5_000_000]);
    const d = await t.data();
    expect(d[0]).toBe(1);
    expect(d[4_999_999]).toBe(1);
    t.dispose();
    await refused(
      load(viewPth([4], [0]), { maxViewBytes: 8 }),
      /takes 16 bytes, over the maxViewBytes limit of 8 bytes/,
    );
    await expect(load(file, { maxViewBytes: -1 })).rejects.toThrow(torch.ArgumentError);
  });
});

describe('legitimate views still load', () => {
  it('an expanded buffer of modest size: [64, 512] with stride [0, 1] over 512 elements', async () => {
    const t = (await load(viewPth([64, 512], [0, 1], 512))).w as torch.Tensor;
    const d = await t.data();
    expect(t.shape).toEqual([64, 512]);
    expect([d[0], d[511], d[512], d[64 * 512 - 1]]).toEqual([1, 512, 1, 512]);
  });
  it('a transpose and a slice of one storage', async () => {
    const tr = (await load(viewPth([3, 2], [1, 3], 6))).w as torch.Tensor;
    expect(Array.from(await tr.data())).toEqual([1, 4, 2, 5, 3, 6]);
    const sl = (await load(viewPth([2], [1], 6, 3))).w as torch.Tensor;
    expect(Array.from(await sl.data())).toEqual([4, 5]);
  });
  for (const device of devices) {
    it(`the torch-written views and shared-storage fixtures, exact, on ${device}`, async () => {
      for (const name of ['views.pth', 'shared.pth']) {
        const { tensors } = flatten(await load(readFixture(name), { device }));
        expect([...tensors.keys()].sort()).toEqual(Object.keys(expected[name].tensors).sort());
        for (const [k, t] of tensors) {
          expect(t.device).toBe(device);
          await expectExact(t, expected[name].tensors[k], `${name} ${k}`);
        }
      }
    });
  }
});
