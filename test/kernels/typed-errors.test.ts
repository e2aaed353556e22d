// Errors a user can reach in the device code are typed (ShapeError, ArgumentError), not bare Error or
// RangeError: a tensor of more dims than the webgpu elementwise kernels index, a matmul grid over the
// adapter's limit, a malformed matmul config (bench / autotune notation); and models.create's name.
import { describe, expect, it } from 'vitest';
import { parseMatmulConfig, planMatmul, SOFTWARE_TILE } from '../../src/kernels/webgpu/matmul/index.js';
import { devices, torch } from '../harness.js';

describe('typed errors from the device code', () => {
  it.runIf(devices.includes('webgpu'))(
    'a 9-D webgpu tensor: ShapeError naming the shape (the cpu device takes it)',
    () => {
      const shape = [1, 1, 1, 1, 1, 1, 1, 2, 2];
      expect(torch.zeros(shape, { device: 'cpu' }).shape).toEqual(shape);
      expect(() => torch.zeros(shape, { device: 'webgpu' })).toThrow(torch.ShapeError);
      expect(() => torch.zeros(shape, { device: 'webgpu' })).toThrow(
        /supports at most 8 dims, got \[1, 1, 1, 1, 1, 1, 1, 2, 2\]/,
      );
    },
  );
  it('a matmul grid over the per-dimension limit: ShapeError naming the operands', () => {
    const g = { batch: 1, m: 4, n: 1 << 20, k: 4, transA: false, transB: false, strideA: 0, strideB: 0 };
    expect(() => planMatmul(g, 0, 0, SOFTWARE_TILE, 8)).toThrow(torch.ShapeError);
    expect(() => planMatmul(g, 0, 0, SOFTWARE_TILE, 8)).toThrow(
      /^webgpu matmul: \[1, 4, 4\] @ \[4, 1048576\] needs a grid of/,
    );
  });
  it('a malformed matmul config: ArgumentError', () => {
    expect(() => parseMatmulConfig('sg:32x1')).toThrow(torch.ArgumentError);
    expect(parseMatmulConfig('pk:32x1')).toEqual({ kind: 'packed', tm: 32, nb: 1 });
  });
  it('models.create with an unknown name: ArgumentError listing the names', () => {
    expect(() => torch.models.create('vgg16')).toThrow(torch.ArgumentError);
    expect(() => torch.models.create('vgg16')).toThrow(
      /^models\.create: unknown model 'vgg16' \(expected resnet18, resnet34, resnet50, .*smallcnn\)$/,
    );
  });
});
