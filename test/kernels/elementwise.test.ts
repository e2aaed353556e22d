// The webgpu elementwise layouts (vec4, contiguous, 3-D grid, strided of each merged rank) against
// the cpu device on the same values: views chosen so each layout runs, with offsets, broadcasts,
// permutations, int/bool outputs, where, fill and copy into strided destinations.
import { describe, expect, it } from 'vitest';
import { planElementwise } from '../../src/kernels/webgpu/elementwise.js';
import { devices, expectClose, torch } from '../harness.js';

type T = torch.Tensor;
const gpu = devices.includes('webgpu');

describe('planElementwise', () => {
  const dense = (shape: number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((p, q) => p * q, 1));
  it('merges dims every operand walks contiguously and picks the layout', () => {
    const s = [4, 8, 6, 6];
    expect(
      planElementwise(s, [
        { strides: dense(s), offset: 0 },
        { strides: dense(s), offset: 0 },
      ]).layout,
    ).toEqual({ kind: 'vec4' });
    expect(
      planElementwise(s, [
        { strides: dense(s), offset: 2 },
        { strides: dense(s), offset: 0 },
      ]).layout,
    ).toEqual({ kind: 'contig' });
    // a per-channel operand: [N, C, H·W], a 3-D grid
    const pc = planElementwise(s, [
      { strides: dense(s), offset: 0 },
      { strides: [0, 1, 0, 0], offset: 0 },
      { strides: dense(s), offset: 0 },
    ]);
    expect(pc.layout).toEqual({ kind: 'grid' });
    expect(pc.shape).toEqual([4, 8, 36]);
    expect(pc.strides[1]).toEqual([0, 1, 0]);
    // a transposed operand with a short inner dim: strided, rank 4
    const t = planElementwise(
      [3, 5, 2, 7],
      [
        { strides: [70, 1, 5, 10], offset: 0 },
        { strides: dense([3, 5, 2, 7]), offset: 0 },
      ],
    );
    expect(t.layout).toEqual({ kind: 'strided', rank: 4 });
    // size-1 dims vanish
    expect(planElementwise([1, 5, 1], [{ strides: [9, 1, 3], offset: 1 }]).layout).toEqual({ kind: 'contig' });
  });
});

describe.runIf(gpu)('webgpu elementwise layouts against cpu', () => {
  const both = (make: (device: torch.Device) => T) => Promise.all([make('cpu').data(), make('webgpu').data()]);
  const vals = (shape: number[], seed: number, device: torch.Device) => {
    torch.manualSeed(seed);
    return torch.randn(shape, { device });
  };
  const check = async (name: string, make: (device: torch.Device) => T) => {
    const [c, g] = await both(make);
    await expectClose(g, c, { rtol: 1e-6, atol: 1e-6 }, name);
  };

  it('vec4 and contiguous: float, int and bool results, where, offsets', async () => {
    await check('vec4 binary', (d) =>
      vals([8, 16], 1, d)
        .mul(vals([8, 16], 2, d))
        .add(1),
    );
    await check('vec4 unary', (d) => vals([4, 64], 3, d).relu());
    await check('vec4 bool out', (d) =>
      vals([32], 4, d)
        .gt(vals([32], 5, d))
        .float(),
    );
    await check('vec4 int', (d) =>
      torch
        .arange(0, 64, 1, { device: d, dtype: 'int32' })
        .add(torch.arange(0, 64, 1, { device: d, dtype: 'int32' }))
        .float(),
    );
    await check('vec4 where', (d) => torch.where(vals([16, 4], 6, d).gt(0), vals([16, 4], 7, d), vals([16, 4], 8, d)));
    await check('contig, odd offset', (d) => vals([67], 9, d).narrow(0, 1, 66).exp());
    await check('contig, odd length', (d) => vals([7, 3], 10, d).sub(vals([7, 3], 11, d)));
  });

  it('3-D grid: per-channel broadcasts, batch broadcasts', async () => {
    await check('per-channel mul', (d) => vals([3, 5, 6, 7], 12, d).mul(vals([1, 5, 1, 1], 13, d)));
    await check('per-row add', (d) => vals([9, 40], 14, d).add(vals([9, 1], 15, d)));
    await check('batch broadcast', (d) => vals([4, 1, 50], 16, d).sub(vals([3, 50], 17, d)));
  });

  it('strided ranks 1 to 5: step slices, permutations, expanded views', async () => {
    await check('rank 1 (step 2)', (d) => vals([40], 18, d).slice(0, 0, 40, 2).neg());
    await check('rank 2 transpose', (d) => vals([6, 9], 19, d).t().mul(2));
    await check('rank 3 permute', (d) =>
      vals([3, 4, 5], 20, d)
        .permute([2, 0, 1])
        .add(vals([5, 3, 4], 21, d)),
    );
    await check('rank 4 permute', (d) => vals([2, 3, 4, 5], 22, d).permute([3, 1, 0, 2]).contiguous());
    await check('rank 5 permute', (d) => vals([2, 3, 2, 3, 2], 23, d).permute([4, 2, 0, 3, 1]).sigmoid());
  });

  it('fill and copy into strided destinations', async () => {
    const fillInto = (d: torch.Device) => {
      const t = torch.zeros([6, 8], { device: d });
      t.t().narrow(0, 2, 3).fill_(5);
      return t;
    };
    await check('fill strided', fillInto);
    const copyInto = (d: torch.Device) => {
      const t = torch.zeros([5, 6, 4], { device: d });
      t.permute([2, 0, 1]).copy_(vals([4, 5, 6], 24, d));
      return t;
    };
    await check('copy permuted', copyInto);
    const copyVec = (d: torch.Device) => {
      const t = torch.zeros([64], { device: d });
      t.narrow(0, 4, 32).copy_(vals([32], 25, d));
      return t;
    };
    await check('copy into an aligned window', copyVec);
  });
});
