// The pickler behind torch.save's `data.pkl`: plain values, Maps and tensors written as protocol 2,
// the way torch.save writes them, so that PyTorch's own unpickler reads the file.
//
// Tensors are written as `_rebuild_tensor_v2` (or `_rebuild_parameter`) over a persistent-id storage
// named by the caller's `tensorRecord`; a mapping of tensors only is an OrderedDict (a state dict);
// a dict loaded from a pickle keeps its int keys and dict kind through PY_DICT, so a round trip
// writes back what it read. Shared objects are memoized, so a sub-object referenced twice stays one.
import { CheckpointError } from '../../errors.js';

/** A tensor as the pickler writes it: a storage record key plus the view on it. */
export interface TensorRecord {
  key: string;
  storageType: string;
  numel: number;
  size: readonly number[];
  stride: readonly number[];
  requiresGrad: boolean;
  parameter: boolean;
}

const UTF8 = new TextEncoder();

/** Values the pickler writes: plain data, with tensors given by `tensorRecord`. */
export class Pickler {
  private buf = new Uint8Array(1024);
  private n = 0;
  private memoNext = 0;
  private readonly globals = new Map<string, number>();
  private readonly memoized = new Map<object, number>();

  constructor(private readonly tensorRecord: (v: object) => TensorRecord | null) {
    this.byte(0x80, 2); // PROTO 2, as torch.save writes
  }

  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }
  private byte(...bs: number[]): void {
    this.room(bs.length);
    for (const b of bs) this.buf[this.n++] = b;
  }
  private u32(v: number): void {
    this.room(4);
    new DataView(this.buf.buffer).setUint32(this.n, v, true);
    this.n += 4;
  }
  private memoize(): number {
    const i = this.memoNext++;
    if (i < 256) this.byte(0x71, i);
    else {
      this.byte(0x72);
      this.u32(i);
    }
    return i;
  }
  private get(i: number): void {
    if (i < 256) this.byte(0x68, i);
    else {
      this.byte(0x6a);
      this.u32(i);
    }
  }
  private global(module: string, name: string): void {
    const full = `${module}\n${name}\n`;
    const seen = this.globals.get(full);
    if (seen !== undefined) return this.get(seen);
    this.byte(0x63);
    this.raw(UTF8.encode(full));
    this.globals.set(full, this.memoize());
  }
  private raw(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
  str(s: string): void {
    const b = UTF8.encode(s);
    this.byte(0x58);
    this.u32(b.length);
    this.raw(b);
  }
  int(v: number | bigint): void {
    if (typeof v === 'number' && v >= 0 && v < 256) return this.byte(0x4b, v);
    if (typeof v === 'number' && v >= 0 && v < 65536) return this.byte(0x4d, v & 0xff, v >> 8);
    if (typeof v === 'number' && v >= -(2 ** 31) && v < 2 ** 31) {
      this.byte(0x4a);
      this.room(4);
      new DataView(this.buf.buffer).setInt32(this.n, v, true);
      this.n += 4;
      return;
    }
    // LONG1: minimal little-endian two's complement
    let x = BigInt(v);
    const out: number[] = [];
    for (;;) {
      const b = Number(x & 0xffn);
      out.push(b);
      x >>= 8n;
      if ((x === 0n && !(b & 0x80)) || (x === -1n && b & 0x80)) break;
    }
    this.byte(0x8a, out.length, ...out);
  }
  float(v: number): void {
    this.byte(0x47);
    this.room(8);
    new DataView(this.buf.buffer).setFloat64(this.n, v, false);
    this.n += 8;
  }
  private intTuple(xs: readonly number[]): void {
    if (xs.length === 0) return this.byte(0x29);
    if (xs.length <= 3) {
      for (const x of xs) this.int(x);
      return this.byte(0x84 + xs.length);
    }
    this.byte(0x28);
    for (const x of xs) this.int(x);
    this.byte(0x74);
  }
  private orderedDictStart(): void {
    this.global('collections', 'OrderedDict');
    this.byte(0x29, 0x52);
    this.memoize();
  }

  /** Write one value (recursively); `path` names it in errors. */
  value(v: unknown, path: string, depth = 0): void {
    if (depth > 1000) throw new CheckpointError(`save: value at '${path}' is nested deeper than 1000 levels (cyclic?)`);
    if (v === null || v === undefined) return this.byte(0x4e);
    if (typeof v === 'boolean') return this.byte(v ? 0x88 : 0x89);
    if (typeof v === 'bigint') return this.int(v);
    if (typeof v === 'number') return Number.isSafeInteger(v) && !Object.is(v, -0) ? this.int(v) : this.float(v);
    if (typeof v === 'string') return this.str(v);
    if (typeof v !== 'object')
      throw new CheckpointError(`save: value at '${path}' is a ${typeof v}, which a checkpoint cannot hold`);
    const seen = this.memoized.get(v);
    if (seen !== undefined) return this.get(seen);
    const rec = this.tensorRecord(v);
    if (rec) return this.tensor(v, rec);
    if (Array.isArray(v)) {
      this.byte(0x5d);
      this.memoized.set(v, this.memoize());
      if (v.length) {
        this.byte(0x28);
        v.forEach((x, i) => this.value(x, `${path}[${i}]`, depth + 1));
        this.byte(0x65);
      }
      return;
    }
    const proto = Object.getPrototypeOf(v);
    if (!(v instanceof Map) && proto !== Object.prototype && proto !== null) {
      throw new CheckpointError(
        `save: value at '${path}' is a ${v.constructor?.name ?? 'object'}; a checkpoint holds tensors, numbers, strings, booleans, null, arrays, Maps and plain objects`,
      );
    }
    const raw: [unknown, unknown][] = v instanceof Map ? [...v] : Object.entries(v);
    // a mapping of tensors only is a state dict: torch writes those as OrderedDict, keyed by strings
    const mark = (v as { [PY_DICT]?: PyDictMark })[PY_DICT];
    const stateDict =
      raw.length > 0 && raw.every(([, x]) => x !== null && typeof x === 'object' && this.tensorRecord(x as object));
    const ordered = mark ? mark.ordered : stateDict;
    const entries = raw.map(([k, x]): [string | number, unknown] => {
      if (v instanceof Map) {
        if (typeof k !== 'string' && !Number.isSafeInteger(k))
          throw new CheckpointError(
            `save: Map at '${path}' has key ${String(k)}; only strings and integers are written`,
          );
        return [k as string | number, x];
      }
      return [intKey(v, k as string, stateDict) ? Number(k) : (k as string), x];
    });
    if (ordered) {
      this.orderedDictStart();
      this.memoized.set(v, this.memoNext - 1);
    } else {
      this.byte(0x7d);
      this.memoized.set(v, this.memoize());
    }
    if (entries.length) {
      this.byte(0x28);
      for (const [k, x] of entries) {
        if (typeof k === 'number') this.int(k);
        else this.str(k);
        this.value(x, path ? `${path}.${k}` : String(k), depth + 1);
      }
      this.byte(0x75);
    }
  }

  private tensor(v: object, r: TensorRecord): void {
    if (r.parameter) this.global('torch._utils', '_rebuild_parameter');
    this.global('torch._utils', '_rebuild_tensor_v2');
    this.byte(0x28); // MARK
    this.byte(0x28);
    this.str('storage');
    const [m, n] = splitGlobal(r.storageType);
    this.global(m, n);
    this.str(r.key);
    this.str('cpu');
    this.int(r.numel);
    this.byte(0x74, 0x51); // TUPLE, BINPERSID
    this.int(0);
    this.intTuple(r.size);
    this.intTuple(r.stride);
    this.byte(r.parameter ? 0x89 : r.requiresGrad ? 0x88 : 0x89);
    this.orderedDictStart();
    this.byte(0x74, 0x52); // TUPLE, REDUCE
    if (r.parameter) {
      this.byte(r.requiresGrad ? 0x88 : 0x89);
      this.orderedDictStart();
      this.byte(0x87, 0x52); // TUPLE3, REDUCE
    }
    this.memoized.set(v, this.memoize());
  }

  finish(): Uint8Array {
    this.byte(0x2e);
    return this.buf.slice(0, this.n);
  }
}

function splitGlobal(full: string): [string, string] {
  const i = full.lastIndexOf('.');
  return [full.slice(0, i), full.slice(i + 1)];
}

/** Dicts loaded from a pickle remember which keys were Python ints and whether it was an OrderedDict. */
export const PY_DICT = Symbol.for('finetorch.pyDict');
export interface PyDictMark {
  intKeys: Set<string>;
  ordered: boolean;
}
const CANONICAL_INT = /^(0|-?[1-9][0-9]{0,14})$/;

/**
 * Whether key `k` of `obj` is written as a Python int: keys a loaded dict had as ints, and otherwise
 * integer-looking keys of mappings that are not state dicts (an optimizer's `state` is keyed by
 * parameter index, and PyTorch needs those as ints).
 */
function intKey(obj: object, k: string, stateDict: boolean): boolean {
  const mark = (obj as { [PY_DICT]?: PyDictMark })[PY_DICT];
  if (mark) return mark.intKeys.has(k);
  return !stateDict && CANONICAL_INT.test(k);
}
