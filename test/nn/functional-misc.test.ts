import { describe, expect, it } from 'vitest';
import { eachDevice, TOL, torch } from '../harness.js';
import { loadFamily, runCase, type Call } from './functional-cases.js';

const F = torch.nn.functional;
const { T, cases } = loadFamily('misc');

const calls: Record<string, Call> = {
  embedding: (i, a) => F.embedding(i.indices, i.weight, a),
  pad: (i, a) => F.pad(i.x, a.pad, a),
};

eachDevice((device) => {
  describe('against PyTorch', () => {
    for (const c of cases)
      it(`${c.op} ${c.name} ${JSON.stringify(c.args)}`, () => runCase(T, c, device, calls[c.op], TOL));
  });

  it('embedding: the paddingIdx row gets exactly zero gradient, others accumulate repeats', async () => {
    const w = torch.randn([5, 2], { device }).requiresGrad_();
    const idx = torch.tensor(new Int32Array([2, 2, 0, 4, 2]), { device });
    F.embedding(idx, w, { paddingIdx: 2 }).sum().backward();
    expect(await w.grad!.tolist()).toEqual([
      [1, 1],
      [0, 0],
      [0, 0],
      [0, 0],
      [1, 1],
    ]);
  });

  it('embedding: an out-of-range index is an IndexError (on webgpu at the next readback: test/kernels/error-flag.test.ts)', async () => {
    const w = torch.randn([4, 3], { device }).requiresGrad_();
    const idx = torch.tensor(new Int32Array([1, 4, 0, 3]), { device });
    await expect((async () => F.embedding(idx, w).data())()).rejects.toThrow(
      new torch.IndexError(
        'embedding: index out of range: 4 at flat position 1 of indices [4], weight [4, 3] has 4 rows',
      ),
    );
  });

  it('embedding: argument errors', () => {
    const w = torch.randn([4, 3], { device });
    expect(() => F.embedding(torch.tensor([1, 2], { device }), w)).toThrow(torch.DTypeError);
    expect(() => F.embedding(torch.tensor(new Int32Array([1]), { device }), w, { paddingIdx: 4 })).toThrow(
      'paddingIdx must be within num_embeddings (4), got 4',
    );
    expect(() => F.embedding(torch.tensor(new Int32Array([1]), { device }), torch.randn([4], { device }))).toThrow(
      torch.ShapeError,
    );
  });

  it('dropout: seeded, scaled by 1/(1-p), the same mask on every device, gradient through the mask', async () => {
    const x = torch.ones([40, 50], { device }).requiresGrad_();
    torch.manualSeed(123);
    const y = F.dropout(x, { p: 0.3 });
    const v = Array.from(await y.data());
    const scale = Math.fround(1 / 0.7);
    expect(v.every((e) => e === 0 || Math.abs(e - scale) < 1e-6)).toBe(true);
    const dropped = v.filter((e) => e === 0).length / v.length;
    expect(dropped).toBeGreaterThan(0.25);
    expect(dropped).toBeLessThan(0.35);
    y.backward(torch.full([40, 50], 2, { device }));
    expect(Array.from(await x.grad!.data())).toEqual(v.map((e) => 2 * e));
    // the mask is drawn on the host: the same seed gives the same mask on cpu
    torch.manualSeed(123);
    expect(Array.from(await F.dropout(torch.ones([40, 50], { device: 'cpu' }), { p: 0.3 }).data())).toEqual(v);
  });

  it('dropout: identity when not training or p = 0; zeros when p = 1; p outside [0, 1] is an error', async () => {
    const x = torch.randn([3, 4], { device });
    expect(F.dropout(x, { training: false })).toBe(x);
    expect(F.dropout(x, { p: 0 })).toBe(x);
    expect(Array.from(await F.dropout(x, { p: 1 }).data()).every((e) => e === 0)).toBe(true);
    expect(() => F.dropout(x, { p: 1.5 })).toThrow('dropout probability has to be between 0 and 1, but got 1.5');
  });

  it('dropout2d / dropout1d zero whole channels', async () => {
    torch.manualSeed(5);
    const y = F.dropout2d(torch.ones([4, 6, 3, 2], { device }), { p: 0.5 });
    const v = Array.from(await y.data());
    for (let ch = 0; ch < 24; ch++) {
      const plane = v.slice(ch * 6, ch * 6 + 6);
      expect(plane.every((e) => e === plane[0])).toBe(true);
      expect([0, 2]).toContain(plane[0]);
    }
    expect(v.some((e) => e === 0) && v.some((e) => e === 2)).toBe(true);
    const y1 = Array.from(await F.dropout1d(torch.ones([3, 5, 4], { device }), { p: 0.5 }).data());
    for (let ch = 0; ch < 15; ch++) expect(new Set(y1.slice(ch * 4, ch * 4 + 4)).size).toBe(1);
    expect(() => F.dropout2d(torch.ones([2, 3], { device }))).toThrow(torch.ShapeError);
  });

  it('pad: bad arguments throw', () => {
    const x = torch.randn([1, 1, 3], { device });
    expect(() => F.pad(x, [1])).toThrow('padding length must be divisible by 2');
    expect(() => F.pad(x, [1, 1, 1, 1, 1, 1, 1, 1])).toThrow('padding length too large');
    expect(() => F.pad(x, [3, 3], { mode: 'reflect' })).toThrow(
      'padding size should be less than the corresponding input dimension, but got: padding (3, 3) at dimension 2 of input [1, 1, 3]',
    );
    expect(() => F.pad(x, [-1, 1], { mode: 'replicate' })).toThrow(torch.ArgumentError);
    expect(() => F.pad(x, [-2, -2])).toThrow(torch.ArgumentError);
    expect(() => F.pad(x, [4, 0], { mode: 'circular' })).toThrow(torch.ArgumentError);
  });
});
