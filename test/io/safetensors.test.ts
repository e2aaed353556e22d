// safetensors: every dtype of a file written to the reference layout, the writer's byte layout
// against the reference implementation's own test vectors, and hostile headers.
import { describe, expect, it } from 'vitest';
import { loadSafetensors, parseSafetensorsHeader, referenceOrder, saveSafetensors } from '../../src/io/safetensors.js';
import { eachDevice, torch } from '../harness.js';
import { expected, expectExact, readFixture } from './util.js';

const te = new TextEncoder();
/** A safetensors file from a header object (or raw header text) and a data section. */
function st(header: object | string, data: Uint8Array | number = 0): Uint8Array {
  const h = te.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(body, 8 + h.length);
  return out;
}
const err = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(torch.CheckpointError);
    return (e as Error).message;
  }
  throw new Error('expected a CheckpointError');
};

eachDevice((device) => {
  it('every dtype loads exactly (floats → float32, integers → int32, BOOL → bool) with metadata', async () => {
    const { tensors, metadata } = loadSafetensors(readFixture('dtypes.safetensors'), { device });
    const e = expected['dtypes.safetensors'];
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(e.tensors).sort());
    for (const [k, t] of Object.entries(tensors)) {
      expect(t.device).toBe(device);
      await expectExact(t, e.tensors[k], k);
    }
    expect(metadata).toEqual(e.other);
  });
  it('round-trips through the writer on this device', async () => {
    const a = torch.tensor(
      [
        [1.5, -2],
        [Infinity, -0],
      ],
      { device },
    );
    const b = torch.tensor(new Int32Array([-7, 2 ** 31 - 1]), { device });
    const c = torch.tensor([true, false, true], { device });
    const back = loadSafetensors(await saveSafetensors({ a, b, c }, { k: 'v' }), { device });
    expect(back.metadata).toEqual({ k: 'v' });
    expect(await back.tensors.a.tolist()).toEqual([
      [1.5, -2],
      [Infinity, -0],
    ]);
    expect(Object.is((await back.tensors.a.data())[3], -0)).toBe(true);
    expect(await back.tensors.b.tolist()).toEqual([-7, 2 ** 31 - 1]);
    expect(back.tensors.c.dtype).toBe('bool');
    expect(await back.tensors.c.tolist()).toEqual([true, false, true]);
  });
});

