// The layers the zoo's mobile models need, forward and backward against PyTorch 1.13 on both
// devices (tools/reference/zoo.py layers): hardswish / hardsigmoid / relu6 including the corners
// (±3, 0, 6) where PyTorch's gradient is one-sided (hardswish at +3: the 3/2 of PyTorch's formula,
// its CUDA kernel and its scalar CPU loop; 1.13's vectorised CPU loop gives 1 there), LayerNorm2d,
// SqueezeExcitation; and
// StochasticDepth's semantics (its mask is random, so it is checked by its properties).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eachDevice, expectClose, fixture, LOOSE, onDevice, TOL, torch } from '../harness.js';

const { nn } = torch;
const F = nn.functional;
const T = fixture('zoo/layers').tensors;

eachDevice((device) => {
  // modules create their parameters on the default device
  const initial = torch.defaultDevice();
  beforeEach(() => torch.setDefaultDevice(device));
  afterEach(() => torch.setDefaultDevice(initial));
  const x = (c: string) => onDevice(T[`${c}.x`], device, true);

  describe('activations against PyTorch', () => {
    const cases: [string, (t: torch.Tensor) => torch.Tensor, torch.nn.Module][] = [
      ['hardswish', F.hardswish, new nn.Hardswish()],
      ['hardsigmoid', F.hardsigmoid, new nn.Hardsigmoid()],
      ['relu6', F.relu6, new nn.ReLU6()],
    ];
    for (const [name, fn, mod] of cases) {
      it(`${name}: values and gradient, the corners exactly`, async () => {
        for (const call of [fn, (t: torch.Tensor) => mod.call(t)]) {
          const xi = x(name);
          const y = call(xi);
          await expectClose(y, T[`${name}.y`], TOL, `${name} forward`);
          y.backward(onDevice(T[`${name}.gy`], device));
          await expectClose(xi.grad!, T[`${name}.grad.x`], TOL, `${name} gradient`);
        }
      });
    }
    it("the corner gradients are PyTorch 1.13's: hardswish -1/2 at -3 and 3/2 at 3, hardsigmoid and relu6 0 on their bounds", async () => {
      const at = () => torch.tensor([-3, 3, 0, 6], { device }).requiresGrad_();
      const a = at();
      F.hardswish(a).sum().backward();
      expect(Array.from(await a.grad!.data())).toEqual([-0.5, 1.5, 0.5, 1]);
      const b = at();
      F.hardsigmoid(b).sum().backward();
      expect(Array.from(await b.grad!.data())).toEqual([0, 0, 1 / 6, 0].map(Math.fround));
      const c = at();
      F.relu6(c).sum().backward();
      expect(Array.from(await c.grad!.data())).toEqual([0, 1, 0, 0]);
    });
    it('an integer input is a DTypeError', () => {
      const i = torch.tensor(new Int32Array([1, 2]), { device });
      expect(() => F.hardswish(i)).toThrow(torch.DTypeError);
      expect(() => F.hardsigmoid(i)).toThrow(torch.DTypeError);
    });
  });

  it('LayerNorm2d normalises the channels of NCHW: forward and gradients', async () => {
    const ln = new nn.LayerNorm2d(6, { eps: 1e-6 });
    ln.loadStateDict({ weight: T['layernorm2d.weight'], bias: T['layernorm2d.bias'] });
    const xi = x('layernorm2d');
    const y = ln.call(xi);
    await expectClose(y, T['layernorm2d.y'], TOL, 'LayerNorm2d forward');
    y.backward(onDevice(T['layernorm2d.gy'], device));
    await expectClose(xi.grad!, T['layernorm2d.grad.x'], LOOSE, 'grad x');
    await expectClose(ln.weight!.grad!, T['layernorm2d.grad.weight'], LOOSE, 'grad weight');
    await expectClose(ln.bias!.grad!, T['layernorm2d.grad.bias'], LOOSE, 'grad bias');
    expect(() => ln.call(torch.zeros([2, 6], { device }))).toThrow(torch.ShapeError);
  });

  for (const [name, make] of [
    ['se_hardsigmoid', () => new nn.SqueezeExcitation(8, 4, { scaleActivation: () => new nn.Hardsigmoid() })],
    ['se_silu', () => new nn.SqueezeExcitation(8, 2, { activation: () => new nn.SiLU({ inplace: true }) })],
  ] as const) {
    it(`SqueezeExcitation (${name}): forward and every gradient`, async () => {
      const se = make();
      const sd = Object.fromEntries(
        Object.entries(T)
          .filter(([k]) => k.startsWith(`${name}.param.`))
          .map(([k, v]) => [k.slice(name.length + 7), v]),
      );
      se.loadStateDict(sd, { strict: true });
      const xi = x(name);
      const y = se.call(xi);
      await expectClose(y, T[`${name}.y`], TOL, `${name} forward`);
      y.backward(onDevice(T[`${name}.gy`], device));
      await expectClose(xi.grad!, T[`${name}.grad.x`], LOOSE, 'grad x');
      for (const [k, p] of se.namedParameters()) await expectClose(p.grad!, T[`${name}.grad.${k}`], LOOSE, `grad ${k}`);
    });
  }

  describe('StochasticDepth', () => {
    it('is the identity in eval mode and for p = 0; zero for p = 1 while training', async () => {
      const xi = torch.randn([4, 3, 2, 2], { device });
      const sd = new nn.StochasticDepth(0.5, 'row');
      sd.eval();
      expect(sd.call(xi)).toBe(xi);
      expect(new nn.StochasticDepth(0, 'batch').call(xi)).toBe(xi);
      expect(Array.from(await F.stochasticDepth(xi, 1, 'row').data()).every((v) => v === 0)).toBe(true);
    });
    it("'row' drops whole samples, scales survivors by 1/(1-p), and the gradient follows the mask", async () => {
      torch.manualSeed(7);
      const xi = torch.ones([64, 3, 2], { device }).requiresGrad_();
      const y = new nn.StochasticDepth(0.25, 'row').call(xi);
      const v = Array.from(await y.data());
      const scale = Math.fround(1 / 0.75);
      const rows = Array.from({ length: 64 }, (_, r) => v.slice(r * 6, r * 6 + 6));
      for (const row of rows) {
        expect(new Set(row).size).toBe(1);
        expect([0, scale]).toContain(row[0]);
      }
      const dropped = rows.filter((r) => r[0] === 0).length;
      expect(dropped).toBeGreaterThan(4);
      expect(dropped).toBeLessThan(32);
      y.sum().backward();
      expect(Array.from(await xi.grad!.data())).toEqual(v);
    });
    it("'batch' keeps or drops the whole input", async () => {
      torch.manualSeed(3);
      const seen = new Set<number>();
      for (let i = 0; i < 12; i++) {
        const v = Array.from(await F.stochasticDepth(torch.ones([3, 4], { device }), 0.5, 'batch').data());
        expect(new Set(v).size).toBe(1);
        seen.add(v[0]);
      }
      expect([...seen].sort()).toEqual([0, 2]);
    });
  });

  it('Permute is a view with the dims reordered', async () => {
    const xi = torch.randn([2, 3, 4], { device });
    const y = new nn.Permute([2, 0, 1]).call(xi);
    expect(y.shape).toEqual([4, 2, 3]);
    await expectClose(y, xi.permute([2, 0, 1]), { rtol: 0, atol: 0 });
  });
});
