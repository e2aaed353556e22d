import { describe, expect, it, vi } from 'vitest';
import { eachDevice, expectClose, LOOSE, TOL, torch } from '../harness.js';
import { input, loadFamily, runCase, type Call } from './functional-cases.js';

const F = torch.nn.functional;
const { T, cases } = loadFamily('conv');

const calls: Record<string, Call> = {
  conv2d: (i, a) => F.conv2d(i.x, i.weight, i.bias ?? null, a),
  conv1d: (i, a) => F.conv1d(i.x, i.weight, i.bias ?? null, a),
};

eachDevice((device) => {
  describe('against PyTorch', () => {
    for (const c of cases.filter((c) => calls[c.op])) {
      // LOOSE for the 7x7 stem only: each output sums 147 products, accumulated in another order than
      // PyTorch's (and than a tiled GPU kernel's); the other cases sum under 100 terms and hold TOL
      const tol = c.name === 'stem_7x7' ? LOOSE : TOL;
      it(`${c.op} ${c.name} ${JSON.stringify(c.args)}`, () => runCase(T, c, device, calls[c.op], tol));
    }
  });

  it('double backward: gradients of the input and weight gradients (the backward kernels are recorded ops)', async () => {
    const x = input(T, 'double.x', device, true),
      w = input(T, 'double.weight', device, true),
      gy = input(T, 'double.gy', device, true);
    const args = cases.find((c) => c.name === 'double')!.args;
    const y = F.conv2d(x, w, null, args);
    const [gx, gw] = torch.grad(y, [x, w], gy, { createGraph: true });
    await expectClose(gx!, T['double.gx'], TOL, 'gx');
    await expectClose(gw!, T['double.gw'], TOL, 'gw');
    const loss = gx!
      .mul(input(T, 'double.rx', device))
      .sum()
      .add(gw!.mul(input(T, 'double.rw', device)).sum());
    const [ggx, ggw, gggy] = torch.grad(loss, [x, w, gy]);
    await expectClose(ggx!, T['double.grad.x'], TOL, 'd/dx');
    await expectClose(ggw!, T['double.grad.weight'], TOL, 'd/dweight');
    await expectClose(gggy!, T['double.grad.gy'], TOL, 'd/dgy');
  });

  it('a frozen weight runs no weight-gradient kernel; a data input runs no input-gradient kernel', () => {
    const x = torch.randn([2, 3, 6, 6], { device }).requiresGrad_();
    const w = torch.randn([4, 3, 3, 3], { device });
    const b = torch.randn([4], { device }).requiresGrad_();
    const be = x.backend;
    const bwW = vi.spyOn(be, 'conv2dBackwardWeight'),
      bwX = vi.spyOn(be, 'conv2dBackwardInput');
    try {
      F.conv2d(x, w, b, { padding: 1 }).sum().backward();
      expect(bwW).not.toHaveBeenCalled();
      expect(bwX).toHaveBeenCalledTimes(1);
      expect(w.grad).toBeNull();
      expect(b.grad!.shape).toEqual([4]);
      const x2 = torch.randn([2, 3, 6, 6], { device }),
        w2 = torch.randn([4, 3, 3, 3], { device }).requiresGrad_();
      F.conv2d(x2, w2).sum().backward();
      expect(bwX).toHaveBeenCalledTimes(1);
      expect(bwW).toHaveBeenCalledTimes(1);
    } finally {
      bwW.mockRestore();
      bwX.mockRestore();
    }
  });

  it('conv1d runs as the 2-D kernel with height 1 and matches conv2d on an unsqueezed input', async () => {
    const x = torch.randn([2, 3, 10], { device }),
      w = torch.randn([5, 3, 4], { device }),
      b = torch.randn([5], { device });
    const y1 = F.conv1d(x, w, b, { stride: 2, padding: 1 });
    const y2 = F.conv2d(x.unsqueeze(2), w.unsqueeze(2), b, { stride: [1, 2], padding: [0, 1] }).squeeze(2);
    expect(y1.shape).toEqual([2, 5, 5]);
    await expectClose(y1, y2);
    // a transposed (non-contiguous) input, as TextCNN feeds embedding.transpose(1, 2)
    const e = torch.randn([2, 10, 3], { device });
    await expectClose(F.conv1d(e.transpose(1, 2), w), F.conv1d(e.transpose(1, 2).contiguous(), w));
  });

  it('bad arguments throw typed errors naming the shapes', () => {
    const x = torch.randn([1, 4, 5, 5], { device });
    expect(() => F.conv2d(x, torch.randn([8, 3, 3, 3], { device }))).toThrow(torch.ShapeError);
    expect(() => F.conv2d(x, torch.randn([8, 3, 3, 3], { device }))).toThrow(
      'weight of size [8, 3, 3, 3], expected input[1, 4, 5, 5] to have 3 channels, but got 4 channels instead',
    );
    expect(() => F.conv2d(x, torch.randn([3, 2, 3, 3], { device }), null, { groups: 2 })).toThrow(
      'expected weight to be divisible by 2 at dimension 0, but got weight of size [3, 2, 3, 3]',
    );
    expect(() =>
      F.conv2d(torch.randn([1, 3, 5, 5], { device }), torch.randn([4, 1, 3, 3], { device }), null, { groups: 2 }),
    ).toThrow('expected input[1, 3, 5, 5] to have 2 channels, but got 3 channels');
    expect(() => F.conv2d(x, torch.randn([8, 4, 7, 7], { device }))).toThrow(
      /Kernel size: \(7 x 7\)\. Kernel size can't be greater than actual input size.*\[1, 4, 5, 5\].*\[8, 4, 7, 7\]/,
    );
    expect(() => F.conv2d(x, torch.randn([8, 4, 3, 3], { device }), null, { padding: 1, dilation: 4 })).toThrow(
      'Calculated padded input size per channel: (7 x 7). Kernel size: (9 x 9)',
    );
    expect(() => F.conv2d(x, torch.randn([8, 4, 3, 3], { device }), torch.randn([7], { device }))).toThrow(
      'expected bias to be 1-dimensional with 8 elements, but got bias of size [7]',
    );
    expect(() => F.conv2d(x, torch.randn([8, 4, 3, 3], { device }), null, { stride: 2, padding: 'same' })).toThrow(
      torch.ArgumentError,
    );
    expect(() => F.conv2d(x, torch.randn([8, 4, 3, 3], { device }), null, { stride: 0 })).toThrow(torch.ArgumentError);
    expect(() => F.conv2d(x, torch.randn([8, 4, 3, 3], { device }), null, { padding: -1 })).toThrow(
      torch.ArgumentError,
    );
    expect(() => F.conv2d(x, torch.randn([8, 4, 3], { device }))).toThrow('got weight of size [8, 4, 3]');
    expect(() => F.conv1d(torch.randn([1, 4, 5], { device }), torch.randn([8, 4, 3, 3], { device }))).toThrow(
      torch.ShapeError,
    );
    expect(() => F.conv1d(x, torch.randn([8, 4, 3], { device }))).toThrow(
      'Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [1, 4, 5, 5]',
    );
  });
});
