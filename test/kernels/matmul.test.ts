// Matmul through the Backend interface: the cpu kernel against a float64 loop written here, and the
// webgpu kernels (the adapter's default, the register-tiled fallback, the packed kernel where the
// adapter can run it, every autotune candidate) against the cpu kernel, over transposes, batch
// broadcast, bias, view offsets and edge sizes.
// The tuner itself runs with a fake timer and a temporary cache directory.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backend, MatmulArgs, Storage, View } from '../../src/kernels/backend.js';
import { matmulHost } from '../../src/kernels/cpu/matmul.js';
import {
  cacheKey,
  cachedMatmulChoice,
  defaultMatmulChoice,
  matmulCandidates,
  SIZE_CLASSES,
  sizeClass,
  tuneMatmul,
  type MatmulChoice,
} from '../../src/kernels/webgpu/autotune.js';
import {
  formatMatmulConfig,
  parseMatmulConfig,
  planPacked,
  SOFTWARE_PACKED,
  type MatmulConfig,
  type TileConfig,
} from '../../src/kernels/webgpu/matmul/index.js';
import { backendFor } from '../../src/tensor/device.js';
import { webgpuBackend } from '../../src/kernels/webgpu/register.js';
import { devices, expectClose, LOOSE } from '../harness.js';

interface Case {
  name: string;
  batch?: number;
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  /** 'a' / 'b': that operand is one matrix broadcast over the batch (stride 0) */
  broadcast?: 'a' | 'b';
  bias?: boolean;
  /** element offsets of a, b, bias inside their storages */
  offsets?: [number, number, number];
}

// Aligned cases take the subgroup kernel where the adapter has one, unaligned ones the tiled kernel.
const cases: Case[] = [
  { name: 'aligned NN with bias (tile edges in both dims)', m: 44, n: 36, k: 40, bias: true },
  { name: 'aligned NT (linear layer), bias', m: 12, n: 20, k: 24, transB: true, bias: true },
  { name: 'aligned TN, k % 4 != 0 (tail steps)', m: 16, n: 8, k: 6, transA: true },
  { name: 'aligned TT, batch 2', batch: 2, m: 8, n: 12, k: 16, transA: true, transB: true },
  { name: 'aligned, batch 3, A broadcast, offsets', batch: 3, m: 8, n: 8, k: 12, broadcast: 'a', offsets: [4, 8, 0] },
  {
    name: 'aligned, batch 2, B broadcast, bias offset',
    batch: 2,
    m: 20,
    n: 16,
    k: 8,
    broadcast: 'b',
    bias: true,
    offsets: [0, 0, 4],
  },
  { name: 'k = 0 with bias', m: 8, n: 8, k: 0, bias: true },
  { name: 'k = 0 without bias (zeros)', m: 3, n: 5, k: 0 },
  { name: 'odd sizes NN, unaligned offsets, bias', m: 5, n: 7, k: 3, bias: true, offsets: [3, 1, 2] },
  { name: 'odd sizes NT', m: 9, n: 5, k: 7, transB: true },
  { name: 'odd sizes TN', m: 7, n: 9, k: 5, transA: true, offsets: [1, 0, 0] },
  {
    name: 'odd sizes TT, batch 2, B broadcast',
    batch: 2,
    m: 3,
    n: 6,
    k: 5,
    transA: true,
    transB: true,
    broadcast: 'b',
  },
  { name: 'row vector (m = 1)', m: 1, n: 12, k: 8 },
  { name: 'column vector (n = 1), bias', m: 12, n: 1, k: 8, bias: true },
  { name: 'dot (k only)', m: 1, n: 1, k: 13 },
  { name: 'n = 10 classifier head (NT, bias)', m: 16, n: 10, k: 32, transB: true, bias: true },
  { name: 'several workgroups both ways', m: 70, n: 68, k: 36, bias: true },
];

