// The fuzz test's generators, shared with ad-hoc audits: a seeded random source, mutations of a
// file (truncation, bit flips, random bytes), and hostile files with random parameters.
import {
  collidingKeysPth,
  cyclicPth,
  deepArray,
  deepObject,
  laughsPth,
  manyViewsPth,
  safetensorsWith,
  stateDictWithBomb,
  viewPth,
} from './hostile.js';
import { OP, pk, pthBytes, readFixture, str } from './util.js';

/** mulberry32: a small seeded generator, so a failure can be replayed */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mutate(src: Uint8Array, r: () => number, region: [number, number] = [0, src.length]): Uint8Array {
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

/** a hostile file with random parameters */
export function hostile(r: () => number): Uint8Array {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const big = () => pick([0, 1, 2, 3, 255, 2 ** 16, 2 ** 26, 2 ** 31 - 1, 2 ** 31, 2 ** 33, 2 ** 52, 2 ** 53 - 1]);
  switch (Math.floor(r() * 9)) {
    case 0:
      return laughsPth(1 + Math.floor(r() * 64), r() < 0.5);
    case 1:
      return stateDictWithBomb(1 + Math.floor(r() * 64), r() < 0.5);
    case 2:
      return pick([cyclicPth, collidingKeysPth])();
    case 3: {
      // huge shapes and strides
      const rank = 1 + Math.floor(r() * 3);
      return viewPth(
        Array.from({ length: rank }, big),
        Array.from({ length: rank }, () => pick([0, 1, big()])),
        1 + Math.floor(r() * 64),
        Math.floor(r() * 4),
      );
    }
    case 4:
      return manyViewsPth(1 + Math.floor(r() * 50), pick([1, 2 ** 10, 2 ** 20, 2 ** 22]));
    case 5: {
      // deep nesting in a safetensors header
      const depth = pick([3, 15, 16, 17, 1000, 100_000]);
      return safetensorsWith(
        pick(['dtype', 'shape', 'data_offsets', '__metadata__', 'entry'] as const),
        r() < 0.5 ? deepArray(depth) : deepObject(depth),
      );
    }
    case 6: {
      // deep nesting in a pickle: lists, or dicts each under the key 'k'
      const depth = pick([10, 999, 1000, 1001, 50_000]);
      const lists = r() < 0.5;
      const open = lists ? [OP.EMPTY_LIST] : [...str('k'), OP.EMPTY_DICT];
      const out: number[] = [...OP.PROTO2, lists ? OP.EMPTY_LIST : OP.EMPTY_DICT];
      for (let i = 0; i < depth; i++) for (const b of open) out.push(b);
      for (let i = 0; i < depth; i++) out.push(lists ? OP.APPEND : 0x73);
      out.push(OP.STOP);
      return pthBytes(new Uint8Array(out));
    }
    case 7: {
      // lying length fields: the safetensors header length, a pickle string length
      if (r() < 0.5) {
        const f = safetensorsWith('dtype', '"F32"');
        new DataView(f.buffer).setBigUint64(0, BigInt(big()), true);
        return f;
      }
      const n = big() >>> 0;
      return pthBytes(pk(...OP.PROTO2, 0x58, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24, 0x41, OP.STOP));
    }
    default: {
      // lying zip fields: sizes, offsets, name and extra lengths of a central directory record
      const f = readFixture('state_dict.pth').slice();
      const dv = new DataView(f.buffer);
      const cds: number[] = [];
      for (let o = 0; o + 4 <= f.length; o++) if (dv.getUint32(o, true) === 0x02014b50) cds.push(o);
      const field = pick([20, 24, 28, 30, 32, 42]);
      if (field >= 28 && field <= 32) dv.setUint16(pick(cds) + field, big() & 0xffff, true);
      else dv.setUint32(pick(cds) + field, big() >>> 0, true);
      return f;
    }
  }
}
