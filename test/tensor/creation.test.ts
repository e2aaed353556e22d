import { describe, expect, it } from 'vitest';
import { eachDevice, expectClose, torch } from '../harness.js';

eachDevice((device) => {
  it('tensor() from nested arrays and typed arrays', async () => {
    const t = torch.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { device },
    );
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.device).toBe(device);
    expect(await t.tolist()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(await torch.tensor(new Int32Array([7, -8]), { device }).tolist()).toEqual([7, -8]);
    expect(torch.tensor(new Int32Array([1]), { device }).dtype).toBe('int32');
    expect(await torch.tensor([true, false], { device }).tolist()).toEqual([true, false]);
  });
  it('zeros, ones, full, arange, linspace, eye', async () => {
    expect(await torch.zeros([2, 2], { device }).tolist()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(await torch.ones([3], { device, dtype: 'int32' }).tolist()).toEqual([1, 1, 1]);
    expect(await torch.full([2], 2.5, { device }).tolist()).toEqual([2.5, 2.5]);
    expect(await torch.arange(5, undefined, 1, { device }).tolist()).toEqual([0, 1, 2, 3, 4]);
    expect(torch.arange(5, undefined, 1, { device }).dtype).toBe('int32');
    await expectClose(torch.arange(0, 1, 0.25, { device }), [0, 0.25, 0.5, 0.75]);
    await expectClose(torch.linspace(-1, 1, 5, { device }), [-1, -0.5, 0, 0.5, 1]);
    expect(await torch.eye(2, 3, { device }).tolist()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(await torch.zerosLike(torch.ones([2, 1], { device })).tolist()).toEqual([[0], [0]]);
    expect(await torch.onesLike(torch.zeros([1, 2], { device })).tolist()).toEqual([[1, 1]]);
    expect(torch.zeros([0, 3], { device }).numel()).toBe(0);
  });
  it('seeded rand, randn, randint are reproducible and in range', async () => {
    torch.manualSeed(7);
    const a = await torch.rand([1000], { device }).data();
    torch.manualSeed(7);
    const b = await torch.rand([1000], { device }).data();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(1);
    const n = Array.from(await torch.randn([20000], { device }).data());
    const mean = n.reduce((s, x) => s + x, 0) / n.length;
    const sd = Math.sqrt(n.reduce((s, x) => s + (x - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
    const r = await torch.randint(3, 6, [500], { device }).data();
    expect(new Set(r)).toEqual(new Set([3, 4, 5]));
  });
  it('readback: data(), item(), tolist() of views', async () => {
    const t = torch.arange(6, undefined, 1, { device, dtype: 'float32' }).reshape([2, 3]);
    expect(await t.t().tolist()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(await t.select(1, 2).tolist()).toEqual([2, 5]);
    expect(await torch.tensor([[3.5]], { device }).item()).toBe(3.5);
    await expect(t.item()).rejects.toThrow(/6 elements/);
  });
  it('views share storage with their base', async () => {
    const base = torch.zeros([2, 3], { device });
    const v = base.narrow(1, 1, 2);
    torch.noGrad(() => v.fill_(7));
    expect(await base.tolist()).toEqual([
      [0, 7, 7],
      [0, 7, 7],
    ]);
    const r = base.reshape([3, 2]);
    torch.noGrad(() => r.zero_());
    expect(await base.tolist()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });
  it('to() round trips between devices', async () => {
    const t = torch.tensor(
      [
        [1.5, -2],
        [3, 4],
      ],
      { device: 'cpu' },
    );
    const moved = t.to(device);
    expect(moved.device).toBe(device);
    const back = await moved.toAsync('cpu');
    expect(await back.tolist()).toEqual([
      [1.5, -2],
      [3, 4],
    ]);
    expect(moved.to(device)).toBe(moved);
  });
  it('prints like PyTorch', async () => {
    const t = torch.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { device },
    );
    const suffix = device === 'cpu' ? '' : `, device='${device}'`;
    expect(await t.format()).toBe(`tensor([[1., 2.],\n        [3., 4.]]${suffix})`);
    expect(await torch.tensor([0.5, -1.25], { device }).format()).toBe(`tensor([ 0.5000, -1.2500]${suffix})`);
    expect(await torch.tensor([1, 2], { device, dtype: 'int32' }).format()).toBe(
      `tensor([1, 2], dtype=torch.int32${suffix})`,
    );
    const g = torch.tensor([1], { device, requiresGrad: true });
    expect(await g.format()).toBe(`tensor([1.]${suffix}, requires_grad=True)`);
    if (device === 'cpu') expect(String(t)).toBe('tensor([[1., 2.],\n        [3., 4.]])');
  });
});

describe('memory', () => {
  it('10,000 tensors made and dropped inside scope are all freed, and liveBytes does not grow', async () => {
    for (const device of torch.isAvailable('webgpu') ? (['cpu', 'webgpu'] as const) : (['cpu'] as const)) {
      const before = torch.memory()[device];
      const made: torch.Tensor[] = [];
      const kept = torch.scope(() => {
        let acc = torch.zeros([16], { device });
        made.push(acc);
        for (let i = 0; i < 10000; i++) {
          const t = torch.ones([16], { device });
          made.push(t);
          if (i % 1000 === 0) made.push((acc = acc.add(t)));
        }
        return acc;
      });
      expect(await kept.tolist()).toEqual(new Array(16).fill(10));
      expect(made.filter((t) => t !== kept && !t.isDisposed)).toEqual([]);
      kept.dispose();
      const after = torch.memory()[device];
      // tensors leaked by earlier tests may be finalised by the GC meanwhile: the counts can only
      // drop below where they started, never rise above
      expect(after.liveBytes).toBeLessThanOrEqual(before.liveBytes);
      expect(after.liveTensors).toBeLessThanOrEqual(before.liveTensors);
    }
  });
  it('a disposed tensor throws a clear error', () => {
    const t = torch.ones([2, 3], { device: 'cpu' });
    t.dispose();
    expect(() => t.add(1)).toThrow(torch.DisposedError);
    expect(() => t.add(1)).toThrow(/\[2, 3\].*dispose/);
  });
});
