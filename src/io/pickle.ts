// A restricted unpickler for the `data.pkl` of PyTorch checkpoints, and the matching pickler.
//
// Python's pickle is a small stack machine whose GLOBAL + REDUCE opcodes call any importable
// function: loading an untrusted .pth with `pickle` runs whatever it names (`os.system`). Here no
// code from a file ever runs: GLOBAL is checked against a short allowlist (OrderedDict, torch's
// tensor/parameter rebuild functions and storage types) and anything else is refused by name, and
// REDUCE only "calls" those few by building plain values. Memory and time are bounded: every opcode
// reads at least one byte, lengths are checked against the bytes left, and the stack, memo and
// MARK nesting have limits.
import { CheckpointError } from '../errors.js';
import { checkedNumel, ELEM_SIZE, type ElemKind } from './dtypes.js';

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
export class PyDict {
  readonly keys: PyValue[] = [];
  readonly values: PyValue[] = [];
  private readonly index = new Map<unknown, number>();
  constructor(readonly ordered: boolean) {}
  set(k: PyValue, v: PyValue): void {
    // Python's hash equality for the key types checkpoints use: True == 1, 1 == 1.0
    const h = typeof k === 'boolean' ? `n:${+k}` : typeof k === 'number' || typeof k === 'bigint' ? `n:${k}` : typeof k === 'string' ? `s:${k}` : k === null ? 'None' : k;
    const i = this.index.get(h);
    if (i === undefined) {
      this.index.set(h, this.keys.length);
      this.keys.push(k);
      this.values.push(v);
    } else this.values[i] = v;
  }
  get size(): number { return this.keys.length; }
}
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get full(): string { return `${this.module}.${this.name}`; }
}
/** A storage named by a persistent id: its bytes are the record `data/<key>` of the archive. */
export class PyStorage {
  constructor(readonly kind: ElemKind, readonly typeName: string, readonly key: string, readonly location: string, readonly numel: number) {}
}
/** What `torch._utils._rebuild_tensor_v2` (and `_rebuild_parameter`) would build. */
export class PyTensor {
  constructor(
    readonly storage: PyStorage,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
    public requiresGrad: boolean,
    public parameter = false,
  ) {}
}
export type PyValue = null | boolean | number | bigint | string | PyValue[] | PyTuple | PyDict | PyGlobal | PyStorage | PyTensor;

/** storage classes a persistent id may name, and the element type each holds */
export const STORAGE_KINDS: Record<string, ElemKind> = {
  'torch.FloatStorage': 'F32', 'torch.HalfStorage': 'F16', 'torch.BFloat16Storage': 'BF16', 'torch.DoubleStorage': 'F64',
  'torch.LongStorage': 'I64', 'torch.IntStorage': 'I32', 'torch.ShortStorage': 'I16', 'torch.CharStorage': 'I8',
  'torch.ByteStorage': 'U8', 'torch.BoolStorage': 'BOOL',
  // an untyped storage counts bytes
  'torch.UntypedStorage': 'U8', 'torch.storage.UntypedStorage': 'U8', 'torch.storage._UntypedStorage': 'U8',
};
const ORDERED_DICT = 'collections.OrderedDict';
const REBUILD_TENSOR = 'torch._utils._rebuild_tensor_v2';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const REBUILD_PARAMETER_STATE = 'torch._utils._rebuild_parameter_with_state';
const ALLOWED = new Set([ORDERED_DICT, REBUILD_TENSOR, REBUILD_PARAMETER, REBUILD_PARAMETER_STATE, ...Object.keys(STORAGE_KINDS)]);

export interface PickleLimits { maxStack: number; maxMemo: number; maxMarkDepth: number; maxRank: number }
export const DEFAULT_PICKLE_LIMITS: PickleLimits = { maxStack: 2_000_000, maxMemo: 2_000_000, maxMarkDepth: 1000, maxRank: 64 };

