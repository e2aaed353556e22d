// DataLoader, TensorDataset, Subset, randomSplit and the default collate.
import { describe, expect, it } from 'vitest';
import { eachDevice, torch } from '../harness.js';

const { DataLoader, TensorDataset, Subset, randomSplit } = torch.data;
type Tensor = torch.Tensor;

/** x row i = [i, i + 0.5, -i] (float32), y = i (int32): y tells which samples a batch holds. */
function numbered(n: number) {
  const x = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) x.set([i, i + 0.5, -i], i * 3);
  const y = Int32Array.from({ length: n }, (_, i) => i);
  return new TensorDataset(torch.tensor(x, { device: 'cpu' }).reshape([n, 3]), torch.tensor(y, { device: 'cpu' }));
}

async function epoch(loader: AsyncIterable<Tensor[]>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const [x, y] of loader) {
    const ys = Array.from(await y.data());
    const xs = Array.from(await x.data());
    // the rows travel with their labels
    ys.forEach((i, b) => expect(xs.slice(b * 3, b * 3 + 3)).toEqual([i, i + 0.5, -i]));
    out.push(ys);
    x.dispose();
    y.dispose();
  }
  return out;
}

describe('TensorDataset', () => {
  it('rows of each tensor along the first dim: numbers for 1-d, host views otherwise', () => {
    const ds = numbered(5);
    expect(ds.length).toBe(5);
    const [x, y] = ds.get(3) as [torch.data.HostTensor, number];
    expect(Array.from(x.data)).toEqual([3, 3.5, -3]);
    expect(x.shape).toEqual([3]);
    expect(y).toBe(3);
    expect(ds.dtypes).toEqual(['float32', 'int32']);
    expect(() => ds.get(5)).toThrow(/index 5 is out of range for a dataset of length 5/);
  });
  it('first dimensions must agree', () => {
    expect(
      () => new TensorDataset(torch.zeros([4, 2], { device: 'cpu' }), torch.zeros([3], { device: 'cpu' })),
    ).toThrow(/size mismatch.*\[4, 2\], \[3\]/);
  });
  it('fromAsync reads device tensors back; the constructor refuses them', async () => {
    const dev = torch.isAvailable('webgpu') ? 'webgpu' : 'cpu';
    const t = torch.arange(6, undefined, 1, { device: dev }).reshape([3, 2]);
    if (dev === 'webgpu') expect(() => new TensorDataset(t)).toThrow(torch.DeviceError);
    const ds = await TensorDataset.fromAsync(t);
    expect(Array.from((ds.get(2)[0] as torch.data.HostTensor).data)).toEqual([4, 5]);
  });
});