// The packed kernel takes every shape; these add what its packing passes and stores branch on:
// ragged k (zero-padded quads), several row and column blocks, transposed sources, n % 4 != 0
// (scalar stores), offsets that rule out vec4 packing loads, one operand broadcast over the batch.
const packedCases: Case[] = [
  { name: 'packed: several row and column blocks, k % 4 = 1, bias', m: 70, n: 100, k: 37, bias: true },
  { name: 'packed: NT, n % 4 != 0 (scalar stores), bias', m: 33, n: 45, k: 64, transB: true, bias: true },
  { name: 'packed: TN, ragged rows', m: 40, n: 72, k: 30, transA: true },
  {
    name: 'packed: TT, batch 3, B broadcast, bias',
    batch: 3,
    m: 20,
    n: 36,
    k: 24,
    transA: true,
    transB: true,
    broadcast: 'b',
    bias: true,
  },
  {
    name: 'packed: batch 2, A broadcast, unaligned A offset',
    batch: 2,
    m: 36,
    n: 40,
    k: 16,
    broadcast: 'a',
    offsets: [2, 4, 1],
  },
  { name: 'packed: batch 2, unaligned B offset', batch: 2, m: 8, n: 8, k: 8, offsets: [4, 3, 0] },
  { name: 'packed: 1000-wide classifier row (NT, bias)', m: 1, n: 1000, k: 512, transB: true, bias: true },
  { name: 'packed: 7×5 @ 5×13', m: 7, n: 13, k: 5 },
];

/** deterministic values in [-1, 1) */
function values(len: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

interface Inputs {
  a: Float32Array;
  b: Float32Array;
  bias: Float32Array | null;
  g: MatmulArgs;
  offs: [number, number, number];
}

function inputs(c: Case, seed = 1): Inputs {
  const batch = c.batch ?? 1;
  const offs = c.offsets ?? [0, 0, 0];
  const strideA = c.broadcast === 'a' ? 0 : c.m * c.k,
    strideB = c.broadcast === 'b' ? 0 : c.k * c.n;
  const nA = c.broadcast === 'a' ? 1 : batch,
    nB = c.broadcast === 'b' ? 1 : batch;
  const g: MatmulArgs = { batch, m: c.m, n: c.n, k: c.k, transA: !!c.transA, transB: !!c.transB, strideA, strideB };
  return {
    a: values(offs[0] + nA * c.m * c.k, seed),
    b: values(offs[1] + nB * c.k * c.n, seed + 1),
    bias: c.bias ? values(offs[2] + c.n, seed + 2) : null,
    g,
    offs,
  };
}

/** out[b, i, j] in float64, straight from the definition */
function reference({ a, b, bias, g, offs }: Inputs): Float64Array {
  const out = new Float64Array(g.batch * g.m * g.n);
  for (let t = 0; t < g.batch; t++)
    for (let i = 0; i < g.m; i++)
      for (let j = 0; j < g.n; j++) {
        let s = bias ? bias[offs[2] + j] : 0;
        for (let p = 0; p < g.k; p++) {
          const av = a[offs[0] + t * g.strideA + (g.transA ? p * g.m + i : i * g.k + p)];
          const bv = b[offs[1] + t * g.strideB + (g.transB ? j * g.k + p : p * g.n + j)];
          s += av * bv;
        }
        out[(t * g.m + i) * g.n + j] = s;
      }
  return out;
}

const view = (s: Storage, offset = 0): View => ({
  storage: s,
  shape: [s.length - offset],
  strides: [1],
  offset,
  dtype: 'float32',
});

/** Backend.matmul on `be`, read back */
async function run(be: Backend, x: Inputs): Promise<Float32Array> {
  const sa = be.upload(x.a, 'float32'),
    sb = be.upload(x.b, 'float32');
  const sbias = x.bias ? be.upload(x.bias, 'float32') : null;
  const out = be.matmul(view(sa, x.offs[0]), view(sb, x.offs[1]), {
    ...x.g,
    bias: sbias ? view(sbias, x.offs[2]) : undefined,
  });
  const host = (await be.read(out, 0, out.length)) as Float32Array;
  for (const s of [sa, sb, sbias, out]) if (s) be.release(s);
  return host;
}

describe('cpu matmul', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const x = inputs(c);
      await expectClose(await run(backendFor('cpu'), x), reference(x), LOOSE, c.name);
    });
  }
  it('4×4 blocks, edge rows and columns, several column panels (large k)', async () => {
    const x = inputs({ name: '', m: 9, n: 70, k: 4100, transB: true, bias: true }, 7);
    await expectClose(matmulHost(x.a, 0, x.b, 0, x.g, x.bias), reference(x), LOOSE);
  });
  it('propagates NaN and inf like PyTorch (0 · inf is NaN)', () => {
    const g: MatmulArgs = { batch: 1, m: 1, n: 2, k: 2, transA: false, transB: false, strideA: 0, strideB: 0 };
    const out = matmulHost(new Float32Array([0, 1]), 0, new Float32Array([Infinity, 1, 2, 3]), 0, g, null);
    expect(Number.isNaN(out[0])).toBe(true);
    expect(out[1]).toBe(3);
  });
});

