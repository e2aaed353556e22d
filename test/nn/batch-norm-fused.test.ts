// The eval BatchNorm + ReLU fusion (src/nn/functional/batch-norm-fused.ts): relu(bn(x) [+ r]) in
// one kernel pass, forward and every gradient against PyTorch (tools/reference/bn_relu.py) and
// against the unfused ops; what it declines; double backward by gradcheck.
import { describe, expect, it } from 'vitest';
import { evalBatchNormReLU } from '../../src/nn/functional/batch-norm-fused.js';
import { eachDevice, expectClose, fixture, onDevice, TOL, torch } from '../harness.js';

const F = torch.nn.functional;
type T = torch.Tensor;
const { tensors: fx, metadata } = fixture('bn_relu');
const cases = JSON.parse(metadata.cases) as { name: string; affine: boolean; residual: boolean }[];

eachDevice((device) => {
  for (const c of cases) {
    it(`${c.name}${c.affine ? '' : ', no affine'}${c.residual ? ', + residual' : ''}: output and gradients equal PyTorch's and the unfused ops'`, async () => {
      const p = (k: string) => fx[`${c.name}.${k}`];
      const rm = onDevice(p('runningMean'), device),
        rv = onDevice(p('runningVar'), device);
      const gy = onDevice(p('gy'), device);
      const run = (fused: boolean) => {
        const x = onDevice(p('x'), device, true);
        const w = c.affine ? onDevice(p('weight'), device, true) : null,
          b = c.affine ? onDevice(p('bias'), device, true) : null;
        const r = c.residual ? onDevice(p('residual'), device, true) : null;
        const be = x.backend,
          before = be.dispatches;
        let y: T;
        if (fused) y = evalBatchNormReLU(x, rm, rv, { weight: w, bias: b, residual: r })!;
        else {
          y = F.batchNorm(x, rm, rv, { weight: w, bias: b });
          y = F.relu(r ? y.add(r) : y);
        }
        const forwardDispatches = be.dispatches - before;
        y.backward(gy);
        return { y, x, w, b, r, forwardDispatches };
      };
      const fused = run(true),
        plain = run(false);
      expect(fused.forwardDispatches).toBe(1);
      expect(plain.forwardDispatches).toBe(c.residual ? 3 : 2);
      await expectClose(fused.y, p('y'), TOL, 'output vs PyTorch');
      await expectClose(fused.y, plain.y, TOL, 'output vs unfused');
      const grads: [string, T | null, T | null][] = [
        ['x', fused.x, plain.x],
        ['weight', fused.w, plain.w],
        ['bias', fused.b, plain.b],
        ['residual', fused.r, plain.r],
      ];
      for (const [name, f, u] of grads) {
        if (!f) continue;
        await expectClose(f.grad!, p(`grad.${name}`), TOL, `grad ${name} vs PyTorch`);
        await expectClose(f.grad!, u!.grad!, TOL, `grad ${name} vs unfused`);
      }
      expect(fused.y.gradFn?.name).toBe('NativeBatchNormReluBackward');
    });
  }

  it('a frozen affine and an input that needs no gradient: only the needed gradients are computed', async () => {
    const p = (k: string) => fx[`flat.${k}`];
    const x = onDevice(p('x'), device),
      r = onDevice(p('residual'), device, true);
    const w = onDevice(p('weight'), device),
      b = onDevice(p('bias'), device);
    const y = evalBatchNormReLU(x, onDevice(p('runningMean'), device), onDevice(p('runningVar'), device), {
      weight: w,
      bias: b,
      residual: r,
    })!;
    const be = x.backend;
    const before = be.dispatches;
    y.backward(onDevice(p('gy'), device));
    expect(be.dispatches - before).toBe(1); // the relu mask only: no sums, no input gradient
    await expectClose(r.grad!, p('grad.residual'), TOL, 'grad residual');
  });

  it('declines what the fused kernel does not take (the caller then runs the modules)', () => {
    const x = torch.randn([2, 3, 4, 4], { device });
    const rm = torch.zeros([3], { device }),
      rv = torch.ones([3], { device });
    expect(evalBatchNormReLU(x, null, rv)).toBeNull();
    expect(evalBatchNormReLU(x.reshape([2, 3, 16]), rm, rv)).toBeNull();
    expect(evalBatchNormReLU(x, torch.zeros([4], { device }), rv)).toBeNull();
    expect(evalBatchNormReLU(x, rm, rv, { residual: torch.randn([2, 3, 4, 1], { device }) })).toBeNull(); // would broadcast
    expect(evalBatchNormReLU(torch.ones([2, 3, 4, 4], { device, dtype: 'int32' }), rm, rv)).toBeNull();
    expect(evalBatchNormReLU(x, rm, rv, { weight: torch.ones([3, 2], { device }).select(1, 0) })).toBeNull(); // strided weight
    expect(evalBatchNormReLU(x, rm, rv)).not.toBeNull();
  });

  for (const shape of [
    [1, 2, 8, 8],
    [1, 2, 2, 3],
  ]) {
    it(`relu is PyTorch's clamp_min(·, 0): a NaN passes through, negatives and -inf become 0 (${shape.join('×')})`, async () => {
      const n = shape.reduce((p, q) => p * q, 1);
      const v = Array.from({ length: n }, (_, i) => (i % 3) - 1.25); // -1.25, -0.25, 0.75, ...
      v[1] = NaN;
      v[2] = -Infinity;
      const x = torch.tensor(new Float32Array(v), { device }).reshape(shape);
      const rm = torch.zeros([2], { device }),
        rv = torch.full([2], 1 - 1e-5, { device });
      const y = Array.from(await evalBatchNormReLU(x, rm, rv)!.data());
      const want = v.map((e) => Math.max(e, 0));
      expect(Number.isNaN(y[1])).toBe(true);
      await expectClose(
        y.filter((_, i) => i !== 1),
        want.filter((_, i) => i !== 1),
        TOL,
      );
    });
  }

  it('non-contiguous input and residual give the same values as the unfused ops', async () => {
    const x = torch.randn([2, 5, 6, 3], { device }).permute([0, 3, 1, 2]); // [2, 3, 5, 6], channels last
    const r = torch.randn([2, 3, 6, 5], { device }).transpose(2, 3);
    const rm = torch.randn([3], { device }),
      rv = torch.rand([3], { device }).add(0.5);
    const w = torch.randn([3], { device }),
      b = torch.randn([3], { device });
    const want = F.relu(F.batchNorm(x, rm, rv, { weight: w, bias: b }).add(r));
    await expectClose(evalBatchNormReLU(x, rm, rv, { weight: w, bias: b, residual: r })!, want, TOL);
  });
});

