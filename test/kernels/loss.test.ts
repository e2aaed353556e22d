// The fused softmax cross-entropy (logits [N, C] or [C], class indices, no weight or smoothing)
// against the loss written here from logSoftmax and gather: every reduction, ignored targets, a
// 1000-class head, the gradient; second derivatives by gradcheck (the createGraph path).
import { describe, expect, it } from 'vitest';
import { eachDevice, expectClose, LOOSE, torch } from '../harness.js';

const F = torch.nn.functional;
type T = torch.Tensor;

/** -logSoftmax(x)[t], 0 where ignored; mean over the rest */
function reference(x: T, t: T, reduction: 'mean' | 'sum' | 'none', ignoreIndex: number): T {
  const cdim = x.ndim === 1 ? 0 : 1;
  const keep = t.ne(ignoreIndex);
  const safe = torch.where(keep, t, 0);
  const picked = F.logSoftmax(x, cdim).gather(cdim, safe.unsqueeze(cdim)).squeeze(cdim);
  const loss = torch.where(keep, picked.neg(), 0);
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? loss.sum() : loss.sum().div(keep.float().sum());
}

eachDevice((device) => {
  const cases: { name: string; shape: number[]; targets: number[]; ignoreIndex?: number }[] = [
    { name: '[6, 4]', shape: [6, 4], targets: [0, 3, 1, 2, 2, 0] },
    { name: '[5, 3] with ignored targets', shape: [5, 3], targets: [2, -100, 0, -100, 1] },
    { name: '[3, 1000] (a pretrained head)', shape: [3, 1000], targets: [999, 0, 517], ignoreIndex: 0 },
    { name: '[7] unbatched', shape: [7], targets: [4] },
  ];
  for (const c of cases) {
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      it(`${c.name}, reduction ${reduction}: loss and gradient`, async () => {
        torch.manualSeed(9);
        const x0 = torch.randn(c.shape, { device }).mul(3);
        const t =
          c.shape.length === 1
            ? torch.tensor(new Int32Array(c.targets), { device }).reshape([])
            : torch.tensor(new Int32Array(c.targets), { device });
        const ignoreIndex = c.ignoreIndex ?? -100;
        const gy = reduction === 'none' ? torch.randn(t.shape, { device }) : torch.tensor(0.7, { device });
        const run = (f: (x: T) => T) => {
          const x = x0.detach().requiresGrad_();
          const y = f(x);
          y.backward(gy);
          return { y, gx: x.grad! };
        };
        const ours = run((x) => F.crossEntropy(x, t, { reduction, ignoreIndex }));
        const ref = run((x) => reference(x, t, reduction, ignoreIndex));
        await expectClose(ours.y, ref.y, LOOSE, 'loss');
        await expectClose(ours.gx, ref.gx, LOOSE, 'grad');
      });
    }
  }

  it("the fused forward and backward are one kernel each (plus the mean's two sums and a division)", () => {
    const x = torch.randn([8, 5], { device }).requiresGrad_();
    const t = torch.tensor(new Int32Array([0, 1, 2, 3, 4, 0, 1, 2]), { device });
    const be = x.backend;
    const d0 = be.dispatches;
    const loss = F.crossEntropy(x, t);
    expect(be.dispatches - d0).toBe(4);
    const d1 = be.dispatches;
    loss.backward();
    expect(be.dispatches - d1).toBe(2); // the ones-like seed and the gradient kernel
  });
});

describe('second derivatives of the fused path (cpu, gradcheck)', () => {
  it('d/dx of the gradient of crossEntropy, with an ignored target', async () => {
    torch.manualSeed(4);
    const x = torch.randn([4, 3], { requiresGrad: true, device: 'cpu' });
    const t = torch.tensor(new Int32Array([2, -100, 0, 1]), { device: 'cpu' });
    const r = torch.randn([4, 3], { device: 'cpu' });
    const leaf = (v: T) => (v.requiresGrad ? v : v.detach().requiresGrad_());
    const f = (x0: T) =>
      torch.enableGrad(() => {
        const xl = leaf(x0);
        const [gx] = torch.grad(F.crossEntropy(xl, t), [xl], null, { createGraph: true });
        return gx!.mul(r).sum();
      });
    expect(await torch.gradcheck(f, [x], { eps: 1e-2, atol: 1e-3, rtol: 1e-2 })).toBe(true);
  });
});
