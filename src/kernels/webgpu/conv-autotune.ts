// Conv forward tile choice per adapter, the twin of the matmul tuner (autotune.ts: same cache file,
// same FINETORCH_AUTOTUNE switch, off under vitest). The forward kernel also runs every input
// gradient, so this choice covers two of a convolution's three passes. Per output-width class it
// times a few (tm, rows, wg) candidates on one representative 3×3 convolution, round-robin so a
// change in background load favours none, and caches the fastest.
import { ArgumentError } from '../../errors.js';
import { platform } from '../../platform/platform.js';
import { autotuneMode, cachePath, readCache, writeCache, type CacheEntry } from './autotune.js';
import {
  CONV_CLASSES,
  convForward,
  convOptions,
  defaultConvTile,
  setConvTiles,
  type ConvClass,
  type ConvTile,
} from './conv.js';
import type { Conv2dArgs, View } from '../backend.js';
import type { AdapterInfo, Runtime } from './runtime.js';

/** The shape each class is timed on: ResNet's first stage at 32×32 and its third at 8×8. */
const REPRESENTATIVE: Record<ConvClass, { n: number; c: number; hw: number }> = {
  wide: { n: 8, c: 64, hw: 32 },
  narrow: { n: 16, c: 256, hw: 8 },
};

export const convCacheKey = (info: AdapterInfo, cls: ConvClass) =>
  [
    info.vendor,
    info.architecture,
    info.device,
    info.description,
    info.backend,
    `sg${info.subgroupSize}`,
    'conv_fwd',
    cls,
  ].join('|');

export const formatConvTile = (t: ConvTile) => `${t.tm}x${t.rows}x${t.wg}`;
export function parseConvTile(s: string): ConvTile {
  const m = /^(4|8)x([1-8])x(\d+)$/.exec(s);
  if (!m) throw new ArgumentError(`not a conv tile: '${s.slice(0, 40)}' (expected TMxROWSxWG, e.g. 8x4x8)`);
  return { tm: Number(m[1]), rows: Number(m[2]), wg: Number(m[3]) };
}

/** The candidates timed on this adapter: the default first, then the runners-up of a sweep
 *  (bench/kernels/conv-tiles.ts) on llvmpipe, or GPU-sized groups. Few: each compiles a pipeline. */
export function convCandidates(info: AdapterInfo): ConvTile[] {
  const list = info.isSoftware ? ['8x4x8', '8x4x16', '4x4x8'] : ['8x4x64', '4x4x64', '8x2x128', '4x2x256'];
  const maxWg = info.limits.maxComputeInvocationsPerWorkgroup;
  return list.map(parseConvTile).filter((t) => t.wg <= maxWg && t.wg <= info.limits.maxComputeWorkgroupSizeX);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function fill(len: number): Float32Array {
  const x = new Float32Array(len);
  let s = 7;
  for (let i = 0; i < len; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] = (s / 2 ** 32) * 2 - 1;
  }
  return x;
}
const view = (b: GPUBuffer, shape: number[]): View => ({
  storage: {
    device: 'webgpu',
    dtype: 'float32',
    length: shape.reduce((p, q) => p * q, 1),
    refs: 1,
    released: false,
    handle: b,
  },
  shape,
  strides: shape.map((_, i) => shape.slice(i + 1).reduce((p, q) => p * q, 1)),
  offset: 0,
  dtype: 'float32',
});

export interface ConvTuneReport {
  tiles: Record<ConvClass, ConvTile>;
  ms: Record<ConvClass, Record<string, number>>;
}

/** Time the candidates per class on `rt`, cache the winners (unless save is false), return them. */
export interface ConvTuneOptions {
  candidates?: ConvTile[];
  /** samples per candidate after one warm-up call (default 5) */
  runs?: number;
  /** write the winners to the cache file (default true) */
  save?: boolean;
  /** print one line per class to stderr */
  log?: boolean;
  /** ms of one timed call; default: wall time of a forward on the class's shape. Tests inject a fake
   *  (after the real call, which still runs once per candidate as the warm-up). */
  timer?: (t: ConvTile, cls: ConvClass) => Promise<number>;
}

