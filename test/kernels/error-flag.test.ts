// Values only the device can check without a readback (embedding indices, class targets,
// indexSelect/gather indices, BCE probabilities) are typed errors on both devices: cpu throws at the
// call, webgpu raises a device-side flag and the next readback (data, item, tolist, synchronize)
// throws the same error. After it the device keeps working.
import { expect, it } from 'vitest';
import { eachDevice, torch } from '../harness.js';

const F = torch.nn.functional;
type T = torch.Tensor;
const ints = (v: number[], device: torch.Device) => torch.tensor(new Int32Array(v), { device });

/** Run `make` and read its result back: the error surfaces at the call (cpu) or at the readback (webgpu). */
async function run(make: () => T): Promise<unknown> {
  return (await make().data()).length;
}

eachDevice((device) => {
  it('embedding: an out-of-range index is an IndexError naming it, its position and the weight', async () => {
    const w = torch.randn([4, 3], { device });
    await expect(run(() => F.embedding(ints([1, 4, 0, 3], device), w))).rejects.toThrow(torch.IndexError);
    await expect(
      run(() =>
        F.embedding(
          ints(
            [
              [1, 2],
              [-1, 3],
            ].flat(),
            device,
          ).reshape([2, 2]),
          w,
        ),
      ),
    ).rejects.toThrow(
      'embedding: index out of range: -1 at flat position 2 of indices [2, 2], weight [4, 3] has 4 rows',
    );
  });

  it('crossEntropy: a target out of range (fused and weighted paths); the ignoreIndex is exempt', async () => {
    const x = torch.randn([6, 4], { device });
    const bad = ints([0, 1, 7, 3, 0, 1], device);
    const msg = 'crossEntropy: target 7 is out of bounds for 4 classes (flat position 2 of target [6], input [6, 4])';
    await expect(run(() => F.crossEntropy(x, bad))).rejects.toThrow(torch.IndexError);
    await expect(run(() => F.crossEntropy(x, bad))).rejects.toThrow(msg);
    await expect(run(() => F.crossEntropy(x, bad, { weight: torch.ones([4], { device }) }))).rejects.toThrow(msg);
    await expect(run(() => F.crossEntropy(x, bad, { labelSmoothing: 0.1 }))).rejects.toThrow(msg);
    expect(await run(() => F.crossEntropy(x, ints([0, 9, 0, 0, 0, 0], device), { ignoreIndex: 9 }))).toBe(1);
  });

  it('nllLoss: a target out of range', async () => {
    const logp = F.logSoftmax(torch.randn([6, 4], { device }), 1);
    await expect(run(() => F.nllLoss(logp, ints([0, -1, 0, 0, 0, 0], device)))).rejects.toThrow(
      /^nllLoss: target -1 is out of bounds for 4 classes \(flat position 1 of target \[6\], input \[6, 4\]\)$/,
    );
  });

  it('indexSelect and gather: an index out of range names the op, the dim and its size', async () => {
    const x = torch.randn([3, 4], { device });
    await expect(run(() => x.indexSelect(0, ints([0, 5], device)))).rejects.toThrow(torch.IndexError);
    await expect(run(() => x.indexSelect(0, ints([0, 5], device)))).rejects.toThrow(
      'indexSelect: index 5 is out of bounds for dimension 0 of input [3, 4] with size 3 (flat position 1 of index [2])',
    );
    const idx = ints([0, 1, 2, 3, 0, 4, 1, 1, 0, 0, 0, 0], device).reshape([3, 4]);
    await expect(run(() => x.gather(1, idx))).rejects.toThrow(
      'gather: index 4 is out of bounds for dimension 1 of input [3, 4] with size 4 (flat position 5 of index [3, 4])',
    );
  });

  it('binaryCrossEntropy: an input outside [0, 1] (NaN included) is an ArgumentError', async () => {
    const t = torch.tensor([0, 1, 1], { device });
    await expect(run(() => F.binaryCrossEntropy(torch.tensor([0.5, 1.5, 0.25], { device }), t))).rejects.toThrow(
      torch.ArgumentError,
    );
    await expect(run(() => F.binaryCrossEntropy(torch.tensor([0.5, 1.5, 0.25], { device }), t))).rejects.toThrow(
      'binaryCrossEntropy: all elements of input should be between 0 and 1; got 1.5 at flat position 1 of input [3]',
    );
    await expect(run(() => F.binaryCrossEntropy(torch.tensor([0.5, 0.5, NaN], { device }), t))).rejects.toThrow(
      /got NaN at flat position 2/,
    );
    await expect(run(() => F.binaryCrossEntropy(torch.tensor([-0.25, 0.5, 0.5], { device }), t))).rejects.toThrow(
      /got -0.25 at flat position 0/,
    );
    // the ends and -0 are inside
    expect(await run(() => F.binaryCrossEntropy(torch.tensor([0, 1, -0], { device }), t))).toBe(1);
  });

  it('several bad values: the error names one of them with its own position', async () => {
    const w = torch.randn([4, 2], { device });
    const err = await run(() => F.embedding(ints([0, 9, 1, -3, 2, 7], device), w)).catch((e: Error) => e);
    expect(err).toBeInstanceOf(torch.IndexError);
    const m = /out of range: (-?\d+) at flat position (\d+) /.exec((err as Error).message);
    expect(m).not.toBeNull();
    expect([0, 9, 1, -3, 2, 7][Number(m![2])]).toBe(Number(m![1]));
  });

  it('after an error the flag is cleared: the device keeps working and the error is not raised twice', async () => {
    const w = torch.randn([4, 3], { device });
    await expect(run(() => F.embedding(ints([5], device), w))).rejects.toThrow(torch.IndexError);
    const y = F.embedding(ints([2, 0], device), w);
    expect(await y.tolist()).toEqual([((await w.tolist()) as number[][])[2], ((await w.tolist()) as number[][])[0]]);
    expect(await torch.ones([2], { device }).sum().item()).toBe(2);
    await torch.webgpu.synchronize();
  });

  if (device === 'webgpu') {
    it('webgpu: the error surfaces at whichever readback comes next (item, synchronize), once', async () => {
      const w = torch.randn([4, 3], { device });
      const y = F.embedding(ints([0, 4], device), w); // no throw yet: the indices are on the device
      y.dispose();
      await expect(torch.ones([1], { device }).item()).rejects.toThrow(
        'embedding: index out of range: 4 at flat position 1',
      );
      expect(await torch.ones([1], { device }).item()).toBe(1);
      F.crossEntropy(torch.randn([2, 3], { device }), ints([0, 3], device));
      await expect(torch.webgpu.synchronize()).rejects.toThrow(/crossEntropy: target 3 is out of bounds for 3 classes/);
      await torch.webgpu.synchronize();
    });
  }
});
