// The autograd engine: leaves, accumulation, retained graphs, detach, grad mode, hooks, retainGrad,
// double backward, errors, and proof (by counting kernel dispatches) that frozen work is skipped.
import { describe, expect, it, vi } from 'vitest';
import { backendFor } from '../../src/tensor/device.js';
import { devices, eachDevice, expectClose, torch, type Device } from '../harness.js';

type Tensor = torch.Tensor;
const F = torch.nn.functional;

const dispatches = (device: Device) =>
  device === 'webgpu' ? torch.webgpu.dispatchCount() : backendFor('cpu').dispatches;

eachDevice((device) => {
  const leaf = (v: number[] | number[][], requiresGrad = true) => torch.tensor(v, { device, requiresGrad });

  describe('leaves and graph', () => {
    it('requiresGrad marks leaves; ops on them record a gradFn', () => {
      const x = leaf([1, 2, 3]);
      const c = torch.tensor([4, 5, 6], { device });
      expect(x.isLeaf && x.requiresGrad).toBe(true);
      expect(c.requiresGrad).toBe(false);
      const y = x.mul(c);
      expect(y.requiresGrad).toBe(true);
      expect(y.isLeaf).toBe(false);
      expect(y.gradFn?.name).toBe('MulBackward0');
      const z = c.add(1);
      expect(z.requiresGrad).toBe(false);
      expect(z.gradFn).toBeNull();
      expect(() => {
        y.requiresGrad = false;
      }).toThrow(/only change requiresGrad flags of leaf/);
      c.requiresGrad = true;
      expect(c.requiresGrad).toBe(true);
    });

    it('gradients accumulate across backward calls until reset', async () => {
      const x = leaf([1, -2, 3]);
      x.mul(x).sum().backward();
      await expectClose(x.grad!, [2, -4, 6]);
      x.mul(x).sum().backward();
      await expectClose(x.grad!, [4, -8, 12]);
      x.grad = null;
      x.mul(3).sum().backward();
      await expectClose(x.grad!, [3, 3, 3]);
    });

    it('a leaf used on several paths gets the sum of their gradients', async () => {
      const x = leaf([0.5, 2]);
      const y = x.exp().add(x.mul(x)).add(x);
      y.sum().backward();
      await expectClose(x.grad!, [Math.exp(0.5) + 1 + 1, Math.exp(2) + 4 + 1]);
    });

    it('retainGraph allows a second backward; without it the graph is freed', async () => {
      const x = leaf([1, 2]);
      const y = x.mul(x).sum();
      y.backward(null, { retainGraph: true });
      y.backward();
      await expectClose(x.grad!, [4, 8]);
      expect(() => y.backward()).toThrow(torch.AutogradError);
      expect(() => y.backward()).toThrow(/Trying to backward through the graph a second time/);
    });

    it('detach shares storage and cuts the graph', async () => {
      const x = leaf([1, 2, 3]);
      const y = x.mul(2);
      const d = y.detach();
      expect(d.requiresGrad).toBe(false);
      expect(d.gradFn).toBeNull();
      expect(d.storage).toBe(y.storage);
      const z = d.mul(x).sum();
      z.backward();
      await expectClose(x.grad!, [2, 4, 6]); // d is a constant: only the direct path counts
    });

    it('noGrad records nothing; enableGrad re-enables inside it', () => {
      const x = leaf([1, 2]);
      expect(torch.isGradEnabled()).toBe(true);
      const y = torch.noGrad(() => {
        expect(torch.isGradEnabled()).toBe(false);
        const inner = torch.enableGrad(() => x.mul(2));
        expect(inner.requiresGrad).toBe(true);
        return x.mul(2);
      });
      expect(y.requiresGrad).toBe(false);
      expect(y.gradFn).toBeNull();
      expect(torch.isGradEnabled()).toBe(true);
      expect(() => torch.noGrad(async () => 1)).toThrow(/synchronous/);
      expect(torch.isGradEnabled()).toBe(true);
    });
  });

  describe('memory', () => {
    it('backward leaves only the new .grad tensors alive', async () => {
      const x = leaf([
        [0.5, -1, 2],
        [1.5, 0.25, -0.75],
      ]);
      const w = leaf([
        [1, 2],
        [-1, 0.5],
        [0.3, 0.1],
      ]);
      const loss = F.crossEntropy(
        x
          .matmul(w)
          .relu()
          .add(x.sum(1, { keepdim: true }).exp()),
        torch.tensor(new Int32Array([1, 0]), { device }),
      );
      const live = () => torch.memory()[device].liveTensors;
      const before = live();
      loss.backward();
      expect(live() - before).toBe(2); // x.grad and w.grad; every intermediate gradient is freed
      const g1 = await x.grad!.data();
      expect(Array.from(g1).every(Number.isFinite)).toBe(true);
    });
  });

  describe('hooks and retainGrad', () => {
    it('a hook on a leaf sees the total gradient once and may replace it', async () => {
      const x = leaf([1, 2, 3]);
      const seen: Tensor[] = [];
      x.registerHook((g) => {
        seen.push(g);
        return g.mul(10);
      });
      x.mul(x).add(x).sum().backward(); // two paths into x: the hook runs once, on 2x + 1
      await expectClose(x.grad!, [30, 50, 70]);
      expect(seen.length).toBe(1);
      await expectClose(seen[0], [3, 5, 7]);
    });

    it('a hook on a non-leaf replaces the gradient flowing on; removing it restores', async () => {
      const x = leaf([1, 2]);
      const h = x.mul(3);
      const handle = h.registerHook((g) => g.neg());
      h.mul(h).sum().backward(); // d/dh = 2h = [6, 12], negated, times 3
      await expectClose(x.grad!, [-18, -36]);
      handle.remove();
      x.grad = null;
      const h2 = x.mul(3);
      h2.registerHook(() => undefined); // a hook that only looks changes nothing
      h2.sum().backward();
      await expectClose(x.grad!, [3, 3]);
    });

    it('a gradient kept by a hook stays usable after backward', async () => {
      const x = leaf([1, 2]);
      let kept: Tensor | null = null;
      const h = x.mul(2);
      h.registerHook((g) => {
        kept = g;
      });
      h.mul(h).sum().backward();
      await expectClose(kept!, [4, 8]);
    });

    it('retainGrad keeps a non-leaf gradient; without it .grad stays null', async () => {
      const x = leaf([1, 2]);
      const a = x.mul(x);
      const b = x.mul(x).retainGrad();
      a.mul(3).add(b.mul(5)).sum().backward();
      expect(a.grad).toBeNull();
      await expectClose(b.grad!, [5, 5]);
      await expectClose(x.grad!, [16, 32]);
    });

    it('grad() returns gradients of leaves and intermediates and leaves .grad alone', async () => {
      const x = leaf([1, 2]);
      const h = x.mul(x);
      const y = h.mul(3).sum();
      const [gx, gh] = torch.grad(y, [x, h]);
      await expectClose(gx!, [6, 12]);
      await expectClose(gh!, [3, 3]);
      expect(x.grad).toBeNull();
      const unused = leaf([1]);
      expect(() => torch.grad(x.mul(2).sum(), [unused])).toThrow(/not used/);
      expect(torch.grad(x.mul(2).sum(), [unused], null, { allowUnused: true })).toEqual([null]);
    });
  });

  describe('double backward', () => {
    const xs = [0.3, 0.9, 1.7, 2.2];
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const phi = (v: number) => Math.exp((-v * v) / 2) / Math.sqrt(2 * Math.PI);
    const cases: [string, (x: Tensor) => Tensor, (v: number) => number][] = [
      ['exp', (x) => x.exp(), (v) => Math.exp(v)],
      ['log', (x) => x.log(), (v) => -1 / (v * v)],
      ['sqrt', (x) => x.sqrt(), (v) => -0.25 * v ** -1.5],
      ['rsqrt', (x) => x.rsqrt(), (v) => 0.75 * v ** -2.5],
      ['reciprocal', (x) => x.reciprocal(), (v) => 2 / v ** 3],
      ['scalar / x', (x) => torch.div(2, x), (v) => 4 / v ** 3],
      ['sin', (x) => x.sin(), (v) => -Math.sin(v)],
      ['cos', (x) => x.cos(), (v) => -Math.cos(v)],
      ['tanh', (x) => x.tanh(), (v) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2)],
      ['sigmoid', (x) => x.sigmoid(), (v) => sig(v) * (1 - sig(v)) * (1 - 2 * sig(v))],
      ['silu', (x) => x.silu(), (v) => sig(v) * (1 - sig(v)) * (2 + v * (1 - 2 * sig(v)))],
      ['softplus', (x) => F.softplus(x), (v) => sig(v) * (1 - sig(v))],
      ['gelu', (x) => x.gelu(), (v) => phi(v) * (2 - v * v)],
      ['pow 3', (x) => x.pow(3), (v) => 6 * v],
      ['pow 2.5', (x) => x.pow(2.5), (v) => 2.5 * 1.5 * v ** 0.5],
      ['2 ** x', (x) => torch.pow(2, x), (v) => Math.LN2 ** 2 * 2 ** v],
      ['x ** x', (x) => x.pow(x), (v) => v ** v * ((Math.log(v) + 1) ** 2 + 1 / v)],
      ['x * x', (x) => x.mul(x), () => 2],
      ['x / (1 + x)', (x) => x.div(x.add(1)), (v) => -2 / (1 + v) ** 3],
      ['relu', (x) => x.sub(1).relu().mul(x), (v) => (v > 1 ? 2 : 0)],
      ['abs', (x) => x.sub(1).abs().mul(x), (v) => (v > 1 ? 2 : -2)],
      ['elu', (x) => F.elu(x.sub(1)), (v) => (v > 1 ? 0 : Math.exp(v - 1))],
    ];
    for (const [name, f, d2] of cases) {
      it(`${name}: grad with createGraph, then backward again`, async () => {
        const x = leaf(xs);
        const [g] = torch.grad(f(x).sum(), [x], null, { createGraph: true });
        expect(g!.requiresGrad).toBe(true);
        g!.sum().backward();
        await expectClose(x.grad!, xs.map(d2), { rtol: 1e-4, atol: 1e-4 }, name);
      });
    }
    it('mixed partials of x * y and backward(createGraph) into .grad', async () => {
      const x = leaf([1, 2]),
        y = leaf([3, -1]);
      const [gx] = torch.grad(x.mul(y).mul(x).sum(), [x], null, { createGraph: true }); // 2xy
      gx!.sum().backward();
      await expectClose(x.grad!, [6, -2]); // d(2xy)/dx = 2y
      await expectClose(y.grad!, [2, 4]); // d(2xy)/dy = 2x
      const z = leaf([1.5]);
      z.pow(3).sum().backward(null, { createGraph: true });
      const first = z.grad!;
      expect(first.requiresGrad).toBe(true);
      await expectClose(first, [6.75]);
      z.grad = null;
      first.sum().backward();
      await expectClose(z.grad!, [9]);
    });
  });

  describe('errors', () => {
    it('a broadcasting failure names both shapes', () => {
      const a = torch.ones([2, 3], { device }),
        b = torch.ones([4], { device });
      expect(() => a.add(b)).toThrow(torch.ShapeError);
      expect(() => a.add(b)).toThrow(/\[2, 3\].*\[4\]/);
      expect(() => torch.matmul(a, torch.ones([2, 5], { device }))).toThrow(/\[2, 3\] and \[2, 5\]/);
    });
    it('backward of a non-scalar without a gradient says so', () => {
      const x = leaf([1, 2]);
      expect(() => x.mul(2).backward()).toThrow(torch.AutogradError);
      expect(() => x.mul(2).backward()).toThrow(/implicitly created only for scalar outputs.*\[2\]/);
      expect(() => x.mul(2).backward(torch.ones([3], { device }))).toThrow(/\[3\].*\[2\]/);
      expect(() => torch.ones([1], { device }).sum().backward()).toThrow(/does not require grad/);
    });
    it('integer tensors refuse requiresGrad', () => {
      expect(() => torch.zeros([2], { device, dtype: 'int32', requiresGrad: true })).toThrow(torch.DTypeError);
      const i = torch.arange(3, undefined, 1, { device });
      expect(() => {
        i.requiresGrad = true;
      }).toThrow(/only floating point tensors can require gradients.*int32/);
    });
    it('in-place ops on a leaf that requires grad need noGrad', () => {
      const x = leaf([1, 2]);
      expect(() => x.mul_(2)).toThrow(/leaf Variable that requires grad/);
      torch.noGrad(() => x.mul_(2));
    });
  });

  describe('frozen work is skipped (kernel dispatch counts)', () => {
    torch.manualSeed(3);
    const x = torch.randn([8, 16], { device });
    const w = torch.randn([4, 16], { device });
    const b = torch.randn([4], { device });

    /** dispatches and matmul launches of one backward of sum(linear(x, w, b)) */
    function backwardCost(freezeWeight: boolean) {
      const wl = w.detach(),
        bl = b.detach();
      wl.requiresGrad = !freezeWeight;
      bl.requiresGrad = true;
      const loss = F.linear(x, wl, bl).sum();
      const be = backendFor(device);
      const spy = vi.spyOn(be, 'matmul');
      const before = dispatches(device);
      loss.backward();
      const cost = { dispatches: dispatches(device) - before, matmuls: spy.mock.calls.length, wl, bl };
      spy.mockRestore();
      return cost;
    }

    it('a linear layer with a frozen weight launches no weight-gradient matmul', async () => {
      const trained = backwardCost(false);
      const frozen = backwardCost(true);
      expect(trained.matmuls).toBe(1); // the input needs no gradient: only dW = gᵀx
      expect(frozen.matmuls).toBe(0);
      expect(frozen.dispatches).toBeLessThan(trained.dispatches);
      expect(trained.dispatches - frozen.dispatches).toBeGreaterThanOrEqual(1);
      expect(frozen.wl.grad).toBeNull();
      await expectClose(frozen.bl.grad!, trained.bl.grad!);
      await expectClose(frozen.bl.grad!, [8, 8, 8, 8]);
    });

    it('a frozen first layer of an MLP costs nothing in backward', () => {
      const w2 = torch.randn([3, 4], { device });
      const cost = (freezeFirst: boolean) => {
        const w1 = w.detach(),
          b1 = b.detach(),
          w2l = w2.detach();
        w1.requiresGrad = b1.requiresGrad = !freezeFirst;
        w2l.requiresGrad = true;
        const loss = F.linear(F.relu(F.linear(x, w1, b1)), w2l).sum();
        const spy = vi.spyOn(backendFor(device), 'matmul');
        const before = dispatches(device);
        loss.backward();
        const r = { dispatches: dispatches(device) - before, matmuls: spy.mock.calls.length };
        spy.mockRestore();
        return r;
      };
      const all = cost(false),
        head = cost(true);
      expect(all.matmuls).toBe(3); // dW2, dh, dW1
      expect(head.matmuls).toBe(1); // dW2 only: nothing below the head needs a gradient
      expect(head.dispatches).toBeLessThan(all.dispatches);
    });
  });
});

if (devices.includes('webgpu')) {
  it('mixing devices in one op throws DeviceError', () => {
    const a = torch.ones([2], { device: 'cpu' }),
      b = torch.ones([2], { device: 'webgpu' });
    expect(() => a.add(b)).toThrow(torch.DeviceError);
    expect(() => a.add(b)).toThrow(/cpu and webgpu/);
    expect(() => torch.matmul(a, b)).toThrow(torch.DeviceError);
    expect(() => torch.where(torch.ones([2], { device: 'cpu', dtype: 'bool' }), b, b)).toThrow(torch.DeviceError);
  });
}