export async function tuneConv(rt: Runtime, opts: ConvTuneOptions = {}): Promise<ConvTuneReport> {
  const info = rt.info;
  const cands = opts.candidates ?? convCandidates(info);
  const runs = Math.max(1, opts.runs ?? 5);
  const tiles = { wide: defaultConvTile(info.isSoftware), narrow: defaultConvTile(info.isSoftware) };
  const ms = { wide: {}, narrow: {} } as ConvTuneReport['ms'];
  const entries: Record<string, CacheEntry> = {};
  for (const cls of CONV_CLASSES) {
    const { n, c, hw } = REPRESENTATIVE[cls];
    const a: Conv2dArgs = {
      n,
      cIn: c,
      h: hw,
      w: hw,
      cOut: c,
      kh: 3,
      kw: 3,
      oh: hw,
      ow: hw,
      strideH: 1,
      strideW: 1,
      padH: 1,
      padW: 1,
      dilH: 1,
      dilW: 1,
      groups: 1,
    };
    const X = rt.createBuffer(n * c * hw * hw * 4),
      W = rt.createBuffer(c * c * 9 * 4);
    rt.upload(X, fill(n * c * hw * hw));
    rt.upload(W, fill(c * c * 9));
    const once = async (t: ConvTile) => {
      convOptions.fwd = t;
      await rt.sync();
      const t0 = performance.now();
      // (3×3 on 8+ columns: the tiled kernel, no matmul involved)
      const out = convForward(rt, view(X, [n, c, hw, hw]), view(W, [c, c, 3, 3]), null, a);
      await rt.sync();
      const ms = performance.now() - t0;
      rt.releaseBuffer(out);
      // a pipeline the device rejected reports through an error scope that resolves a turn later
      await platform().nextTask();
      rt.checkErrors();
      return ms;
    };
    const ok: ConvTile[] = [];
    const samples: number[][] = [];
    try {
      // warm-up (pipeline compilation); a candidate this device rejects is dropped
      for (const t of cands) {
        try {
          await once(t);
          ok.push(t);
          samples.push([]);
        } catch (e) {
          if (opts.log)
            console.warn(`finetorch: conv tile ${formatConvTile(t)} failed: ${(e as Error).message.split('\n')[0]}`);
        }
      }
      const timed = opts.timer ? (t: ConvTile) => opts.timer!(t, cls) : once;
      for (let r = 0; r < runs; r++) for (const [i, t] of ok.entries()) samples[i].push(await timed(t));
    } finally {
      convOptions.fwd = undefined;
      rt.releaseBuffer(X);
      rt.releaseBuffer(W);
    }
    if (!ok.length) continue;
    let best = 0;
    ok.forEach((t, i) => {
      ms[cls][formatConvTile(t)] = median(samples[i]);
      if (median(samples[i]) < median(samples[best])) best = i;
    });
    tiles[cls] = ok[best];
    entries[convCacheKey(info, cls)] = { config: formatConvTile(ok[best]), ms: ms[cls], at: new Date().toISOString() };
    if (opts.log)
      console.warn(
        `finetorch: conv forward ${cls} (${n}×${c}×${hw}×${hw}, 3×3) on ${info.description}: ${formatConvTile(ok[best])}, ${median(samples[best]).toFixed(1)} ms`,
      );
  }
  if (opts.save !== false) writeCache(entries);
  return { tiles, ms };
}

/** This adapter's cached choice per class (the defaults where none is cached); null when not every class is cached. */
export function cachedConvTiles(info: AdapterInfo): Record<ConvClass, ConvTile> | null {
  const cache = readCache();
  const out = {} as Record<ConvClass, ConvTile>;
  for (const cls of CONV_CLASSES) {
    const e = cache[convCacheKey(info, cls)];
    if (!e) return null;
    try {
      out[cls] = parseConvTile(e.config);
    } catch {
      return null; /* an entry from another version: tune again */
    }
  }
  return out;
}

/**
 * Install the tiles `rt` runs with: FINETORCH_AUTOTUNE=0 → the defaults; a cached choice → it;
 * otherwise tune now (once per adapter, seconds on a software adapter) and cache.
 */
export async function prepareConvTiles(rt: Runtime): Promise<void> {
  const mode = autotuneMode();
  if (mode === 'off') return;
  const cached = mode === 'on' ? cachedConvTiles(rt.info) : null;
  if (cached) {
    setConvTiles(rt, cached);
    return;
  }
  console.warn(
    `finetorch: timing conv kernels for ${rt.info.description} (once per adapter, cached in ${cachePath()}; FINETORCH_AUTOTUNE=0 skips)`,
  );
  try {
    setConvTiles(rt, (await tuneConv(rt, { log: true })).tiles);
  } catch (e) {
    // tuning is an optimisation: a device that cannot run the timing shapes keeps the defaults
    console.warn(`finetorch: conv tuning failed (${(e as Error).message.split('\n')[0]}); using the default tiles`);
  }
}
