// The restricted unpickler's machine: the stack, MARK metastack, memo and cursor over the bytes, the
// bounded reads every opcode handler uses, and the dispatch loop over the opcode table (opcodes.ts).
//
// Memory and time are bounded whatever the file says: every opcode reads at least one byte, lengths
// are checked against the bytes left before anything is decoded, and the stack, memo and MARK nesting
// have limits. Every error is a CheckpointError naming the file and the offset of the opcode that
// failed. What the machine may build is decided in allowlist.ts; no code from a file ever runs.
import { CheckpointError } from '../../errors.js';
import { OPCODES } from './opcodes.js';
import { describe, PyTuple, type PyStorage, type PyValue } from './values.js';

export interface PickleLimits {
  maxStack: number;
  maxMemo: number;
  maxMarkDepth: number;
  maxRank: number;
}
export const DEFAULT_PICKLE_LIMITS: PickleLimits = {
  maxStack: 2_000_000,
  maxMemo: 2_000_000,
  maxMarkDepth: 1000,
  maxRank: 64,
};

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export class Unpickler {
  readonly dv: DataView;
  /** the next byte to read */
  pos = 0;
  /** where the opcode being run starts, for error messages */
  opAt = 0;
  /** the current stack; MARK parks it on `marks` and starts a fresh one (as CPython's metastack does) */
  stack: PyValue[] = [];
  readonly marks: PyValue[][] = [];
  readonly memo = new Map<number, PyValue>();
  /** storages by persistent-id key, so that views of one storage share it */
  readonly storages = new Map<string, PyStorage>();
  /** set by STOP */
  stopped = false;
  result: PyValue = null;

  constructor(
    readonly bytes: Uint8Array,
    readonly where: string,
    readonly limits: PickleLimits = DEFAULT_PICKLE_LIMITS,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Run opcodes until STOP; returns the value STOP popped. */
  run(): PyValue {
    const bytes = this.bytes;
    while (!this.stopped) {
      if (this.pos >= bytes.length) this.fail('pickle ends without a STOP opcode (truncated)');
      this.opAt = this.pos;
      const op = bytes[this.pos++];
      const handler = OPCODES[op];
      if (!handler) this.fail(`opcode 0x${op.toString(16).padStart(2, '0')} is not one a PyTorch checkpoint uses`);
      handler(this);
    }
    return this.result;
  }

  fail(msg: string): never {
    throw new CheckpointError(`${this.where}: ${msg} (pickle offset ${this.opAt})`);
  }

  // ---- reading operands: each checks the bytes left first ----
  need(n: number): void {
    if (this.pos + n > this.bytes.length)
      this.fail(`opcode needs ${n} more bytes but the pickle ends at offset ${this.bytes.length} (truncated)`);
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  /** a big-endian float64 (BINFLOAT) */
  f64(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }
  str(n: number): string {
    this.need(n);
    try {
      return UTF8.decode(this.bytes.subarray(this.pos, (this.pos += n)));
    } catch {
      return this.fail(`string of ${n} bytes is not valid UTF-8`);
    }
  }
  /** a GLOBAL operand: a short newline-terminated line */
  line(): string {
    const nl = this.bytes.subarray(this.pos, this.pos + 513).indexOf(0x0a);
    if (nl < 0) this.fail('GLOBAL name is not a short newline-terminated line');
    const s = this.str(nl);
    this.pos++;
    return s;
  }

  // ---- the stack, marks and memo, each bounded ----
  push(v: PyValue): void {
    if (this.stack.length >= this.limits.maxStack)
      this.fail(`more than ${this.limits.maxStack} values on the pickle stack`);
    this.stack.push(v);
  }
  pop(): PyValue {
    if (this.stack.length === 0) this.fail('pickle stack underflow');
    return this.stack.pop()!;
  }
  top(): PyValue {
    if (this.stack.length === 0) this.fail('pickle stack underflow');
    return this.stack[this.stack.length - 1];
  }
  mark(): void {
    if (this.marks.length >= this.limits.maxMarkDepth)
      this.fail(`MARKs nested deeper than ${this.limits.maxMarkDepth}`);
    this.marks.push(this.stack);
    this.stack = [];
  }
  /** the items pushed since the last MARK, restoring the stack below it */
  popMark(): PyValue[] {
    if (this.marks.length === 0) this.fail('no MARK to pop to');
    const items = this.stack;
    this.stack = this.marks.pop()!;
    return items;
  }
  put(i: number): void {
    if (!this.memo.has(i) && this.memo.size >= this.limits.maxMemo)
      this.fail(`more than ${this.limits.maxMemo} memo entries`);
    this.memo.set(i, this.top());
  }
  get(i: number): void {
    if (!this.memo.has(i)) this.fail(`memo entry ${i} is read before it is written`);
    this.push(this.memo.get(i)!);
  }

  // ---- checked conversions for the values allowlist.ts builds from ----
  int(v: PyValue, what: string): number {
    if (typeof v === 'boolean') return +v;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail(`${what} is ${describe(v)}, not an integer`);
    return v as number;
  }
  intTuple(v: PyValue, what: string): number[] {
    if (!(v instanceof PyTuple) && !Array.isArray(v)) this.fail(`${what} is ${describe(v)}, not a tuple of integers`);
    const items = v instanceof PyTuple ? v.items : (v as PyValue[]);
    if (items.length > this.limits.maxRank)
      this.fail(`${what} has ${items.length} dimensions, more than ${this.limits.maxRank}`);
    return items.map((x, i) => {
      const n = this.int(x, `${what}[${i}]`);
      if (n < 0) this.fail(`${what}[${i}] is negative (${n})`);
      return n;
    });
  }
}

/**
 * Run the restricted unpickler over `bytes` (`where` names the file in errors). Returns the
 * unpickled value; tensors appear as PyTensor descriptors whose storages are not read here.
 */
export function unpickle(bytes: Uint8Array, where: string, limits: PickleLimits = DEFAULT_PICKLE_LIMITS): PyValue {
  return new Unpickler(bytes, where, limits).run();
}
