// Reductions over leading and middle dims of dense inputs (passes over blocks of reduced dims, no
// permuted copy) against a naive loop written here, on every device: sum / amax / amin / argmax /
// argmin, several blocks, int inputs, NaN, keepdim, and the long-extent case that takes the
// permuted path instead.
import { expect, it } from 'vitest';
import { eachDevice, expectClose, LOOSE, torch } from '../harness.js';

/** reduce `vals` of `shape` over `dims` with `f` (start value from the first element), row-major output */
function naive(
  vals: number[],
  shape: number[],
  dims: number[],
  f: (acc: number, v: number, k: number, bestK: number) => [number, number],
  arg: boolean,
): number[] {
  const kept = shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const outShape = kept.map((i) => shape[i]);
  const outN = outShape.reduce((a, b) => a * b, 1);
  const acc: ([number, number] | null)[] = new Array(outN).fill(null);
  const counter = new Array(outN).fill(0);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  for (let flat = 0; flat < vals.length; flat++) {
    const idx = shape.map((_, i) => Math.floor(flat / strides[i]) % shape[i]);
    let o = 0;
    kept.forEach((d) => {
      o = o * shape[d] + idx[d];
    });
    const k = counter[o]++;
    acc[o] = acc[o] === null ? [vals[flat], 0] : f(acc[o]![0], vals[flat], k, acc[o]![1]);
  }
  return acc.map((a) => (arg ? a![1] : a![0]));
}
const sumF = (a: number, v: number): [number, number] => [a + v, 0];
const maxF = (a: number, v: number, k: number, bk: number): [number, number] =>
  Number.isNaN(a) ? [a, bk] : v > a || Number.isNaN(v) ? [v, k] : [a, bk];
const minF = (a: number, v: number, k: number, bk: number): [number, number] =>
  Number.isNaN(a) ? [a, bk] : v < a || Number.isNaN(v) ? [v, k] : [a, bk];

eachDevice((device) => {
  const cases: { shape: number[]; dims: number[] }[] = [
    { shape: [4, 6, 5, 7], dims: [0, 2, 3] }, // a conv bias gradient: two blocks
    { shape: [9, 70], dims: [0] }, // a linear bias gradient
    { shape: [3, 8, 5], dims: [1] },
    { shape: [3, 8, 5], dims: [0, 2] },
    { shape: [2, 3, 4, 5, 6], dims: [1, 3] },
  ];
  for (const c of cases) {
    it(`sum / amax / amin over ${JSON.stringify(c.dims)} of ${JSON.stringify(c.shape)}, keepdim`, async () => {
      torch.manualSeed(2);
      const x = torch.randn(c.shape, { device });
      const vals = Array.from(await x.data());
      const outShape = c.shape.map((s, i) => (c.dims.includes(i) ? 1 : s));
      const s = x.sum(c.dims, { keepdim: true });
      expect(s.shape).toEqual(outShape);
      await expectClose(s, naive(vals, c.shape, c.dims, sumF, false), LOOSE, 'sum');
      await expectClose(x.amax(c.dims), naive(vals, c.shape, c.dims, maxF, false), undefined, 'amax');
      await expectClose(x.amin(c.dims), naive(vals, c.shape, c.dims, minF, false), undefined, 'amin');
    });
  }

  it('argmax / argmin along a leading dim, first index on ties, NaN wins', async () => {
    const vals = [1, 5, 2, 7, 5, 0, 7, 3, NaN, 5, 0, 1];
    const x = torch.tensor(Float32Array.from(vals), { device }).reshape([4, 3]);
    expect(Array.from(await x.argmax(0).data())).toEqual(naive(vals, [4, 3], [0], maxF, true));
    expect(Array.from(await x.argmin(0).data())).toEqual(naive(vals, [4, 3], [0], minF, true));
    const m = x.max(0);
    await expectClose(m.values, naive(vals, [4, 3], [0], maxF, false));
  });

  it('integer and bool sums over a leading dim', async () => {
    const x = torch.arange(0, 24, 1, { device, dtype: 'int32' }).reshape([4, 6]);
    const s = x.sum(0);
    expect(s.dtype).toBe('int32');
    expect(Array.from(await s.data())).toEqual([36, 40, 44, 48, 52, 56]);
    expect(Array.from(await x.gt(10).sum(0).data())).toEqual([2, 2, 2, 2, 2, 3]);
  });

  it('a long reduced extent with few outputs (the permuted path) gives the same sums', async () => {
    torch.manualSeed(3);
    const x = torch.randn([3000, 4], { device });
    await expectClose(x.sum(0), naive(Array.from(await x.data()), [3000, 4], [0], sumF, false), LOOSE);
  });
});
