// Out-of-range indices are a typed IndexError naming the op, the value, the dim and its size — never
// a read of a neighbouring row or past the end. PyTorch 1.13 refuses negative indices in all of
// these ops too (index_select, gather, scatter_add, embedding, class targets), so they are errors
// here as well. cpu throws at the call; webgpu checks on the device and throws at the next readback.
import { describe, expect, it } from 'vitest';
import { eachDevice, torch, type Device } from '../harness.js';

const F = torch.nn.functional;
type Tensor = torch.Tensor;

/** The op's IndexError: thrown by the call on cpu, by the next readback on webgpu. */
async function expectIndexError(device: Device, fn: () => Tensor, message: RegExp): Promise<void> {
  if (device === 'cpu') {
    expect(fn).toThrow(torch.IndexError);
    expect(fn).toThrow(message);
    return;
  }
  const y = fn();
  const err = await y.data().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(torch.IndexError);
  expect(String((err as Error).message)).toMatch(message);
}

eachDevice((device) => {
  const T = (v: number[] | number[][], dtype?: 'int32') => torch.tensor(v, { device, dtype });
  const m2 = () =>
    T([
      [1, 2],
      [3, 4],
    ]);

  describe('index bounds', () => {
    it('IndexError is an ArgumentError and a FinetorchError', () => {
      const e = new torch.IndexError('x');
      expect(e).toBeInstanceOf(torch.ArgumentError);
      expect(e).toBeInstanceOf(torch.FinetorchError);
      expect(e.name).toBe('IndexError');
    });
    it('indexSelect past the end of a dim (was [3, NaN] on cpu)', async () => {
      await expectIndexError(
        device,
        () => torch.indexSelect(m2(), 1, T([2], 'int32')),
        /indexSelect: index 2 is out of bounds for dimension 1 of input \[2, 2\] with size 2 \(flat position 0 of index \[1\]\)/,
      );
      await expectIndexError(
        device,
        () => torch.indexSelect(torch.zeros([5, 4], { device }), 0, T([0, 5], 'int32')),
        /indexSelect: index 5 is out of bounds for dimension 0 of input \[5, 4\] with size 5 \(flat position 1/,
      );
    });
    it('gather past the end of its dim (was a read of the next row on cpu)', async () => {
      await expectIndexError(
        device,
        () => m2().gather(1, T([[2], [0]], 'int32')),
        /gather: index 2 is out of bounds for dimension 1 of input \[2, 2\] with size 2 \(flat position 0 of index \[2, 1\]\)/,
      );
    });
    it('negative indices are errors, as in PyTorch 1.13', async () => {
      await expectIndexError(
        device,
        () => torch.indexSelect(m2(), 1, T([-1], 'int32')),
        /indexSelect: index -1 is out of bounds/,
      );
      await expectIndexError(
        device,
        () => m2().gather(0, T([[0, -1]], 'int32')),
        /gather: index -1 is out of bounds for dimension 0/,
      );
    });
    it('the adjoints (indexAdd, scatterAdd) check their indices too', async () => {
      await expectIndexError(
        device,
        () => torch.indexAdd(T([[1, 2]]), 0, T([3], 'int32'), [3, 2]),
        /indexAdd: index 3 is out of bounds for dimension 0 of output \[3, 2\] with size 3/,
      );
      await expectIndexError(
        device,
        () => torch.scatterAdd(T([[1, 2]]), 1, T([[0, 2]], 'int32'), [1, 2]),
        /scatterAdd: index 2 is out of bounds for dimension 1 of output \[1, 2\] with size 2/,
      );
    });
    it('in-range indices, including an empty index, still work after an error', async () => {
      if (device !== 'cpu')
        await torch
          .indexSelect(m2(), 0, T([9], 'int32'))
          .data()
          .catch(() => undefined);
      expect(await torch.indexSelect(m2(), 1, T([1, 0], 'int32')).tolist()).toEqual([
        [2, 1],
        [4, 3],
      ]);
      expect(await torch.indexSelect(m2(), 0, torch.zeros([0], { device, dtype: 'int32' })).tolist()).toEqual([]);
    });
    if (device === 'cpu') {
      it('embedding and class targets raise IndexError on cpu', () => {
        expect(() => F.embedding(T([0, 4], 'int32'), torch.zeros([4, 2], { device }))).toThrow(torch.IndexError);
        expect(() => F.crossEntropy(torch.zeros([2, 3], { device }), T([0, 3], 'int32'))).toThrow(torch.IndexError);
        expect(() =>
          F.crossEntropy(torch.zeros([2, 3], { device }), T([0, 3], 'int32'), { weight: torch.ones([3], { device }) }),
        ).toThrow(torch.IndexError);
        expect(() => F.nllLoss(torch.zeros([2, 3], { device }), T([-2, 0], 'int32'))).toThrow(
          /nllLoss: target -2 is out of bounds for 3 classes/,
        );
      });
    }
  });

  describe('gather with an index smaller than the input (PyTorch allows it)', () => {
    it('reads the leading part of the other dims and routes the gradient there', async () => {
      const x = T([
        [1, 2, 3],
        [4, 5, 6],
      ]).requiresGrad_();
      const y = x.gather(1, T([[0, 2]], 'int32'));
      expect(await y.tolist()).toEqual([[1, 3]]);
      y.sum().backward();
      expect(await x.grad!.tolist()).toEqual([
        [1, 0, 1],
        [0, 0, 0],
      ]);
    });
    it('an index larger than the input in another dim is a ShapeError', () => {
      expect(() => T([[1, 2]]).gather(1, T([[0], [0]], 'int32'))).toThrow(torch.ShapeError);
      expect(() => T([[1, 2]]).gather(1, T([[0], [0]], 'int32'))).toThrow(
        /index shape \[2, 1\] must not be larger than input shape \[1, 2\] apart from dim 1/,
      );
    });
  });
});