describe('second derivatives (cpu, gradcheck)', () => {
  it('the first derivatives of the fused op (with a residual) are differentiable', async () => {
    torch.manualSeed(7);
    const opts = { eps: 1e-2, atol: 2e-3, rtol: 2e-2 };
    const x = torch.randn([2, 2, 2, 3], { requiresGrad: true, device: 'cpu' });
    const w = torch.randn([2], { requiresGrad: true, device: 'cpu' }),
      b = torch.randn([2], { requiresGrad: true, device: 'cpu' });
    const res = torch.randn([2, 2, 2, 3], { requiresGrad: true, device: 'cpu' });
    const rm = torch.randn([2], { device: 'cpu' }),
      rv = torch.rand([2], { device: 'cpu' }).add(0.5);
    const u = torch.randn([2, 2, 2, 3], { device: 'cpu' });
    const leaf = (t: T) => (t.requiresGrad ? t : t.detach().requiresGrad_());
    // d/d(inputs) of (d Σ y·u / dx · u, d Σ y·u / dw): w·rstd·mask·u enters dx, so the second
    // derivative through weight is non-zero; the mask is piecewise constant (gradcheck steps stay
    // clear of its kinks with this seed)
    const f = (x0: T, w0: T, b0: T, r0: T) =>
      torch.enableGrad(() => {
        const x = leaf(x0),
          w = leaf(w0),
          b = leaf(b0),
          r = leaf(r0);
        const y = evalBatchNormReLU(x, rm, rv, { weight: w, bias: b, residual: r })!;
        const [gx, gw, , gr] = torch.grad(y.mul(u).sum(), [x, w, b, r], null, { createGraph: true });
        return [gx!.mul(u).sum().reshape([1]), gw!, gr!];
      });
    expect(await torch.gradcheck(f, [x, w, b, res], opts)).toBe(true);
  });
});
