// torch.mm / torch.bmm (and Tensor.mm / Tensor.bmm): matmul's values and gradients at exactly the ranks
// PyTorch's mm and bmm accept, PyTorch's messages at the others; linalg's helpers are not public.
import { describe, expect, it } from 'vitest';
import { eachDevice, expectClose, torch } from '../harness.js';

eachDevice((device) => {
  const t = (v: number[][] | number[][][], requiresGrad = false) => torch.tensor(v, { device, requiresGrad });

  describe('mm / bmm', () => {
    it('torch.mm and Tensor.mm: the 2-D product with MmBackward0 gradients', async () => {
      const a = t(
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
          true,
        ),
        b = t(
          [
            [1, 0],
            [0, 1],
            [2, -1],
          ],
          true,
        );
      const y = torch.mm(a, b);
      expect(y.shape).toEqual([2, 2]);
      expect(y.gradFn?.name).toBe('MmBackward0');
      await expectClose(y, [7, -1, 16, -1]);
      await expectClose(a.mm(b), [7, -1, 16, -1]);
      y.sum().backward();
      await expectClose(a.grad!, [1, 1, 1, 1, 1, 1]); // each row of b summed
      await expectClose(b.grad!, [5, 5, 7, 7, 9, 9]); // columns of a summed
    });
    it('torch.bmm and Tensor.bmm: the batched product, no broadcasting', async () => {
      const a = t([[[1, 2]], [[3, 4]]]),
        b = t([
          [[1], [1]],
          [[2], [0]],
        ]);
      const y = torch.bmm(a, b);
      expect(y.shape).toEqual([2, 1, 1]);
      await expectClose(y, [3, 6]);
      await expectClose(a.bmm(b), [3, 6]);
    });
    it("PyTorch's errors at other ranks and shapes", () => {
      const m23 = torch.zeros([2, 3], { device }),
        m45 = torch.zeros([4, 5], { device }),
        v = torch.zeros([3], { device });
      const b234 = torch.zeros([2, 3, 4], { device });
      expect(() => torch.mm(b234, m45)).toThrow(torch.ShapeError);
      expect(() => torch.mm(b234, m45)).toThrow(/^mm: self must be a matrix, got shape \[2, 3, 4\]$/);
      expect(() => torch.mm(m23, v)).toThrow(/^mm: mat2 must be a matrix, got shape \[3\]$/);
      expect(() => m23.mm(m45)).toThrow(/^mm: mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)$/);
      expect(() => torch.bmm(m23, m45)).toThrow(/^bmm: batch1 must be a 3D tensor, got shape \[2, 3\]$/);
      expect(() => torch.bmm(b234, m45)).toThrow(/^bmm: batch2 must be a 3D tensor/);
      expect(() => torch.bmm(b234, torch.zeros([3, 4, 5], { device }))).toThrow(
        /^bmm: Expected size for first two dimensions of batch2 tensor to be: \[2, 4\] but got: \[3, 4\]\.$/,
      );
      // matmul would broadcast a batch of 1; bmm does not
      expect(() => torch.bmm(torch.zeros([1, 3, 4], { device }), torch.zeros([2, 4, 5], { device }))).toThrow(
        /be: \[1, 4\] but got: \[2, 4\]/,
      );
    });
  });
});

describe('public face', () => {
  it('has mm and bmm, not the internal mmOp', () => {
    expect(typeof torch.mm).toBe('function');
    expect(typeof torch.bmm).toBe('function');
    expect('mmOp' in torch).toBe(false);
  });
});