describe('safetensors writer follows the reference implementation', () => {
  it('matches its serialization test vector byte for byte', async () => {
    // huggingface/safetensors tensor.rs test_serialization: {"attn.0": F32 [1,2,3] = 0..5}
    const out = await saveSafetensors({
      'attn.0': torch.tensor([
        [
          [0, 1, 2],
          [3, 4, 5],
        ],
      ]),
    });
    const want = [
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34,
      70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95,
      111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0,
      64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ];
    expect(Array.from(out)).toEqual(want);
  });
  it('pads the header with spaces to 8 bytes (test_empty and test_serialization_forced_alignement vectors)', async () => {
    expect(Array.from(await saveSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const meta = await saveSafetensors({}, { framework: 'pt' });
    expect(meta[0]).toBe(40);
    expect(new TextDecoder().decode(meta.subarray(8))).toBe('{"__metadata__":{"framework":"pt"}}     ');
    const forced = await saveSafetensors({
      attn0: torch.tensor([
        [
          [
            [0, 1, 2],
            [3, 4, 5],
          ],
        ],
      ]),
    });
    expect(forced[0]).toBe(72);
    expect(Array.from(forced.subarray(8 + 65, 8 + 72))).toEqual([32, 32, 32, 32, 32, 32, 32]);
  });
  it('orders keys by dtype (descending, the reference enum) then by UTF-8 bytes, data 8-byte aligned', async () => {
    const out = await saveSafetensors({
      b: torch.tensor([true]),
      '\uff01': torch.tensor([1]),
      '\u{1f600}': torch.tensor([2]),
      z: torch.tensor(new Int32Array([3])),
      a: torch.tensor([4]),
      '10': torch.tensor([5]),
      '9': torch.tensor([6]),
    });
    const n = Number(new DataView(out.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const json = new TextDecoder().decode(out.subarray(8, 8 + n));
    const keys = [...json.matchAll(/"([^"]+)":\{"dtype"/g)].map((m) => m[1]);
    // JS sorts '\u{1f600}' (a surrogate pair, 0xD83D...) before '\uff01'; UTF-8 bytes put it after
    expect(keys).toEqual(['10', '9', 'a', '\uff01', '\u{1f600}', 'z', 'b']);
    expect(
      referenceOrder([
        { name: 'x', dtype: 'I64' },
        { name: 'a', dtype: 'F64' },
        { name: 'b', dtype: 'BOOL' },
        { name: 'c', dtype: 'F16' },
        { name: 'd', dtype: 'BF16' },
      ]).map((e) => e.name),
    ).toEqual(['x', 'a', 'd', 'c', 'b']);
  });
  it('reads the fixture in the reference order (by data offset)', () => {
    const { entries } = parseSafetensorsHeader(readFixture('dtypes.safetensors'));
    expect([...entries.keys()]).toEqual(expected['dtypes.safetensors'].order);
  });
  it('refuses non-tensors, the reserved name and non-string metadata', async () => {
    await expect(saveSafetensors({ a: 1 as unknown as torch.Tensor })).rejects.toThrow(/not a Tensor/);
    await expect(saveSafetensors({ __metadata__: torch.tensor([1]) })).rejects.toThrow(/reserved/);
    await expect(saveSafetensors({}, { a: 1 as unknown as string })).rejects.toThrow(/strings to strings/);
  });
});

describe('hostile safetensors headers', () => {
  const ok = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  it('a valid file parses (the baseline the cases below break)', () => {
    expect(parseSafetensorsHeader(st(ok, 8)).entries.get('w')!.shape).toEqual([2]);
  });
  it('truncated before the length, inside the header, inside the data', () => {
    const full = st(ok, 8);
    expect(err(() => parseSafetensorsHeader(full.subarray(0, 5)))).toMatch(
      /5 bytes, shorter than the 8-byte header length at offset 0/,
    );
    expect(err(() => parseSafetensorsHeader(full.subarray(0, 20)))).toMatch(/runs past the end of the 20-byte file/);
    expect(err(() => parseSafetensorsHeader(full.subarray(0, full.length - 3)))).toMatch(
      /'?"w"'? data_offsets \[0, 8\] run past the end of the file: the data section starts at file offset \d+ and holds 5 bytes/,
    );
  });
  it('header length beyond the file or the 100 MB limit', () => {
    const big = st(ok, 8);
    new DataView(big.buffer).setBigUint64(0, 2n ** 60n, true);
    expect(err(() => parseSafetensorsHeader(big))).toMatch(/exceeds the 100000000-byte limit/);
    new DataView(big.buffer).setBigUint64(0, 1000n, true);
    expect(err(() => parseSafetensorsHeader(big))).toMatch(/header length 1000 at offset 0 runs past the end/);
  });
  it('offsets out of range, overlapping, leaving gaps or trailing bytes', () => {
    expect(
      err(() => parseSafetensorsHeader(st({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, 8))),
    ).toMatch(/run past the end/);
    expect(
      err(() =>
        parseSafetensorsHeader(
          st(
            {
              a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
              b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
            },
            12,
          ),
        ),
      ),
    ).toMatch(/tensors "a" and "b" overlap at data offset 4 \(file offset \d+\)/);
    expect(err(() => parseSafetensorsHeader(st({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8)))).toMatch(
      /data bytes 0\.\.4 \(file offsets \d+\.\.\d+\) before tensor "a" belong to no tensor/,
    );
    expect(err(() => parseSafetensorsHeader(st(ok, 12)))).toMatch(
      /4 bytes after the last tensor \(file offsets \d+\.\.\d+\)/,
    );
    expect(err(() => parseSafetensorsHeader(st({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, 8)))).toMatch(
      /invalid data_offsets \[8,0\]/,
    );
    expect(
      err(() => parseSafetensorsHeader(st({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 2 ** 60] } }, 8))),
    ).toMatch(/invalid data_offsets|needs 8 bytes/);
  });
  it('shapes whose byte size disagrees, or that overflow', () => {
    expect(err(() => parseSafetensorsHeader(st({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8)))).toMatch(
      /"w" of shape \[3\] and dtype F32 needs 12 bytes but data_offsets \[0, 8\] \(file offsets \d+\.\.\d+\) hold 8/,
    );
    expect(
      err(() =>
        parseSafetensorsHeader(st({ w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, 8)),
      ),
    ).toMatch(/more elements than can be addressed/);
    expect(
      err(() => parseSafetensorsHeader(st({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 8] } }, 8))),
    ).toMatch(/invalid shape \[-1\]/);
    expect(
      err(() =>
        parseSafetensorsHeader(st({ w: { dtype: 'F32', shape: new Array(65).fill(1), data_offsets: [0, 4] } }, 4)),
      ),
    ).toMatch(/at most 64/);
  });
  it('unknown dtypes, bad entries, bad metadata, bad JSON or UTF-8', () => {
    expect(
      err(() => parseSafetensorsHeader(st({ w: { dtype: 'F8_E4M3', shape: [8], data_offsets: [0, 8] } }, 8))),
    ).toMatch(/"w" has unknown dtype "F8_E4M3"/);
    expect(err(() => parseSafetensorsHeader(st({ w: [1, 2] }, 0)))).toMatch(
      /"w" has a header entry that is not an object/,
    );
    expect(err(() => parseSafetensorsHeader(st({ __metadata__: { a: 1 } }, 0)))).toMatch(
      /__metadata__ value for "a" is 1, not a string/,
    );
    expect(err(() => parseSafetensorsHeader(st('[1,2]', 0)))).toMatch(/not a JSON object/);
    expect(err(() => parseSafetensorsHeader(st('{"w": ', 0)))).toMatch(
      /file offsets 8\.\.14\) is not valid UTF-8 JSON/,
    );
    const bad = st('{"\u00e9":1}', 0);
    bad[10] = 0xff;
    expect(err(() => parseSafetensorsHeader(bad))).toMatch(/not valid UTF-8 JSON/);
  });
  it('int64 outside the int32 range names the key, element and file offset; nothing is left behind', () => {
    const data = new Uint8Array(16);
    new DataView(data.buffer).setBigInt64(8, 2n ** 31n, true);
    const before = torch.memory().cpu.liveTensors;
    const file = st(
      {
        a: { dtype: 'F32', shape: [0], data_offsets: [0, 0] },
        ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] },
      },
      data,
    );
    expect(err(() => loadSafetensors(file))).toMatch(
      /"ids" holds int64 value 2147483648 at element 1 \(file offset \d+\), outside the int32 range/,
    );
    expect(torch.memory().cpu.liveTensors).toBe(before);
  });
  it('a tensor named __proto__ is an ordinary key', () => {
    const t = loadSafetensors(st('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4)).tensors;
    expect(Object.keys(t)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(t)).toBe(Object.prototype);
  });
});
