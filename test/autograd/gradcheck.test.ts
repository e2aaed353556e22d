// gradcheck: backward against central finite differences, on composite functions (cpu; float32,
// so eps 1e-2 with atol 1e-3 / rtol 1e-2: truncation error ~eps², rounding ~1e-7 / eps).
import { describe, expect, it } from 'vitest';
import { torch } from '../harness.js';

const F = torch.nn.functional;
const opts = { eps: 1e-2, atol: 1e-3, rtol: 1e-2 };
const device = 'cpu';

function inputs(...shapes: number[][]) {
  torch.manualSeed(11);
  return shapes.map((s) => torch.randn(s, { device, requiresGrad: true }));
}

describe('gradcheck', () => {
  it('a linear layer followed by logSoftmax', async () => {
    const [x, w, b] = inputs([3, 4], [2, 4], [2]);
    expect(await torch.gradcheck((x, w, b) => F.logSoftmax(F.linear(x, w, b), 1), [x, w, b], opts)).toBe(true);
  });

  it('crossEntropy with class weights and label smoothing', async () => {
    const [x] = inputs([4, 3]);
    const target = torch.tensor(new Int32Array([0, 2, 1, 2]), { device });
    const weight = torch.tensor([0.5, 2, 1], { device });
    const f = (x: torch.Tensor) => F.crossEntropy(x, target, { weight, labelSmoothing: 0.1 });
    expect(await torch.gradcheck(f, [x], opts)).toBe(true);
  });

  it('broadcast elementwise math, reductions and several outputs', async () => {
    const [a, b] = inputs([2, 3], [3]);
    const f = (a: torch.Tensor, b: torch.Tensor) => [
      a
        .sigmoid()
        .mul(b.tanh())
        .add(a.mul(b).exp().mean(1, { keepdim: true })),
      a.sub(b).pow(2).std(0),
      torch.logsumexp(a.mul(b), 1),
    ];
    expect(await torch.gradcheck(f, [a, b], opts)).toBe(true);
  });

  it('matmul of a transposed view, gelu and a gather', async () => {
    const [a, m] = inputs([4, 3], [4, 2]);
    const idx = torch.tensor(new Int32Array([1, 0, 0]), { device }).reshape([3, 1]);
    const f = (a: torch.Tensor, m: torch.Tensor) => a.t().matmul(m).gelu().gather(1, idx);
    expect(await torch.gradcheck(f, [a, m], opts)).toBe(true);
  });

  it('only inputs that require grad are checked', async () => {
    const [x] = inputs([3]);
    const c = torch.randn([3], { device });
    expect(await torch.gradcheck((x, c) => x.mul(c).softmax(0), [x, c], opts)).toBe(true);
  });

  it('finds a wrong backward', async () => {
    // an op whose recorded gradient is off by a factor: gradcheck must reject it
    const bad = (x: torch.Tensor) =>
      torch.record(
        'BadBackward',
        torch.noGrad(() => x.mul(2)),
        [x],
        (g) => [g.mul(3)],
      );
    const [x] = inputs([2, 2]);
    await expect(torch.gradcheck(bad, [x], opts)).rejects.toThrow(/Jacobian mismatch.*numerical 2.*analytical 3/);
    expect(await torch.gradcheck(bad, [x], { ...opts, raiseException: false })).toBe(false);
    await expect(torch.gradcheck((t) => t.mul(2), [torch.ones([2], { device })])).rejects.toThrow(
      /no input requires grad/,
    );
  });
});
