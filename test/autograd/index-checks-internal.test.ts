// Index range checks run where a user's index enters, not on the library's own indices: the adjoints
// (indexAdd, scatterAdd, gather in backward), max-pool's argmax positions, max(x, dim)'s positions and
// pad's source map are in range by construction, and a check there would cost a dispatch on webgpu
// and a host scan on cpu per call. Counted through Backend.checkValues (both devices) and, on webgpu,
// dispatches.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eachDevice, torch, type Device } from '../harness.js';

const F = torch.nn.functional;
type Tensor = torch.Tensor;

afterEach(() => {
  vi.restoreAllMocks();
});

/** checkValues calls and dispatches made by fn on t's backend */
function count(t: Tensor, fn: () => void): { checks: number; dispatches: number } {
  const be = t.backend;
  const spy = vi.spyOn(be, 'checkValues');
  const d0 = be.dispatches;
  fn();
  const out = { checks: spy.mock.calls.length, dispatches: be.dispatches - d0 };
  spy.mockRestore();
  return out;
}

eachDevice((device: Device) => {
  const ints = (v: number[]) => torch.tensor(new Int32Array(v), { device });

  describe('internal indices are not range-checked again', () => {
    it("maxPool2d backward routes through the pool's own indices: no check, one scatter", async () => {
      torch.manualSeed(0);
      const x = torch.randn([2, 3, 8, 8], { device, requiresGrad: true });
      const loss = F.maxPool2d(x, 2).sum();
      const c = count(x, () => loss.backward());
      expect(c.checks).toBe(0);
      // the ones-like seed; sum's expand is a stride-0 view, made dense for the scatter (a copy); the
      // scatter: zeros, then the adds (a check would be one more)
      if (device === 'webgpu') expect(c.dispatches).toBe(4);
      expect(await x.grad!.sum().item()).toBe(2 * 3 * 4 * 4);
    });

    it('embedding checks its indices once, in the forward; the backward adds rows unchecked', async () => {
      torch.manualSeed(1);
      const w = torch.randn([10, 4], { device, requiresGrad: true });
      const idx = ints([1, 3, 3, 9]);
      let y!: Tensor;
      expect(
        count(w, () => {
          y = F.embedding(idx, w);
        }).checks,
      ).toBe(1);
      const loss = y.sum();
      const c = count(w, () => loss.backward());
      expect(c.checks).toBe(0);
      // the ones-like seed, the dense copy of sum's stride-0 gradient, the index add: zeros, then the
      // adds (a check would be one more)
      if (device === 'webgpu') expect(c.dispatches).toBe(4);
      expect(await w.grad!.sum(1).data()).toEqual(new Float32Array([0, 4, 0, 8, 0, 0, 0, 0, 0, 4]));
    });

    it('the backward of gather, indexSelect, scatterAdd and indexAdd reuses their checked index', () => {
      const x = torch.randn([3, 4], { device, requiresGrad: true });
      const i2 = ints([0, 2, 1, 3, 3, 0]).reshape([3, 2]),
        i1 = ints([2, 0]);
      for (const [f, checks] of [
        [() => torch.gather(x, 1, i2), 1],
        [() => torch.indexSelect(x, 0, i1), 1],
        [() => torch.scatterAdd(x, 0, ints([0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1]).reshape([3, 4]), [2, 4]), 1],
        [() => torch.indexAdd(x, 0, ints([1, 1, 0]), [2, 4]), 1],
      ] as const) {
        let y!: Tensor;
        expect(
          count(x, () => {
            y = f();
          }).checks,
        ).toBe(checks);
        const loss = y.sum();
        expect(count(x, () => loss.backward()).checks).toBe(0);
        x.grad = null;
      }
    });

    it('max(x, dim) gathers at its own argmax positions, and a class loss checks its targets once', () => {
      const x = torch.randn([4, 5], { device, requiresGrad: true });
      expect(count(x, () => torch.max(x, 1)).checks).toBe(0);
      const t = ints([0, 4, 2, 1]),
        w = torch.rand([5], { device });
      expect(count(x, () => F.nllLoss(x, t, { weight: w })).checks).toBe(1);
    });

    it('reflection padding indexes with its own source map, unchecked', () => {
      const x = torch.randn([1, 2, 5], { device, requiresGrad: true });
      let y!: Tensor;
      expect(
        count(x, () => {
          y = F.pad(x, [2, 2], { mode: 'reflect' });
        }).checks,
      ).toBe(0);
      const loss = y.sum();
      expect(count(x, () => loss.backward()).checks).toBe(0);
    });
  });
});
