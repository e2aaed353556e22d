// Hostile safetensors headers: values nested 100k deep in every field (quoting them must not
// overflow the stack), a 100k-deep header (refused before JSON.parse), long values (quoted at most
// ~100 characters), and duplicate keys (JSON.parse keeps the last; the reference reader refuses).
import { describe, expect, it } from 'vitest';
import { load, parseSafetensorsHeader } from '../../src/io/index.js';
import { torch } from '../harness.js';
import { deepArray, deepObject, safetensorsBytes, safetensorsWith } from './hostile.js';
import { f32bytes } from './util.js';

/** the CheckpointError message of `f`, failing on any other outcome */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(torch.CheckpointError);
    return (e as Error).message;
  }
  throw new Error('expected a CheckpointError');
}

describe('deep nesting', () => {
  const D = 100_000;
  for (const field of ['dtype', 'shape', 'data_offsets', '__metadata__', 'entry'] as const) {
    for (const [kind, json] of [
      ['arrays', deepArray(D)],
      ['objects', deepObject(D)],
    ] as const) {
      it(`${field}: ${kind} ${D} deep are refused by a typed error with a short message`, () => {
        const msg = refusal(() => parseSafetensorsHeader(safetensorsWith(field, json)));
        expect(msg).toMatch(/nests objects and arrays more than 16 deep/);
        expect(msg.length).toBeLessThan(300);
      });
    }
  }
  it('the whole header 100k deep', () => {
    expect(refusal(() => parseSafetensorsHeader(safetensorsBytes(deepArray(D))))).toMatch(
      /more than 16 deep \(at character 16 of the header\)/,
    );
  });
  it('nesting within the limit but of the wrong type is named without JSON.stringify of the value', () => {
    expect(refusal(() => parseSafetensorsHeader(safetensorsWith('dtype', deepArray(10))))).toMatch(
      /"w" has unknown dtype an array of 1 \(supported/,
    );
    expect(refusal(() => parseSafetensorsHeader(safetensorsWith('shape', deepArray(10))))).toMatch(
      /"w" has an invalid shape an array of 1 /,
    );
    expect(refusal(() => parseSafetensorsHeader(safetensorsWith('__metadata__', deepObject(10))))).toMatch(
      /__metadata__ value for "k" is an object with 1 keys, not a string/,
    );
  });
});

describe('long values are quoted shortly', () => {
  const long = 'x'.repeat(1_000_000);
  it('a 1 MB dtype, tensor name, metadata key', () => {
    for (const file of [
      safetensorsWith('dtype', JSON.stringify(long)),
      safetensorsBytes(`{${JSON.stringify(long)}:{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, f32bytes([1, 2])),
      safetensorsBytes(`{"__metadata__":{${JSON.stringify(long)}:1}}`),
    ]) {
      const msg = refusal(() => parseSafetensorsHeader(file));
      expect(msg.length).toBeLessThan(400);
      expect(msg).toMatch(/"x{100}…/);
    }
  });
});

describe('duplicate keys are refused, as by the reference reader', () => {
  const entry = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
  it('two tensors with one name', async () => {
    const file = safetensorsBytes(
      `{"w":${entry},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`,
      f32bytes([1, 2]),
    );
    await expect(load(file)).rejects.toThrow(
      /has the key "w" more than once \(again at character \d+ of the header\); duplicate keys are refused/,
    );
  });
  it('spelled differently ("w" and "\\u0077")', () => {
    expect(
      refusal(() => parseSafetensorsHeader(safetensorsBytes(`{"w":${entry},"\\u0077":${entry}}`, f32bytes([1])))),
    ).toMatch(/key "w" more than once/);
  });
  it('inside an entry, and in __metadata__', () => {
    expect(
      refusal(() =>
        parseSafetensorsHeader(
          safetensorsBytes('{"w":{"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]}}', f32bytes([1])),
        ),
      ),
    ).toMatch(/key "dtype" more than once/);
    expect(
      refusal(() =>
        parseSafetensorsHeader(safetensorsBytes(`{"__metadata__":{"a":"1","a":"2"},"w":${entry}}`, f32bytes([1]))),
      ),
    ).toMatch(/key "a" more than once/);
  });
  it('the same key in different objects, and key-like strings in values, are fine', () => {
    const h = parseSafetensorsHeader(
      safetensorsBytes(
        `{"__metadata__":{"w":"w","x":"{\\"w\\":1,\\"w\\":2}"},"w":${entry},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`,
        f32bytes([1, 2]),
      ),
    );
    expect([...h.entries.keys()]).toEqual(['w', 'x']);
    expect(h.metadata).toEqual({ w: 'w', x: '{"w":1,"w":2}' });
  });
});
