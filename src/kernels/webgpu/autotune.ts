// Matmul kernel choice per adapter. Each adapter has a default (software adapters and GPUs want
// different kernels); the tuner times a few candidates once per adapter on a representative size
// per size class and caches the winner, keyed by the adapter and the class, in the platform's store:
//   Node: $XDG_CACHE_HOME/finetorch/autotune.json (else ~/.cache/finetorch/autotune.json)
//   a browser: IndexedDB (else localStorage), so a page does not re-time on every load
// FINETORCH_AUTOTUNE=0 disables tuning and the cache (the defaults are used); FINETORCH_AUTOTUNE=force
// re-tunes even when a choice is cached. Under vitest (VITEST set) it is off unless asked for, so
// tests run the defaults and never time anything.
import { platform, type TuneCacheEntry } from '../../platform/platform.js';
import type { MatmulArgs, View } from '../backend.js';
import {
  encodeMatmul,
  formatMatmulConfig,
  GPU_TILE,
  parseMatmulConfig,
  planPacked,
  SOFTWARE_PACKED,
  SOFTWARE_SG,
  SOFTWARE_TILE,
  sgFits,
  type MatmulConfig,
  type TileConfig,
} from './matmul/index.js';
import type { AdapterInfo, Runtime } from './runtime.js';

/** Small products (a 64×784 @ 784×256 layer) and large ones (~400³ and up) want different kernels:
 *  on llvmpipe the packed kernel's two extra passes cost more than they save around 256³ (0.95× the
 *  unpacked kernel) and win above (512³ 1.1×, 1024³ 1.2×, 2048³ 1.45×). */
export type SizeClass = 'small' | 'large';
export const SIZE_CLASSES: readonly SizeClass[] = ['small', 'large'];
export function sizeClass(g: Pick<MatmulArgs, 'batch' | 'm' | 'n' | 'k'>): SizeClass {
  return g.batch * g.m * g.n * g.k < 2 ** 26 ? 'small' : 'large';
}
/** The shape each class is timed on (large: well inside the class, where its kernels differ). */
export const REPRESENTATIVE: Record<SizeClass, { m: number; n: number; k: number }> = {
  small: { m: 64, n: 256, k: 512 },
  large: { m: 1024, n: 1024, k: 1024 },
};

/** What the backend runs: a config per size class, and the tile config for shapes the subgroup
 *  kernel cannot take. */
export interface MatmulChoice {
  config: Record<SizeClass, MatmulConfig>;
  tile: TileConfig;
  source: 'default' | 'cache' | 'tuned';
}

/** Default per adapter: on software adapters that have subgroups, the subgroup kernel for small
 *  products and the packed one for large ones (see SizeClass). */
export function defaultMatmulChoice(info: AdapterInfo): MatmulChoice {
  const tile = info.isSoftware ? SOFTWARE_TILE : GPU_TILE;
  const sg = info.isSoftware && sgUsable(info, SOFTWARE_SG);
  const small: MatmulConfig = sg ? SOFTWARE_SG : tile;
  const large: MatmulConfig = sg && sgUsable(info, SOFTWARE_PACKED) ? SOFTWARE_PACKED : small;
  return { config: { small, large }, tile, source: 'default' };
}

const probe = { batch: 1, m: 64, n: 64, k: 64, transA: false, transB: false, strideA: 0, strideB: 0 };
const sgUsable = (info: AdapterInfo, c: MatmulConfig) =>
  c.kind === 'tile' ||
  (c.kind === 'subgroup'
    ? sgFits(probe, 0, 0, c, info.subgroupSize)
    : planPacked(probe, 0, 0, c, info.subgroupSize, info.limits) !== null);

/** The configs the tuner times on this adapter (only ones its limits allow). */
export function matmulCandidates(info: AdapterInfo): MatmulConfig[] {
  const sg = info.isSoftware && sgUsable(info, SOFTWARE_SG);
  const list = sg
    ? // the front-runners on llvmpipe among 16-64 rows × 4-12 columns per lane, unpacked and packed
      // (each compiles for seconds there, so the list stays short): 32×4 unpacked for small products,
      // packed 32×4 or 64×4 (the latter ahead with 16 lanes) for large ones
      ['sg:32x1x1', 'pk:32x1', 'pk:64x1']
    : info.isSoftware
      ? ['tile:8x8x8x1', 'tile:4x4x8x1', 'tile:8x4x8x1', 'tile:4x8x8x1', 'tile:8x8x16x1']
      : [
          'tile:4x4x16x16',
          'tile:4x4x8x8',
          'tile:8x4x16x8',
          'tile:4x8x8x16',
          'tile:8x8x8x8',
          'tile:4x4x32x4',
          'tile:8x8x16x16',
        ];
  const L = info.limits;
  return list
    .map(parseMatmulConfig)
    .filter((c) =>
      c.kind !== 'tile'
        ? sgUsable(info, c)
        : c.wgx <= L.maxComputeWorkgroupSizeX && c.wgx * c.wgy <= L.maxComputeInvocationsPerWorkgroup,
    );
}