describe('DataLoader order', () => {
  it('without shuffle: dataset order, last partial batch kept, length', async () => {
    const loader = new DataLoader(numbered(10), { batchSize: 4, device: 'cpu' });
    expect(loader.length).toBe(3);
    expect(await epoch(loader)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });
  it('dropLast drops the short batch (and only then)', async () => {
    const drop = new DataLoader(numbered(10), { batchSize: 4, dropLast: true, device: 'cpu' });
    expect(drop.length).toBe(2);
    expect(await epoch(drop)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    const exact = new DataLoader(numbered(8), { batchSize: 4, dropLast: true, device: 'cpu' });
    expect(exact.length).toBe(2);
    expect((await epoch(exact)).flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
  it('shuffle: every sample exactly once per epoch, reproducible from a seed, new order each epoch', async () => {
    const make = (seed: number, prefetch = true) =>
      new DataLoader(numbered(23), {
        batchSize: 5,
        shuffle: true,
        generator: new torch.Generator(seed),
        device: 'cpu',
        prefetch,
      });
    const a = make(42),
      b = make(42);
    const a1 = await epoch(a),
      a2 = await epoch(a);
    expect(a1.map((x) => x.length)).toEqual([5, 5, 5, 5, 3]);
    for (const e of [a1, a2]) expect(e.flat().sort((p, q) => p - q)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(a2).not.toEqual(a1);
    expect(a1.flat()).not.toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(await epoch(b)).toEqual(a1);
    expect(await epoch(b)).toEqual(a2);
    expect(await epoch(make(43))).not.toEqual(a1);
    // prefetch changes when batches are built, not what they hold
    const c = make(42, false);
    expect(await epoch(c)).toEqual(a1);
    expect(await epoch(c)).toEqual(a2);
    // dropLast with shuffle: 4 full batches of distinct samples
    const d = new DataLoader(numbered(23), {
      batchSize: 5,
      shuffle: true,
      dropLast: true,
      generator: new torch.Generator(42),
      device: 'cpu',
    });
    const d1 = (await epoch(d)).flat();
    expect(d1.length).toBe(20);
    expect(new Set(d1).size).toBe(20);
    expect(d1).toEqual(a1.flat().slice(0, 20));
  });
  it('the global generator is used by default (torch.manualSeed)', async () => {
    torch.manualSeed(5);
    const e1 = await epoch(new DataLoader(numbered(12), { batchSize: 12, shuffle: true, device: 'cpu' }));
    torch.manualSeed(5);
    const e2 = await epoch(new DataLoader(numbered(12), { batchSize: 12, shuffle: true, device: 'cpu' }));
    expect(e2).toEqual(e1);
  });
  it('a dataset error surfaces in order, after the batches before it', async () => {
    const ds = {
      length: 6,
      get: (i: number) => {
        if (i === 4) throw new Error('bad sample 4');
        return [i, i] as [number, number];
      },
    };
    const seen: number[] = [];
    const run = async () => {
      for await (const [, y] of new DataLoader(ds, { batchSize: 2, device: 'cpu' })) seen.push(...(await y.data()));
    };
    await expect(run()).rejects.toThrow('bad sample 4');
    expect(seen).toEqual([0, 1, 2, 3]);
  });
  it('prefetch builds the next batch while the caller awaits, and only then', async () => {
    for (const prefetch of [true, false]) {
      const fetched: number[] = [];
      const ds = {
        length: 6,
        get: (i: number) => {
          fetched.push(i);
          return i;
        },
      };
      const it = new DataLoader(ds, { batchSize: 2, device: 'cpu', prefetch })[Symbol.asyncIterator]();
      (await it.next()).value!.dispose();
      expect(fetched).toEqual([0, 1]);
      await new Promise((r) => setImmediate(r)); // the caller awaiting device work
      expect(fetched).toEqual(prefetch ? [0, 1, 2, 3] : [0, 1]);
      await it.return(undefined);
    }
  });
  it('rejects a bad batch size', () => {
    expect(() => new DataLoader(numbered(3), { batchSize: 0 })).toThrow(
      /batchSize should be a positive integer, got 0/,
    );
  });
});

eachDevice((device) => {
  describe('collate', () => {
    it('stacks fields into one tensor each: shapes, dtypes, device', async () => {
      const ds = {
        length: 5,
        get: (i: number) => ({
          image: { data: new Float32Array(2 * 3 * 4).fill(i), channels: 2, height: 3, width: 4 },
          tokens: Int32Array.from([i, i + 1, i + 2]),
          label: i % 3,
          value: i / 4,
          mask: { data: Int32Array.from([1, 0]), shape: [2], dtype: 'bool' as const },
          flag: i % 2 === 0,
        }),
      };
      const [batch] = await first(new DataLoader(ds, { batchSize: 4, device }));
      expect(batch.image.shape).toEqual([4, 2, 3, 4]);
      expect(batch.image.dtype).toBe('float32');
      expect(batch.tokens.shape).toEqual([4, 3]);
      expect(batch.tokens.dtype).toBe('int32');
      expect(batch.label.dtype).toBe('int32');
      expect(Array.from(await batch.label.data())).toEqual([0, 1, 2, 0]);
      expect(batch.value.dtype).toBe('float32');
      expect(Array.from(await batch.value.data())).toEqual([0, 0.25, 0.5, 0.75]);
      expect(batch.mask.dtype).toBe('bool');
      expect(batch.mask.shape).toEqual([4, 2]);
      expect(await batch.flag.tolist()).toEqual([true, false, true, false]);
      expect(Array.from(await batch.image.data()).filter((_, k) => k % 24 === 0)).toEqual([0, 1, 2, 3]);
      for (const t of Object.values(batch)) {
        expect(t.device).toBe(device);
        t.dispose();
      }
    });
    it('a leaf sample gives a single tensor; cpu tensors in samples are stacked too', async () => {
      const [t] = await first(new DataLoader({ length: 3, get: (i: number) => i * 2 }, { batchSize: 3, device }));
      expect(await t.tolist()).toEqual([0, 2, 4]);
      const rows = torch.arange(6, undefined, 1, { device: 'cpu', dtype: 'float32' }).reshape([3, 2]);
      const [[r]] = await first(
        new DataLoader({ length: 3, get: (i: number) => [rows.select(0, i)] as [Tensor] }, { batchSize: 3, device }),
      );
      expect(r.shape).toEqual([3, 2]);
      expect(await r.tolist()).toEqual([
        [0, 1],
        [2, 3],
        [4, 5],
      ]);
    });
    it('declared dtypes win over inference; inference is fixed by the first batch', async () => {
      const ds = { length: 4, get: (i: number) => [i, i === 3 ? 2.5 : i] as [number, number] };
      const loader = new DataLoader(ds, { batchSize: 2, device });
      const run = async () => {
        for await (const b of loader) b.forEach((t) => t.dispose());
      };
      await expect(run()).rejects.toThrow(
        /field \[1\] is stacked as int32 \(inferred from the first batch\), but the sample at dataset index 3 has 2.5/,
      );
      const declared = new DataLoader(ds, { batchSize: 2, device, dtypes: ['int32', 'float32'] });
      const out: number[] = [];
      for await (const [a, v] of declared) {
        expect(a.dtype).toBe('int32');
        expect(v.dtype).toBe('float32');
        out.push(...(await v.data()));
      }
      expect(out).toEqual([0, 1, 2, 2.5]);
    });
    it('ragged samples: ShapeError naming the dataset index and both shapes', async () => {
      const ds = {
        length: 3,
        get: (i: number) => ({
          data: new Float32Array(i === 2 ? 6 : 4),
          channels: 1,
          height: 2,
          width: i === 2 ? 3 : 2,
        }),
      };
      await expect(first(new DataLoader(ds, { batchSize: 3, device }))).rejects.toThrow(
        /sample at dataset index 2 has shape \[1, 2, 3\], but the first sample's is \[1, 2, 2\]/,
      );
      await expect(first(new DataLoader({ length: 2, get: () => 'text' }, { batchSize: 2, device }))).rejects.toThrow(
        /cannot stack the sample of type string/,
      );
    });
    it('a custom collate gets the samples and its result is yielded as is', async () => {
      const loader = new DataLoader(numbered(5), {
        batchSize: 2,
        device,
        collate: (s) => s.map((x) => x[1] as number),
      });
      const got: number[][] = [];
      for await (const b of loader) got.push(b);
      expect(got).toEqual([[0, 1], [2, 3], [4]]);
    });
    it('batches belong to the caller; leaving early disposes the prefetched batch', async () => {
      const loader = new DataLoader(numbered(40), { batchSize: 4, device });
      const before = torch.memory()[device].liveTensors;
      let k = 0;
      for await (const [x, y] of loader) {
        const s = x.sum();
        await s.item(); // device work while the next batch is prefetched
        s.dispose();
        x.dispose();
        y.dispose();
        if (++k === 3) break;
      }
      expect(torch.memory()[device].liveTensors).toBe(before);
      // kept batches are not freed by a scope that happens to be open
      const kept = torch.scope(() => defaultBatch(device));
      expect(kept.every((t) => !t.isDisposed)).toBe(true);
      kept.forEach((t) => t.dispose());
    });
  });
});

function defaultBatch(device: torch.Device): Tensor[] {
  let out: Tensor[] = [];
  torch.scope(() => {
    out = torch.data.defaultCollate(
      [
        [1, 2.5],
        [2, 3.5],
      ],
      { device },
    ) as Tensor[];
  });
  return out;
}

async function first<B>(loader: AsyncIterable<B>): Promise<[B]> {
  for await (const b of loader) return [b];
  throw new Error('empty loader');
}

describe('Subset and randomSplit', () => {
  it('Subset maps indices', () => {
    const s = new Subset(numbered(10), [7, 2, 9]);
    expect(s.length).toBe(3);
    expect(s.get(1)[1]).toBe(2);
    expect(s.dtypes).toEqual(['float32', 'int32']);
    expect(() => new Subset(numbered(3), [3])).toThrow(/index 3 is out of range/);
  });
  it('lengths or fractions; disjoint, covering, reproducible', () => {
    const ds = numbered(10);
    const ids = (s: torch.data.Subset<unknown>) => Array.from(s.indices);
    const parts = randomSplit(ds, [3, 7], new torch.Generator(1));
    expect(parts.map((p) => p.length)).toEqual([3, 7]);
    expect([...ids(parts[0]), ...ids(parts[1])].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(randomSplit(ds, [3, 7], new torch.Generator(1)).map(ids)).toEqual(parts.map(ids));
    expect(randomSplit(ds, [3, 7], new torch.Generator(2)).map(ids)).not.toEqual(parts.map(ids));
    // floor(10 * f) = [3, 3, 3], remainder 1 goes to the first
    expect(randomSplit(ds, [1 / 3, 1 / 3, 1 / 3], new torch.Generator(1)).map((p) => p.length)).toEqual([4, 3, 3]);
    expect(randomSplit(ds, [1, 0], new torch.Generator(1)).map((p) => p.length)).toEqual([10, 0]);
    expect(() => randomSplit(ds, [3, 4])).toThrow(
      /sum of input lengths \[3, 4\] does not equal the length of the input dataset \(10\)/,
    );
  });
});
