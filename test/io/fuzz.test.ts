// Seeded fuzzing of the readers: random truncations and byte flips of valid files (whole files,
// safetensors headers, and pickles re-zipped with a valid CRC so the unpickler itself is fuzzed).
// Every case must either load or throw a CheckpointError: never a hang, never another error.
import { describe, expect, it } from 'vitest';
import { load } from '../../src/io/index.js';
import { ZipReader } from '../../src/io/zip.js';
import { torch } from '../harness.js';
import { pthBytes, readFixture } from './util.js';

/** mulberry32: a small seeded generator, so a failure can be replayed */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(src: Uint8Array, r: () => number, region: [number, number] = [0, src.length]): Uint8Array {
  const kind = r();
  if (kind < 0.3) return src.slice(0, Math.floor(r() * src.length));
  const out = src.slice();
  const flips = 1 + Math.floor(r() * 4);
  for (let i = 0; i < flips; i++) {
    const at = region[0] + Math.floor(r() * (region[1] - region[0]));
    out[at] = kind < 0.65 ? out[at] ^ (1 << Math.floor(r() * 8)) : Math.floor(r() * 256);
  }
  return out;
}

async function survive(bytes: Uint8Array, what: string): Promise<'loaded' | 'refused'> {
  try {
    const v = await load(bytes);
    disposeAll(v);
    return 'loaded';
  } catch (e) {
    if (!(e instanceof torch.CheckpointError)) throw new Error(`${what}: ${(e as Error).name}: ${(e as Error).message}`);
    return 'refused';
  }
}
function disposeAll(v: unknown, seen = new Set<unknown>()): void {
  if (v instanceof torch.Tensor) return v.dispose();
  if (v && typeof v === 'object' && !seen.has(v)) {
    seen.add(v);
    for (const x of Object.values(v)) disposeAll(x, seen);
  }
}

describe('fuzz (seeded)', () => {
  it('whole .pth and .safetensors files: truncations and byte flips', async () => {
    const r = rng(1234);
    const files = ['state_dict.pth', 'checkpoint.pth', 'dtypes.pth', 'views.pth', 'dtypes.safetensors'].map((f) => [f, readFixture(f)] as const);
    const outcome = { loaded: 0, refused: 0 };
    for (let i = 0; i < 200; i++) {
      const [name, src] = files[i % files.length];
      outcome[await survive(mutate(src, r), `${name} case ${i}`)]++;
    }
    expect(outcome.refused).toBeGreaterThan(100);
  });

  it('safetensors headers: flips inside the JSON', async () => {
    const r = rng(99);
    const src = readFixture('dtypes.safetensors');
    const hlen = Number(new DataView(src.buffer, src.byteOffset).getBigUint64(0, true));
    const outcome = { loaded: 0, refused: 0 };
    for (let i = 0; i < 150; i++) outcome[await survive(mutate(src, r, [0, 8 + hlen]), `header case ${i}`)]++;
    expect(outcome.refused).toBeGreaterThan(50);
  });

  it('pickles: flips and truncations of data.pkl, re-zipped with valid CRCs', async () => {
    const r = rng(7);
    const outcome = { loaded: 0, refused: 0 };
    for (const file of ['checkpoint.pth', 'views.pth', 'shared.pth']) {
      const zip = new ZipReader(readFixture(file));
      const prefix = [...zip.entries.keys()][0].split('/')[0];
      const pkl = zip.read(`${prefix}/data.pkl`);
      const records: Record<string, Uint8Array> = {};
      for (const name of zip.entries.keys()) if (name.startsWith(`${prefix}/data/`)) records[name.slice(prefix.length + 6)] = zip.read(name);
      for (let i = 0; i < 100; i++) outcome[await survive(pthBytes(mutate(pkl, r), records, prefix), `${file} pickle case ${i}`)]++;
    }
    expect(outcome.refused).toBeGreaterThan(100);
    expect(outcome.loaded).toBeGreaterThan(0);
  });
});