/**
 * Run the restricted unpickler over `bytes` (`where` names the file in errors). Returns the
 * unpickled value; tensors appear as PyTensor descriptors whose storages are not read here.
 */
export function unpickle(bytes: Uint8Array, where: string, limits: PickleLimits = DEFAULT_PICKLE_LIMITS): PyValue {
  const len = bytes.length;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;
  let opAt = 0;
  const fail = (msg: string): never => { throw new CheckpointError(`${where}: ${msg} (pickle offset ${opAt})`); };
  // MARK starts a fresh stack and parks the old one (as CPython's metastack does)
  let stack: PyValue[] = [];
  const marks: PyValue[][] = [];
  const memo = new Map<number, PyValue>();
  const storages = new Map<string, PyStorage>();

  const need = (n: number) => {
    if (pos + n > len) fail(`opcode needs ${n} more bytes but the pickle ends at offset ${len} (truncated)`);
  };
  const push = (v: PyValue) => {
    if (stack.length >= limits.maxStack) fail(`more than ${limits.maxStack} values on the pickle stack`);
    stack.push(v);
  };
  const pop = (): PyValue => {
    if (stack.length === 0) fail('pickle stack underflow');
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) fail('pickle stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): PyValue[] => {
    if (marks.length === 0) fail('no MARK to pop to');
    const items = stack;
    stack = marks.pop()!;
    return items;
  };
  const put = (i: number) => {
    if (!memo.has(i) && memo.size >= limits.maxMemo) fail(`more than ${limits.maxMemo} memo entries`);
    memo.set(i, top());
  };
  const get = (i: number) => {
    if (!memo.has(i)) fail(`memo entry ${i} is read before it is written`);
    push(memo.get(i)!);
  };
  const str = (n: number): string => {
    need(n);
    try {
      return utf8.decode(bytes.subarray(pos, (pos += n)));
    } catch {
      return fail(`string of ${n} bytes is not valid UTF-8`);
    }
  };
  const line = (): string => {
    const nl = bytes.subarray(pos, pos + 513).indexOf(0x0a);
    if (nl < 0) fail('GLOBAL name is not a short newline-terminated line');
    const s = str(nl);
    pos++;
    return s;
  };
  const global = (module: string, name: string): PyGlobal => {
    const full = `${module}.${name}`;
    if (!ALLOWED.has(full)) {
      if (module === 'torch' && name.endsWith('Storage')) fail(`storage type '${full}' is not supported (supported: ${Object.keys(STORAGE_KINDS).join(', ')})`);
      fail(`refusing global '${full}': a checkpoint may only hold tensors, storages and plain containers, and no code from a file is run`);
    }
    return new PyGlobal(module, name);
  };
  const int = (v: PyValue, what: string): number => {
    if (typeof v === 'boolean') return +v;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(`${what} is ${describe(v)}, not an integer`);
    return v as number;
  };
  const intTuple = (v: PyValue, what: string): number[] => {
    if (!(v instanceof PyTuple) && !Array.isArray(v)) fail(`${what} is ${describe(v)}, not a tuple of integers`);
    const items = v instanceof PyTuple ? v.items : (v as PyValue[]);
    if (items.length > limits.maxRank) fail(`${what} has ${items.length} dimensions, more than ${limits.maxRank}`);
    return items.map((x, i) => {
      const n = int(x, `${what}[${i}]`);
      if (n < 0) fail(`${what}[${i}] is negative (${n})`);
      return n;
    });
  };
  const persistent = (pid: PyValue): PyStorage => {
    const t = pid instanceof PyTuple ? pid.items : null;
    if (!t || t.length !== 5 || t[0] !== 'storage') return fail(`persistent id ${describe(pid)} is not ('storage', type, key, location, numel)`);
    const [, type, key, location, numel] = t;
    if (!(type instanceof PyGlobal) || !(type.full in STORAGE_KINDS)) return fail(`persistent id names storage type ${describe(type)}, not a storage class`);
    if (typeof key !== 'string' || key.length === 0 || key.length > 256) return fail(`persistent id has storage key ${describe(key)}, not a short string`);
    if (typeof location !== 'string') return fail(`persistent id for storage '${key}' has location ${describe(location)}, not a string`);
    const n = int(numel, `element count of storage '${key}'`);
    if (n < 0) fail(`storage '${key}' has negative element count ${n}`);
    const kind = STORAGE_KINDS[type.full];
    const seen = storages.get(key);
    if (seen) {
      if (seen.kind !== kind || seen.numel !== n) fail(`storage '${key}' is named twice with different types or sizes (${seen.typeName}[${seen.numel}] and ${type.full}[${n}])`);
      return seen;
    }
    const s = new PyStorage(kind, type.full, key, location, n);
    storages.set(key, s);
    return s;
  };
  const rebuildTensor = (args: PyValue[]): PyTensor => {
    if (args.length !== 6 && args.length !== 7) fail(`${REBUILD_TENSOR} takes 6 or 7 arguments, got ${args.length}`);
    const [storage, offsetV, sizeV, strideV, rg, hooks] = args;
    if (!(storage instanceof PyStorage)) return fail(`${REBUILD_TENSOR} got ${describe(storage)} where a storage belongs`);
    const offset = int(offsetV, 'storage offset');
    if (offset < 0) fail(`storage offset ${offset} is negative`);
    const size = intTuple(sizeV, 'tensor size');
    const stride = intTuple(strideV, 'tensor stride');
    if (stride.length !== size.length) fail(`tensor size ${describe(sizeV)} and stride ${describe(strideV)} have different lengths`);
    if (typeof rg !== 'boolean') fail(`requires_grad is ${describe(rg)}, not a bool`);
    if (!(hooks instanceof PyDict)) fail(`backward hooks are ${describe(hooks)}, not an OrderedDict`);
    const n = checkedNumel(size, () => `${where}: tensor of storage '${storage.key}'`);
    // the furthest element the view touches must lie inside its storage
    let last = offset;
    if (n > 0) for (let i = 0; i < size.length; i++) last += (size[i] - 1) * stride[i];
    if (!Number.isSafeInteger(last) || (n > 0 ? last >= storage.numel : offset > storage.numel)) {
      fail(`tensor of size (${size.join(', ')}), stride (${stride.join(', ')}) at offset ${offset} reaches element ${last} of storage '${storage.key}', which holds ${storage.numel}`);
    }
    return new PyTensor(storage, offset, size, stride, rg as boolean);
  };
  const call = (fn: PyValue, args: PyValue): PyValue => {
    if (!(fn instanceof PyGlobal)) return fail(`REDUCE calls ${describe(fn)}, which is not an allowed global`);
    if (!(args instanceof PyTuple)) return fail(`REDUCE arguments for '${fn.full}' are ${describe(args)}, not a tuple`);
    const a = args.items;
    switch (fn.full) {
      case ORDERED_DICT: {
        const d = new PyDict(true);
        if (a.length === 0) return d;
        const items = a[0] instanceof PyTuple ? a[0].items : a[0];
        if (a.length !== 1 || !Array.isArray(items)) return fail(`OrderedDict(...) takes at most one list of pairs`);
        for (const kv of items) {
          const pair = kv instanceof PyTuple ? kv.items : kv;
          if (!Array.isArray(pair) || pair.length !== 2) return fail('OrderedDict(...) item is not a (key, value) pair');
          d.set(pair[0], pair[1]);
        }
        return d;
      }
      case REBUILD_TENSOR:
        return rebuildTensor(a);
      case REBUILD_PARAMETER:
      case REBUILD_PARAMETER_STATE: {
        if (a.length !== (fn.full === REBUILD_PARAMETER ? 3 : 4) || !(a[0] instanceof PyTensor) || typeof a[1] !== 'boolean') {
          return fail(`${fn.full} arguments are not (tensor, requires_grad, hooks${fn.full === REBUILD_PARAMETER ? '' : ', state'})`);
        }
        const t = a[0];
        return new PyTensor(t.storage, t.offset, t.size, t.stride, a[1], true);
      }
    }
    return fail(`'${fn.full}' cannot be called (it is only allowed as a storage type)`);
  };

  while (true) {
    if (pos >= len) fail('pickle ends without a STOP opcode (truncated)');
    opAt = pos;
    const op = bytes[pos++];
    switch (op) {
      case 0x80: // PROTO
        need(1);
        if (bytes[pos] > 5) fail(`pickle protocol ${bytes[pos]} is unknown`);
        pos++;
        break;
      case 0x95: // FRAME: a length hint only
        need(8);
        pos += 8;
        break;
      case 0x7d: push(new PyDict(false)); break; // EMPTY_DICT
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x29: push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x28: // MARK
        if (marks.length >= limits.maxMarkDepth) fail(`MARKs nested deeper than ${limits.maxMarkDepth}`);
        marks.push(stack);
        stack = [];
        break;
      case 0x73: { // SETITEM
        const v = pop(), k = pop(), d = top();
        if (!(d instanceof PyDict)) fail(`SETITEM on ${describe(d)}, not a dict`);
        (d as PyDict).set(k, v);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        const d = top();
        if (!(d instanceof PyDict)) fail(`SETITEMS on ${describe(d)}, not a dict`);
        if (items.length % 2) fail('SETITEMS with an odd number of items');
        for (let i = 0; i < items.length; i += 2) (d as PyDict).set(items[i], items[i + 1]);
        break;
      }
      case 0x61: { // APPEND
        const v = pop(), l = top();
        if (!Array.isArray(l)) fail(`APPEND to ${describe(l)}, not a list`);
        (l as PyValue[]).push(v);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) fail(`APPENDS to ${describe(l)}, not a list`);
        for (const v of items) (l as PyValue[]).push(v);
        break;
      }
      case 0x58: { // BINUNICODE
        need(4);
        const n = dv.getUint32(pos, true);
        pos += 4;
        push(str(n));
        break;
      }
      case 0x8c: { // SHORT_BINUNICODE
        need(1);
        const n = bytes[pos++];
        push(str(n));
        break;
      }
      case 0x4a: need(4); push(dv.getInt32(pos, true)); pos += 4; break; // BININT
      case 0x4b: need(1); push(bytes[pos++]); break; // BININT1
      case 0x4d: need(2); push(dv.getUint16(pos, true)); pos += 2; break; // BININT2
      case 0x8a: { // LONG1: little-endian two's complement of n bytes
        need(1);
        const n = bytes[pos++];
        need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[pos + i]);
        if (n > 0 && bytes[pos + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        pos += n;
        push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: need(8); push(dv.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4e: push(null); break; // NONE
      case 0x85: push(new PyTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(), a = pop(); push(new PyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(), a = pop(); push(new PyTuple([a, b, c])); break; } // TUPLE3
      case 0x74: { const items = popMark(); push(new PyTuple(items)); break; } // TUPLE
      case 0x63: { const m = line(); const n = line(); push(global(m, n)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const n = pop(), m = pop();
        if (typeof m !== 'string' || typeof n !== 'string') fail('STACK_GLOBAL needs two strings');
        push(global(m as string, n as string));
        break;
      }
      case 0x52: { const args = pop(), fn = pop(); push(call(fn, args)); break; } // REDUCE
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args), allowed for OrderedDict only
        const args = pop(), cls = pop();
        if (!(cls instanceof PyGlobal) || cls.full !== ORDERED_DICT) fail(`NEWOBJ of ${describe(cls)} is not allowed`);
        push(call(cls, args));
        break;
      }
      case 0x62: { // BUILD: attribute state; only an OrderedDict's (state_dict()._metadata) is accepted, and dropped
        const state = pop(), obj = top();
        if (!(obj instanceof PyDict) || !(state instanceof PyDict || state === null || state instanceof PyTuple)) fail(`BUILD of ${describe(obj)} with ${describe(state)} is not allowed`);
        break;
      }
      case 0x71: need(1); put(bytes[pos++]); break; // BINPUT
      case 0x72: need(4); put(dv.getUint32(pos, true)); pos += 4; break; // LONG_BINPUT
      case 0x94: put(memo.size); break; // MEMOIZE
      case 0x68: need(1); get(bytes[pos++]); break; // BINGET
      case 0x6a: need(4); get(dv.getUint32(pos, true)); pos += 4; break; // LONG_BINGET
      case 0x51: push(persistent(pop())); break; // BINPERSID
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: push(top()); break; // DUP
      case 0x2e: { // STOP
        const v = pop();
        if (marks.length) fail('STOP inside an unclosed MARK');
        return v;
      }
      default:
        fail(`opcode 0x${op.toString(16).padStart(2, '0')} is not one a PyTorch checkpoint uses`);
    }
  }
}

/** A short description of a pickled value for error messages. */
export function describe(v: PyValue | undefined): string {
  if (v === null) return 'None';
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v instanceof PyTuple) return `a tuple of ${v.items.length}`;
  if (v instanceof PyDict) return `a dict of ${v.size}`;
  if (v instanceof PyGlobal) return `global '${v.full}'`;
  if (v instanceof PyStorage) return `storage '${v.key}'`;
  return 'a tensor';
}

export function storageBytes(s: PyStorage): number {
  return s.numel * ELEM_SIZE[s.kind];
}

// ---- writing ------------------------------------------------------------------------------------

/** A tensor as the pickler writes it: a storage record key plus the view on it. */
export interface TensorRecord { key: string; storageType: string; numel: number; size: readonly number[]; stride: readonly number[]; requiresGrad: boolean; parameter: boolean }

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
    else { this.byte(0x72); this.u32(i); }
    return i;
  }
  private get(i: number): void {
    if (i < 256) this.byte(0x68, i);
    else { this.byte(0x6a); this.u32(i); }
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
    if (typeof v === 'number' && v >= -(2 ** 31) && v < 2 ** 31) { this.byte(0x4a); this.room(4); new DataView(this.buf.buffer).setInt32(this.n, v, true); this.n += 4; return; }
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
    if (xs.length <= 3) { for (const x of xs) this.int(x); return this.byte(0x84 + xs.length); }
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
    if (typeof v !== 'object') throw new CheckpointError(`save: value at '${path}' is a ${typeof v}, which a checkpoint cannot hold`);
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
      throw new CheckpointError(`save: value at '${path}' is a ${v.constructor?.name ?? 'object'}; a checkpoint holds tensors, numbers, strings, booleans, null, arrays, Maps and plain objects`);
    }
    const raw: [unknown, unknown][] = v instanceof Map ? [...v] : Object.entries(v);
    // a mapping of tensors only is a state dict: torch writes those as OrderedDict, keyed by strings
    const mark = (v as { [PY_DICT]?: PyDictMark })[PY_DICT];
    const stateDict = raw.length > 0 && raw.every(([, x]) => x !== null && typeof x === 'object' && this.tensorRecord(x as object));
    const ordered = mark ? mark.ordered : stateDict;
    const entries = raw.map(([k, x]): [string | number, unknown] => {
      if (v instanceof Map) {
        if (typeof k !== 'string' && !Number.isSafeInteger(k)) throw new CheckpointError(`save: Map at '${path}' has key ${String(k)}; only strings and integers are written`);
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
export interface PyDictMark { intKeys: Set<string>; ordered: boolean }
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
