// Loss argument checking: errors name the shapes and values involved. (Values and gradients of
// every loss are checked against PyTorch in test/autograd/ops.test.ts.)
import { describe, expect, it } from 'vitest';
import { eachDevice, torch } from '../harness.js';

const F = torch.nn.functional;

eachDevice((device) => {
  const logits = () => torch.randn([6, 4], { device });
  const classes = (v: number[]) => torch.tensor(new Int32Array(v), { device });

  describe('classification losses', () => {
    it('a target of the wrong shape names both shapes', () => {
      expect(() => F.crossEntropy(logits(), classes([0, 1, 2, 3, 0]))).toThrow(torch.ShapeError);
      expect(() => F.crossEntropy(logits(), classes([0, 1, 2, 3, 0]))).toThrow(
        /target of shape \[6\] for input \[6, 4\], got \[5\]/,
      );
      expect(() => F.nllLoss(torch.randn([2, 4, 3], { device }), classes([0, 1]))).toThrow(
        /\[2, 3\].*\[2, 4, 3\].*\[2\]/,
      );
      expect(() => F.crossEntropy(logits(), torch.rand([6, 3], { device }))).toThrow(
        /probability targets must have the input's shape \[6, 4\], got \[6, 3\]/,
      );
      expect(() => F.nllLoss(logits(), torch.zeros([6], { device }))).toThrow(torch.DTypeError);
    });
    it('class weights must match the number of classes', () => {
      expect(() =>
        F.crossEntropy(logits(), classes([0, 1, 2, 3, 0, 1]), { weight: torch.ones([3], { device }) }),
      ).toThrow(/weight must be a 1-D tensor of 4 class weights \(input \[6, 4\]\), got \[3\]/);
    });
    it('bad options are refused', () => {
      const t = classes([0, 1, 2, 3, 0, 1]);
      expect(() => F.crossEntropy(logits(), t, { reduction: 'avg' as 'mean' })).toThrow(
        /"avg" is not a valid value for reduction/,
      );
      expect(() => F.crossEntropy(logits(), t, { labelSmoothing: 1.5 })).toThrow(
        /labelSmoothing must be between 0.0 and 1.0, got 1.5/,
      );
    });
    it('every target ignored: the mean is NaN, as in PyTorch', async () => {
      const loss = F.crossEntropy(logits(), classes([-100, -100, -100, -100, -100, -100]));
      expect(Number.isNaN(await loss.item())).toBe(true);
      expect(
        await F.crossEntropy(logits(), classes([-100, -100, -100, -100, -100, -100]), { reduction: 'sum' }).item(),
      ).toBe(0);
    });
    it('a target out of range is an IndexError naming the value, position and shapes (webgpu: at the readback)', async () => {
      const read = (f: () => torch.Tensor) => (async () => f().data())();
      const t = classes([0, 1, 7, 3, 0, 1]);
      await expect(read(() => F.crossEntropy(logits(), t))).rejects.toThrow(torch.IndexError);
      await expect(read(() => F.crossEntropy(logits(), t))).rejects.toThrow(
        /target 7 is out of bounds for 4 classes \(flat position 2 of target \[6\], input \[6, 4\]\)/,
      );
      await expect(read(() => F.nllLoss(logits(), classes([0, -1, 0, 0, 0, 0])))).rejects.toThrow(
        /target -1 is out of bounds/,
      );
      // the ignored value itself is fine even though it is out of range
      await read(() => F.crossEntropy(logits(), classes([0, 9, 0, 0, 0, 0]), { ignoreIndex: 9 }));
    });
  });

  describe('regression and binary losses', () => {
    it('shapes that cannot broadcast name both shapes', () => {
      expect(() => F.mseLoss(torch.ones([3, 4], { device }), torch.ones([3, 5], { device }))).toThrow(
        /\[3, 4\].*\[3, 5\]/,
      );
      expect(() => F.binaryCrossEntropy(torch.rand([3], { device }), torch.rand([4], { device }))).toThrow(
        /target shape \[4\] must be the same as input shape \[3\]/,
      );
      expect(() =>
        F.binaryCrossEntropyWithLogits(torch.rand([2, 3], { device }), torch.rand([2, 3], { device }), {
          posWeight: torch.ones([2], { device }),
        }),
      ).toThrow(torch.ShapeError);
    });
    it('bad beta and delta are refused', () => {
      const a = torch.ones([2], { device });
      expect(() => F.smoothL1Loss(a, a, { beta: -1 })).toThrow(/beta must be non-negative, got -1/);
      expect(() => F.huberLoss(a, a, { delta: 0 })).toThrow(/delta must be positive, got 0/);
    });
    it('smoothL1Loss with beta 0 is l1Loss', async () => {
      const a = torch.randn([5], { device }),
        b = torch.randn([5], { device });
      expect(await F.smoothL1Loss(a, b, { beta: 0 }).item()).toBeCloseTo(await F.l1Loss(a, b).item(), 6);
    });
    it('binaryCrossEntropy refuses inputs outside [0, 1] (webgpu: at the readback)', async () => {
      const x = torch.tensor([0.5, 1.2], { device });
      await expect((async () => F.binaryCrossEntropy(x, torch.tensor([0, 1], { device })).data())()).rejects.toThrow(
        /between 0 and 1; got 1.2.* position 1 of input \[2\]/,
      );
    });
  });
});
