// Helpers for the checkpoint tests: exact comparison against expected.json (written by
// tools/reference/checkpoints.py), and small builders for hand-made pickles and zip archives.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { concat } from '../../src/io/host.js';
import { zipChunks } from '../../src/io/zip.js';
import { fixturesDir, torch } from '../harness.js';

export const ioDir = join(fixturesDir, 'io');
export const readFixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(ioDir, name)));

export interface ExpectedTensor {
  shape: number[];
  dtype: string;
  values: (number | string)[];
  requires_grad: boolean;
}
export interface ExpectedFile {
  tensors: Record<string, ExpectedTensor>;
  other: Record<string, unknown>;
  order?: string[];
}
export const expected: Record<string, ExpectedFile> = JSON.parse(readFileSync(join(ioDir, 'expected.json'), 'utf8'));

/** JSON's stand-ins for values JSON cannot hold */
export function num(v: unknown): unknown {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  if (v === '-0') return -0;
  return v;
}
export function enc(x: number): number | string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0';
  return x;
}

/** Bit-exact: same shape, dtype, and every value (NaN is NaN, -0 is -0; floats as float32). */
export async function expectExact(t: unknown, e: ExpectedTensor, what: string): Promise<void> {
  expect(t, `${what} is a tensor`).toBeInstanceOf(torch.Tensor);
  const x = t as torch.Tensor;
  expect(x.shape, `${what} shape`).toEqual(e.shape);
  expect(x.dtype, `${what} dtype`).toBe(e.dtype);
  expect(x.requiresGrad, `${what} requiresGrad`).toBe(e.requires_grad);
  const got = Array.from(await x.data());
  const want = e.values.map((v) => {
    const n = num(v) as number;
    return e.dtype === 'float32' ? Math.fround(n) : n;
  });
  expect(got.length, `${what} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])))) {
      expect.fail(`${what}[${i}]: got ${got[i]}, expected ${want[i]}`);
    }
  }
}

/** Tensors and plain leaves of a loaded object by dotted path (as checkpoints.py names them). */
export function flatten(
  v: unknown,
  path = '',
  tensors = new Map<string, torch.Tensor>(),
  other = new Map<string, unknown>(),
) {
  if (v instanceof torch.Tensor) tensors.set(path, v);
  else if (v !== null && typeof v === 'object') {
    const entries = Array.isArray(v)
      ? v.map((x, i) => [String(i), x] as const)
      : v instanceof Map
        ? [...v].map(([k, x]) => [String(k), x] as const)
        : Object.entries(v);
    if (entries.length === 0) other.set(path, Array.isArray(v) ? [] : {});
    for (const [k, x] of entries) flatten(x, path ? `${path}.${k}` : k, tensors, other);
  } else other.set(path, v);
  return { tensors, other };
}

// ---- pickle assembly ----------------------------------------------------------------------------
const te = new TextEncoder();
type Part = number | readonly number[] | Uint8Array;
/** Concatenate opcodes and operands into pickle bytes. */
export function pk(...parts: Part[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else out.push(...p);
  }
  return new Uint8Array(out);
}
export const OP = {
  PROTO2: [0x80, 2],
  MARK: 0x28,
  STOP: 0x2e,
  EMPTY_DICT: 0x7d,
  EMPTY_LIST: 0x5d,
  EMPTY_TUPLE: 0x29,
  SETITEM: 0x73,
  SETITEMS: 0x75,
  APPEND: 0x61,
  APPENDS: 0x65,
  REDUCE: 0x52,
  BUILD: 0x62,
  NEWOBJ: 0x81,
  TUPLE: 0x74,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  BINPERSID: 0x51,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  NONE: 0x4e,
  POP: 0x30,
} as const;
export const global = (m: string, n: string) => pk(0x63, te.encode(`${m}\n${n}\n`));
export function str(s: string): Uint8Array {
  const b = te.encode(s);
  return pk(0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, b);
}
export function int(n: number): Uint8Array {
  if (n >= 2 ** 31 || n < -(2 ** 31)) {
    // LONG1 of 8 bytes (two's complement)
    const b = new Uint8Array(10);
    b[0] = 0x8a;
    b[1] = 8;
    new DataView(b.buffer).setBigInt64(2, BigInt(n), true);
    return b;
  }
  const b = new Uint8Array(5);
  b[0] = 0x4a;
  new DataView(b.buffer).setInt32(1, n, true);
  return b;
}
export const binput = (i: number) => pk(0x71, i);
export const binget = (i: number) => pk(0x68, i);
const intTuple = (xs: number[]) => pk(OP.MARK, ...xs.map(int), OP.TUPLE);

/** `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())` */
export function tensorCall(o: {
  type?: string;
  key?: string;
  numel: number;
  offset?: number;
  size: number[];
  stride: number[];
}): Uint8Array {
  return pk(
    global('torch._utils', '_rebuild_tensor_v2'),
    OP.MARK,
    OP.MARK,
    str('storage'),
    global('torch', o.type ?? 'FloatStorage'),
    str(o.key ?? '0'),
    str('cpu'),
    int(o.numel),
    OP.TUPLE,
    OP.BINPERSID,
    int(o.offset ?? 0),
    intTuple(o.size),
    intTuple(o.stride),
    OP.NEWFALSE,
    global('collections', 'OrderedDict'),
    OP.EMPTY_TUPLE,
    OP.REDUCE,
    OP.TUPLE,
    OP.REDUCE,
  );
}
/** `{ key: value, ... }` from already-pickled values, wrapped as a whole pickle. */
export function dictPickle(items: [string, Uint8Array][]): Uint8Array {
  return pk(OP.PROTO2, OP.EMPTY_DICT, OP.MARK, ...items.flatMap(([k, v]) => [str(k), v]), OP.SETITEMS, OP.STOP);
}

/** A torch-style archive: `<prefix>/data.pkl`, records `<prefix>/data/<key>`, `<prefix>/version`. */
export function pthBytes(pkl: Uint8Array, records: Record<string, Uint8Array> = {}, prefix = 'archive'): Uint8Array {
  return concat(
    zipChunks([
      { name: `${prefix}/data.pkl`, data: pkl },
      ...Object.entries(records).map(([k, data]) => ({ name: `${prefix}/data/${k}`, data })),
      { name: `${prefix}/version`, data: te.encode('3\n') },
    ]),
  );
}
export const f32bytes = (xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);
