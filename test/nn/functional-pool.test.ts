import { describe, expect, it } from 'vitest';
import { eachDevice, expectClose, TOL, torch } from '../harness.js';
import { input, loadFamily, runCase, type Call } from './functional-cases.js';

const F = torch.nn.functional;
const { T, cases } = loadFamily('pool');

const calls: Record<string, Call> = {
  maxPool2d: (i, a) => F.maxPool2d(i.x, a.kernelSize, a),
  maxPool1d: (i, a) => F.maxPool1d(i.x, a.kernelSize, a),
  avgPool2d: (i, a) => F.avgPool2d(i.x, a.kernelSize, a),
  avgPool1d: (i, a) => F.avgPool1d(i.x, a.kernelSize, a),
  adaptiveAvgPool2d: (i, a) => F.adaptiveAvgPool2d(i.x, a.outputSize),
  adaptiveAvgPool1d: (i, a) => F.adaptiveAvgPool1d(i.x, a.outputSize),
  adaptiveMaxPool2d: (i, a) => F.adaptiveMaxPool2d(i.x, a.outputSize, a),
  adaptiveMaxPool1d: (i, a) => F.adaptiveMaxPool1d(i.x, a.outputSize, a),
};

eachDevice((device) => {
  describe('against PyTorch', () => {
    // TOL: max pooling is exact; an average sums at most 9 terms
    for (const c of cases)
      it(`${c.op} ${c.name} ${JSON.stringify(c.args)}`, () => runCase(T, c, device, calls[c.op], TOL));
  });

  it('max pool double backward routes the second-order gradient through the same argmax', async () => {
    const x = input(T, 'max_resnet.x', device, true);
    const y = F.maxPool2d(x, 3, { stride: 2, padding: 1 });
    const gy = torch.randn(y.shape, { device }).requiresGrad_();
    const [gx] = torch.grad(y, [x], gy, { createGraph: true });
    const r = torch.randn(x.shape, { device });
    const [ggy] = torch.grad(gx!.mul(r).sum(), [gy]);
    // d<gx, r>/dgy = r read at each window's argmax
    const [, idx] = F.maxPool2d(x.detach(), 3, { stride: 2, padding: 1, returnIndices: true });
    const expected = r
      .reshape([6, -1])
      .gather(1, idx.reshape([6, -1]))
      .reshape(y.shape);
    await expectClose(ggy!, expected);
  });

  it('avg pool double backward is the pool again', async () => {
    const x = torch.randn([1, 2, 6, 5], { device }).requiresGrad_();
    const opts = { stride: 2, padding: 1, countIncludePad: false };
    const y = F.avgPool2d(x, 3, opts);
    const gy = torch.randn(y.shape, { device }).requiresGrad_();
    const [gx] = torch.grad(y, [x], gy, { createGraph: true });
    const r = torch.randn(x.shape, { device });
    const [ggy] = torch.grad(gx!.mul(r).sum(), [gy]);
    await expectClose(ggy!, F.avgPool2d(r, 3, opts));
  });

  it('TextCNN max over time: adaptiveMaxPool1d(x, 1) equals amax over the last dim', async () => {
    const x = torch.randn([3, 5, 8], { device });
    await expectClose(F.adaptiveMaxPool1d(x, 1).squeeze(2), x.amax(2));
  });

  it('bad arguments throw typed errors naming the shapes', () => {
    const x = torch.randn([1, 4, 5, 5], { device });
    expect(() => F.maxPool2d(x, 3, { padding: 2 })).toThrow(torch.ArgumentError);
    expect(() => F.maxPool2d(x, 3, { padding: 2 })).toThrow(
      'pad should be at most half of kernel size, but got pad=2 and kernel_size=3 (input [1, 4, 5, 5])',
    );
    expect(() => F.avgPool2d(x, 3, { padding: 2 })).toThrow('pad should be at most half of kernel size');
    expect(() => F.maxPool1d(torch.randn([1, 2, 5], { device }), 3, { padding: 2 })).toThrow(
      'pad should be at most half of kernel size',
    );
    expect(() => F.maxPool2d(x, 7)).toThrow(torch.ShapeError);
    expect(() => F.maxPool2d(x, 7)).toThrow(
      'Given input size: (4x5x5). Calculated output size: (4x0x0). Output size is too small',
    );
    expect(() => F.avgPool1d(torch.randn([1, 2, 5], { device }), 7)).toThrow(
      'Given input size: (2x5). Calculated output size: (2x0). Output size is too small',
    );
    expect(() => F.maxPool2d(x, 0)).toThrow(torch.ArgumentError);
    expect(() => F.maxPool2d(x, 2, { stride: 0 })).toThrow(torch.ArgumentError);
    expect(() => F.maxPool2d(x, [2, 2, 2])).toThrow(torch.ArgumentError);
    expect(() => F.maxPool2d(torch.randn([5, 5], { device }), 2)).toThrow('but got input of size: [5, 5]');
    expect(() => F.avgPool2d(x, 2, { divisorOverride: 0 })).toThrow(torch.ArgumentError);
    expect(() => F.adaptiveAvgPool2d(x, 0)).toThrow(torch.ArgumentError);
    expect(() => F.adaptiveMaxPool2d(torch.randn([1, 4, 0, 5], { device }), 2)).toThrow(torch.ShapeError);
  });
});
