// Seeded fuzzing of the readers: random truncations and byte flips of valid files (whole files,
// safetensors headers, and pickles re-zipped with a valid CRC so the unpickler itself is fuzzed),
// then hostile structures with random parameters (shared-reference bombs, huge shapes and strides,
// deep nesting, lying length fields) and flips of those. Every case must either load or throw a
// CheckpointError: never a hang, never another error. A loaded value is also walked, inspected and
// saved again, since those walks are where a shared or cyclic graph would blow up.
import { describe, expect, it } from 'vitest';
import { inspectCheckpoint, load, serializeCheckpoint } from '../../src/io/index.js';
import { walkLoaded } from '../../src/io/walk.js';
import { ZipReader } from '../../src/io/zip.js';
import { torch } from '../harness.js';
import { hostile, mutate, rng } from './fuzz-gen.js';
import { safetensorsBytes } from './hostile.js';
import { pthBytes, readFixture } from './util.js';

async function survive(bytes: Uint8Array, what: string, deep = false): Promise<'loaded' | 'refused'> {
  try {
    if (deep) inspectCheckpoint(bytes);
    const v = await load(bytes);
    if (deep) {
      walkLoaded(v, () => undefined);
      await serializeCheckpoint(v, 'pth');
    }
    disposeAll(v);
    return 'loaded';
  } catch (e) {
    if (!(e instanceof torch.CheckpointError))
      throw new Error(`${what}: ${(e as Error).name}: ${(e as Error).message}`);
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
    const files = ['state_dict.pth', 'checkpoint.pth', 'dtypes.pth', 'views.pth', 'dtypes.safetensors'].map(
      (f) => [f, readFixture(f)] as const,
    );
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
      for (const name of zip.entries.keys())
        if (name.startsWith(`${prefix}/data/`)) records[name.slice(prefix.length + 6)] = zip.read(name);
      for (let i = 0; i < 100; i++)
        outcome[await survive(pthBytes(mutate(pkl, r), records, prefix), `${file} pickle case ${i}`)]++;
    }
    expect(outcome.refused).toBeGreaterThan(100);
    expect(outcome.loaded).toBeGreaterThan(0);
  });
});

describe('fuzz: hostile structures (seeded)', () => {
  it('reference bombs, cycles, huge views, deep nesting, lying lengths — and flips of them', async () => {
    const r = rng(2024);
    const outcome = { loaded: 0, refused: 0 };
    for (let i = 0; i < 160; i++) {
      const f = hostile(r);
      outcome[await survive(f, `hostile case ${i}`, true)]++;
      outcome[await survive(mutate(f, r), `hostile case ${i}, mutated`, true)]++;
    }
    expect(outcome.refused).toBeGreaterThan(100);
    expect(outcome.loaded).toBeGreaterThan(20);
  });
  it('safetensors: duplicate keys, long values and random header bytes', async () => {
    const r = rng(5);
    const outcome = { loaded: 0, refused: 0 };
    const entry = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
    const base = [
      safetensorsBytes(`{"w":${entry},"w":${entry}}`, new Uint8Array(4)),
      safetensorsBytes(`{"__metadata__":{"a":"${'x'.repeat(5000)}"},"w":${entry}}`, new Uint8Array(4)),
      safetensorsBytes(`{"w":${entry}}`, new Uint8Array(4)),
    ];
    for (let i = 0; i < 150; i++) {
      const src = base[i % base.length];
      const hlen = Number(new DataView(src.buffer).getBigUint64(0, true));
      outcome[await survive(mutate(src, r, [8, 8 + hlen]), `safetensors case ${i}`, true)]++;
    }
    expect(outcome.refused).toBeGreaterThan(50);
  });
});