if (devices.includes('webgpu')) {
  describe('webgpu matmul', () => {
    const be = () => webgpuBackend()!;
    let saved: MatmulChoice;
    beforeEach(() => {
      saved = be().matmulChoice;
    });
    afterEach(() => {
      be().matmulChoice = saved;
    });
    const withConfig = (c: MatmulConfig, tile: TileConfig) => {
      be().matmulChoice = { config: { small: c, large: c }, tile, source: 'default' };
    };

    it('uses the adapter default under test (no tuning, no cache)', () => {
      const d = defaultMatmulChoice(be().rt.info);
      expect(SIZE_CLASSES.map((cls) => formatMatmulConfig(be().matmulChoice.config[cls]))).toEqual(
        SIZE_CLASSES.map((cls) => formatMatmulConfig(d.config[cls])),
      );
    });

    describe('default kernel against cpu', () => {
      for (const c of cases) {
        it(c.name, async () => {
          const x = inputs(c);
          await expectClose(await run(be(), x), await run(backendFor('cpu'), x), LOOSE, c.name);
        });
      }
    });

    describe('register-tiled kernel against cpu (vec4 and scalar loads)', () => {
      // the fallback for shapes the subgroup kernel cannot take; on GPUs it is the default
      const tile = defaultMatmulChoice(webgpuBackend()!.rt.info).tile;
      for (const c of cases.filter((_, i) => [0, 1, 2, 3, 8, 11, 16].includes(i))) {
        it(c.name, async () => {
          withConfig(tile, tile);
          const x = inputs(c, 3);
          await expectClose(await run(be(), x), await run(backendFor('cpu'), x), LOOSE, c.name);
        });
      }
    });

    const info = webgpuBackend()!.rt.info;
    const packedOk =
      planPacked(
        { batch: 1, m: 64, n: 64, k: 64, transA: false, transB: false, strideA: 0, strideB: 0 },
        0,
        0,
        SOFTWARE_PACKED,
        info.subgroupSize,
        info.limits,
      ) !== null;
    describe.runIf(packedOk)('packed kernel against cpu (every shape; needs a fixed subgroup size)', () => {
      const tile = defaultMatmulChoice(info).tile;
      for (const c of [...cases, ...packedCases]) {
        it(c.name, async () => {
          withConfig(SOFTWARE_PACKED, tile);
          const x = inputs(c, 5);
          await expectClose(await run(be(), x), await run(backendFor('cpu'), x), LOOSE, c.name);
        });
      }
      it('is the software default for large products, the unpacked subgroup kernel for small ones', () => {
        const d = defaultMatmulChoice(info);
        if (info.isSoftware) {
          expect(formatMatmulConfig(d.config.large)).toBe(formatMatmulConfig(SOFTWARE_PACKED));
          expect(d.config.small.kind).toBe('subgroup');
        } else {
          expect(d.config.large.kind).toBe('tile');
        }
      });
      it('16-row tiles with two column groups per lane (pk:16x2), three dispatches per product', async () => {
        withConfig(parseMatmulConfig('pk:16x2'), tile);
        const x = inputs(packedCases[0], 9);
        const before = be().rt.dispatches;
        const got = await run(be(), x);
        // pack A, pack B, product: the packed path ran, not a fallback
        expect(be().rt.dispatches - before).toBe(3);
        await expectClose(got, await run(backendFor('cpu'), x), LOOSE);
      });
    });

    it('parses and formats every config kind', () => {
      for (const s of ['tile:8x4x8x1', 'sg:32x1x1', 'pk:32x1'])
        expect(formatMatmulConfig(parseMatmulConfig(s))).toBe(s);
      expect(() => parseMatmulConfig('pk:32')).toThrow(/pk:TMxNB/);
    });

    it('every autotune candidate computes the right product', async () => {
      const info = be().rt.info;
      const cands = matmulCandidates(info);
      expect(cands.length).toBeGreaterThan(1);
      const tile = defaultMatmulChoice(info).tile;
      for (const cfg of cands) {
        // one pipeline each: aligned (the subgroup kernel) or ragged edges (the tiled one), bias, batch
        const s: Case =
          cfg.kind === 'subgroup'
            ? { name: 'aligned', batch: 2, m: 44, n: 36, k: 20, bias: true }
            : { name: 'ragged', batch: 2, m: 9, n: 7, k: 5, bias: true };
        withConfig(cfg, cfg.kind === 'tile' ? cfg : tile);
        const x = inputs(s, 11);
        await expectClose(await run(be(), x), reference(x), LOOSE, `${formatMatmulConfig(cfg)} ${s.name}`);
      }
    });

    describe('tuner', () => {
      let dir = '';
      const env = { xdg: process.env.XDG_CACHE_HOME, tune: process.env.FINETORCH_AUTOTUNE };
      beforeEach(() => {
        dir = mkdtempSync(join(tmpdir(), 'finetorch-tune-'));
        process.env.XDG_CACHE_HOME = dir;
      });
      afterEach(() => {
        rmSync(dir, { recursive: true, force: true });
        for (const [k, v] of [
          ['XDG_CACHE_HOME', env.xdg],
          ['FINETORCH_AUTOTUNE', env.tune],
        ] as const) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      });

      it('picks the fastest correct candidate per size class, caches it, and FINETORCH_AUTOTUNE=0 ignores the cache', async () => {
        const info = be().rt.info;
        const tile = defaultMatmulChoice(info).tile;
        const fast = formatMatmulConfig(tile);
        const other = info.isSoftware ? 'tile:4x4x8x1' : 'tile:4x4x8x8';
        // a workgroup the adapter rejects: the tuner must drop it, not crash or pick it
        const broken: MatmulConfig = {
          kind: 'tile',
          tm: 1,
          tn: 1,
          wgx: info.limits.maxComputeWorkgroupSizeX * 2,
          wgy: 1,
        };
        const fake = { [fast]: { small: 5, large: 1 }, [other]: { small: 1, large: 9 } } as Record<
          string,
          Record<string, number>
        >;
        const report = await tuneMatmul(be().rt, {
          candidates: [parseMatmulConfig(fast), parseMatmulConfig(other), broken],
          timer: async (c, shape) => fake[formatMatmulConfig(c)][sizeClass({ batch: 1, ...shape })],
        });
        expect(report.rejected.map((r) => r.config)).toEqual([formatMatmulConfig(broken)]);
        expect(formatMatmulConfig(report.choice.config.small)).toBe(other);
        expect(formatMatmulConfig(report.choice.config.large)).toBe(fast);

        const file = JSON.parse(readFileSync(join(dir, 'finetorch', 'autotune.json'), 'utf8'));
        expect(file[cacheKey(info, 'small')].config).toBe(other);
        expect(file[cacheKey(info, 'large')].config).toBe(fast);

        process.env.FINETORCH_AUTOTUNE = '1';
        const cached = cachedMatmulChoice(info);
        expect(cached.source).toBe('cache');
        expect(formatMatmulConfig(cached.config.small)).toBe(other);
        expect(formatMatmulConfig(cached.config.large)).toBe(fast);
        process.env.FINETORCH_AUTOTUNE = '0';
        expect(cachedMatmulChoice(info).source).toBe('default');
      });
    });
  });
}
