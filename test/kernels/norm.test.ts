// The fused batch-norm kernels through F.batchNorm, against batch norm written here from plain ops
// (mean, variance, broadcasting): the layouts each kernel specialises on (vec4 planes, scalar planes,
// flat grids, BatchNorm1d's inner = 1), view offsets and non-contiguous inputs, training (with the
// running-statistics update) and eval, every first derivative; second derivatives by gradcheck.
import { describe, expect, it } from 'vitest';
import { eachDevice, expectClose, LOOSE, torch } from '../harness.js';

const F = torch.nn.functional;
type T = torch.Tensor;

/** batch norm from plain ops: the reference */
function reference(
  x: T,
  rm: T | null,
  rv: T | null,
  w: T | null,
  b: T | null,
  training: boolean,
  momentum: number,
  eps: number,
): T {
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const pc = (t: T) => t.reshape(x.shape.map((s, i) => (i === 1 ? s : 1)));
  let mu: T, v: T;
  if (training) {
    mu = x.mean(dims, { keepdim: true });
    v = x.sub(mu).pow(2).mean(dims, { keepdim: true });
    if (rm && rv)
      torch.noGrad(() => {
        const n = x.numel() / x.shape[1];
        rm.copy_(rm.mul(1 - momentum).add(mu.reshape([-1]).mul(momentum)));
        rv.copy_(rv.mul(1 - momentum).add(v.reshape([-1]).mul((momentum * n) / (n - 1))));
      });
  } else {
    mu = pc(rm!);
    v = pc(rv!);
  }
  let y = x.sub(mu).div(v.add(eps).sqrt());
  if (w) y = y.mul(pc(w));
  if (b) y = y.add(pc(b));
  return y;
}

interface Case {
  name: string;
  shape: number[];
  affine: boolean;
  view?: 'offset' | 'permuted';
}
const cases: Case[] = [
  { name: 'planes, vec4 (inner 64)', shape: [3, 5, 8, 8], affine: true },
  { name: 'planes, scalar (inner 35)', shape: [2, 4, 5, 7], affine: true },
  { name: 'flat (inner 6), no affine', shape: [5, 3, 2, 3], affine: false },
  { name: 'BatchNorm1d [N, C] (inner 1)', shape: [9, 6], affine: true },
  { name: 'view at an odd offset (inner 36)', shape: [2, 3, 6, 6], affine: true, view: 'offset' },
  { name: 'non-contiguous input (inner 40)', shape: [3, 4, 5, 8], affine: true, view: 'permuted' },
];

eachDevice((device) => {
  for (const c of cases) {
    for (const training of [true, false]) {
      it(`${c.name}, ${training ? 'training' : 'eval'}: output, running stats and gradients`, async () => {
        torch.manualSeed(3);
        const C = c.shape[1];
        const n = c.shape.reduce((p, q) => p * q, 1);
        let base: T;
        if (c.view === 'offset')
          base = torch
            .randn([n + 3], { device })
            .mul(2)
            .add(1.5)
            .narrow(0, 3, n)
            .reshape(c.shape);
        else if (c.view === 'permuted')
          base = torch.randn([c.shape[0], c.shape[2], c.shape[3], C], { device }).add(0.5).permute([0, 3, 1, 2]);
        else base = torch.randn(c.shape, { device }).mul(3).add(-2);
        const w0 = c.affine ? torch.randn([C], { device }) : null,
          b0 = c.affine ? torch.randn([C], { device }) : null;
        const rm0 = torch.randn([C], { device }),
          rv0 = torch.rand([C], { device }).add(0.5);
        const gy = torch.randn(c.shape, { device });
        const run = (f: typeof reference) => {
          const x = base.detach().requiresGrad_();
          const w = w0 ? w0.clone().requiresGrad_() : null,
            b = b0 ? b0.clone().requiresGrad_() : null;
          const rm = rm0.clone(),
            rv = rv0.clone();
          const y = f(x, rm, rv, w, b, training, 0.2, 1e-3);
          y.backward(gy);
          return { y, rm, rv, gx: x.grad!, gw: w?.grad, gb: b?.grad };
        };
        const ours = run((x, rm, rv, w, b, tr, m, eps) =>
          F.batchNorm(x, rm, rv, { weight: w, bias: b, training: tr, momentum: m, eps }),
        );
        const ref = run(reference);
        await expectClose(ours.y, ref.y, LOOSE, 'output');
        await expectClose(ours.rm, ref.rm, LOOSE, 'running mean');
        await expectClose(ours.rv, ref.rv, LOOSE, 'running var');
        await expectClose(ours.gx, ref.gx, LOOSE, 'grad x');
        if (c.affine) {
          await expectClose(ours.gw!, ref.gw!, LOOSE, 'grad weight');
          await expectClose(ours.gb!, ref.gb!, LOOSE, 'grad bias');
        }
      });
    }
  }

  it('a frozen weight and bias cost no sums kernel in training: only the input gradient pass runs', async () => {
    const x = torch.randn([2, 3, 4, 4], { device }).requiresGrad_();
    const w = torch.randn([3], { device }),
      b = torch.randn([3], { device });
    const y = F.batchNorm(x, null, null, { weight: w, bias: b, training: true });
    const be = x.backend;
    const before = be.dispatches;
    y.backward(torch.onesLike(y));
    // the ones-like gradient, the sums (needed by dx under batch statistics) and dx
    expect(be.dispatches - before).toBe(3);
    await expectClose(x.grad!.abs().sum(), 0, { rtol: 0, atol: 1e-4 }); // d/dx of Σ y is 0 under batch statistics
  });
});

describe('second derivatives (cpu, gradcheck)', () => {
  const opts = { eps: 1e-2, atol: 2e-3, rtol: 2e-2 };
  for (const training of [true, false]) {
    it(`the first derivatives of batchNorm (${training ? 'training' : 'eval'}) are differentiable`, async () => {
      torch.manualSeed(5);
      const x = torch.randn([3, 2, 2, 2], { requiresGrad: true, device: 'cpu' });
      const w = torch.randn([2], { requiresGrad: true, device: 'cpu' }),
        b = torch.randn([2], { requiresGrad: true, device: 'cpu' });
      const rm = torch.randn([2], { device: 'cpu' }),
        rv = torch.rand([2], { device: 'cpu' }).add(0.5);
      const r = torch.randn([3, 2, 2, 2], { device: 'cpu' });
      // gradcheck evaluates f under noGrad for the finite differences: differentiate leaf copies then
      const leaf = (t: T) => (t.requiresGrad ? t : t.detach().requiresGrad_());
      const f = (x0: T, w0: T, b0: T) =>
        torch.enableGrad(() => {
          const x = leaf(x0),
            w = leaf(w0),
            b = leaf(b0);
          const y = F.batchNorm(x, rm, rv, { weight: w, bias: b, training, momentum: 0 });
          const [gx, gw] = torch.grad(y.mul(r).sum(), [x, w, b], null, { createGraph: true });
          return [gx!, gw!];
        });
      expect(await torch.gradcheck(f, [x, w, b], opts)).toBe(true);
    });
  }
});