export function autotuneMode(): 'off' | 'on' | 'force' {
  const env = platform().env;
  const v = (env('FINETORCH_AUTOTUNE') ?? '').trim().toLowerCase();
  if (v === '0' || v === 'off' || v === 'false' || v === 'no') return 'off';
  if (!v && env('VITEST')) return 'off';
  return v === 'force' ? 'force' : 'on';
}

/** Where the cache lives (a file path in Node), for messages. */
export function cachePath(): string {
  return platform().tuneCache.where;
}

/** The cache key: adapter identity (with its backend and subgroup size), kernel, size class.
 *  'matmul2': choices cached before the packed kernel and the current class boundary are ignored. */
export function cacheKey(info: AdapterInfo, cls: SizeClass): string {
  return [
    info.vendor,
    info.architecture,
    info.device,
    info.description,
    info.backend,
    `sg${info.subgroupSize}`,
    'matmul2',
    cls,
  ].join('|');
}

export type CacheEntry = TuneCacheEntry;

export const readCache = (): Record<string, CacheEntry> => platform().tuneCache.read();
/** Merge `entries` into the cache (a failure is a warning: the next start tunes again). */
export const writeCache = (entries: Record<string, CacheEntry>): void => platform().tuneCache.write(entries);

/** The defaults overlaid with this adapter's cached choices (nothing is timed). */
export function cachedMatmulChoice(info: AdapterInfo): MatmulChoice {
  const choice = defaultMatmulChoice(info);
  if (autotuneMode() === 'off') return choice;
  const cache = readCache();
  for (const cls of SIZE_CLASSES) {
    const e = cache[cacheKey(info, cls)];
    if (!e) continue;
    try {
      const c = parseMatmulConfig(e.config);
      if (sgUsable(info, c)) {
        choice.config[cls] = c;
        choice.source = 'cache';
      }
    } catch {
      // an entry from another version: ignore it
    }
  }
  return choice;
}

/** Whether every size class has a cached choice for this adapter. */
export function isTuned(info: AdapterInfo): boolean {
  const cache = readCache();
  return SIZE_CLASSES.every((cls) => cacheKey(info, cls) in cache);
}

/** One timing sample: ms for one call of `config` on `shape`, completion included. Tests inject a
 *  fake one. */
export type MatmulTimer = (config: MatmulConfig, shape: { m: number; n: number; k: number }) => Promise<number>;

export interface TuneOptions {
  /** timing function; default: wall time from recording to completion */
  timer?: MatmulTimer;
  candidates?: MatmulConfig[];
  /** samples per candidate after one warm-up call (default 5), taken round-robin across the
   *  candidates so a change in background load does not favour whichever ran first */
  runs?: number;
  /** write the winners to the cache file (default true) */
  save?: boolean;
  /** print one line per class to stderr */
  log?: boolean;
}

export interface TuneReport {
  choice: MatmulChoice;
  /** ms per config (formatted) per size class; rejected configs are absent */
  ms: Record<SizeClass, Record<string, number>>;
  rejected: { config: string; reason: string }[];
}

const view = (buf: GPUBuffer, length: number): View => ({
  storage: { device: 'webgpu', dtype: 'float32', length, refs: 1, released: false, handle: buf },
  shape: [length],
  strides: [1],
  offset: 0,
  dtype: 'float32',
});

function fill(len: number, seed: number): Float32Array {
  const x = new Float32Array(len);
  let s = seed;
  for (let i = 0; i < len; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] = (s / 2 ** 32) * 2 - 1;
  }
  return x;
}

/** Run `config` on a small shape with edge tiles and compare with a host product. */
async function validate(rt: Runtime, config: MatmulConfig, tile: TileConfig): Promise<string | null> {
  const m = 44,
    n = 36,
    k = 40;
  const a = fill(m * k, 1),
    b = fill(k * n, 2);
  const A = rt.createBuffer(a.byteLength),
    B = rt.createBuffer(b.byteLength),
    O = rt.createBuffer(m * n * 4);
  try {
    rt.upload(A, a);
    rt.upload(B, b);
    const g: MatmulArgs = { batch: 1, m, n, k, transA: false, transB: false, strideA: 0, strideB: 0 };
    encodeMatmul(rt, view(A, a.length), view(B, b.length), g, O, config, tile);
    const got = new Float32Array(await rt.read(O, 0, m * n * 4));
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
        const v = got[i * n + j];
        if (!(Math.abs(v - s) <= 1e-4 + 1e-4 * Math.abs(s))) return `wrong result at [${i}, ${j}]: ${v}, expected ${s}`;
      }
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  } finally {
    rt.releaseBuffer(A);
    rt.releaseBuffer(B);
    rt.releaseBuffer(O);
  }
}

/** The default timer: wall time from recording to completion (onSubmittedWorkDone, no readback).
 *  Operands are allocated once per shape and kept for the process (12 MB for the large class). */
export function wallTimer(rt: Runtime, tile: TileConfig): MatmulTimer {
  const operands = new Map<string, { A: View; B: View; O: GPUBuffer }>();
  return async (config, { m, n, k }) => {
    const key = `${m}x${n}x${k}`;
    let ops = operands.get(key);
    if (!ops) {
      const A = rt.createBuffer(m * k * 4),
        B = rt.createBuffer(k * n * 4),
        O = rt.createBuffer(m * n * 4);
      rt.upload(A, fill(m * k, 3));
      rt.upload(B, fill(k * n, 4));
      ops = { A: view(A, m * k), B: view(B, k * n), O };
      operands.set(key, ops);
    }
    const g: MatmulArgs = { batch: 1, m, n, k, transA: false, transB: false, strideA: 0, strideB: 0 };
    await rt.sync();
    const t0 = performance.now();
    encodeMatmul(rt, ops.A, ops.B, g, ops.O, config, tile);
    await rt.sync();
    return performance.now() - t0;
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Time the candidates per size class, pick the fastest correct one, cache it. */
export async function tuneMatmul(rt: Runtime, opts: TuneOptions = {}): Promise<TuneReport> {
  const info = rt.info;
  const choice = defaultMatmulChoice(info);
  const candidates = opts.candidates ?? matmulCandidates(info);
  const timer = opts.timer ?? wallTimer(rt, choice.tile);
  const runs = Math.max(1, opts.runs ?? 5);
  const rejected: TuneReport['rejected'] = [];
  const valid: MatmulConfig[] = [];
  for (const c of candidates) {
    const why = await validate(rt, c, choice.tile);
    if (why) rejected.push({ config: formatMatmulConfig(c), reason: why });
    else valid.push(c);
  }
  const ms = { small: {}, large: {} } as TuneReport['ms'];
  const entries: Record<string, CacheEntry> = {};
  for (const cls of SIZE_CLASSES) {
    const shape = REPRESENTATIVE[cls];
    const samples = valid.map(() => [] as number[]);
    for (const c of valid) await timer(c, shape); // warm-up: pipeline compilation
    for (let r = 0; r < runs; r++) for (let i = 0; i < valid.length; i++) samples[i].push(await timer(valid[i], shape));
    let best: MatmulConfig | null = null,
      bestMs = Infinity;
    for (let i = 0; i < valid.length; i++) {
      const t = median(samples[i]);
      ms[cls][formatMatmulConfig(valid[i])] = t;
      if (t < bestMs) {
        best = valid[i];
        bestMs = t;
      }
    }
    if (!best) continue;
    choice.config[cls] = best;
    choice.source = 'tuned';
    entries[cacheKey(info, cls)] = { config: formatMatmulConfig(best), ms: ms[cls], at: new Date().toISOString() };
    if (opts.log) {
      const { m, n, k } = REPRESENTATIVE[cls];
      console.warn(
        `finetorch: matmul ${cls} (${m}×${k} @ ${k}×${n}) on ${info.description}: ${formatMatmulConfig(best)}, ${bestMs.toFixed(2)} ms`,
      );
    }
  }
  if (opts.save !== false && Object.keys(entries).length) writeCache(entries);
  return { choice, ms, rejected };
}

/**
 * The choice the backend starts with: FINETORCH_AUTOTUNE=0 → defaults; a cached choice → it;
 * otherwise tune now (once per adapter, a few seconds on a software adapter) and cache.
 */
export async function prepareMatmulChoice(rt: Runtime): Promise<MatmulChoice> {
  const mode = autotuneMode();
  if (mode === 'off') return defaultMatmulChoice(rt.info);
  if (mode === 'on' && isTuned(rt.info)) return cachedMatmulChoice(rt.info);
  console.warn(
    `finetorch: timing matmul kernels for ${rt.info.description} (once per adapter, cached in ${cachePath()}; FINETORCH_AUTOTUNE=0 skips)`,
  );
  return (await tuneMatmul(rt, { log: true })).choice;
}
