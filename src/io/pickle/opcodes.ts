// The opcode table: one small handler per pickle opcode a PyTorch checkpoint uses (protocols 2–5),
// keyed by opcode byte. Any byte without a handler is refused by Unpickler.run.
//
// A handler reads its operands through the Unpickler's bounded readers and works on its stack and
// memo; it never calls anything a file names — GLOBAL, REDUCE, NEWOBJ and BINPERSID go through
// allowlist.ts. Keeping the table as data makes the accepted instruction set visible at a glance.
import { allowedGlobal, callAllowed, ORDERED_DICT, persistentStorage } from './allowlist.js';
import type { Unpickler } from './unpickler.js';
import { describe, PyDict, PyGlobal, PyTuple, type PyValue } from './values.js';

export type OpHandler = (u: Unpickler) => void;

const table: (OpHandler | undefined)[] = new Array(256).fill(undefined);
function op(code: number, run: OpHandler): void {
  table[code] = run;
}

// ---- framing ----
op(0x80, (u) => {
  // PROTO
  u.need(1);
  if (u.bytes[u.pos] > 5) u.fail(`pickle protocol ${u.bytes[u.pos]} is unknown`);
  u.pos++;
});
op(0x95, (u) => {
  // FRAME: a length hint only
  u.need(8);
  u.pos += 8;
});
op(0x2e, (u) => {
  // STOP
  const v = u.pop();
  if (u.marks.length) u.fail('STOP inside an unclosed MARK');
  u.result = v;
  u.stopped = true;
});

// ---- scalars ----
op(0x4e, (u) => u.push(null)); // NONE
op(0x88, (u) => u.push(true)); // NEWTRUE
op(0x89, (u) => u.push(false)); // NEWFALSE
op(0x4a, (u) => u.push(u.i32())); // BININT
op(0x4b, (u) => u.push(u.u8())); // BININT1
op(0x4d, (u) => u.push(u.u16())); // BININT2
op(0x8a, (u) => {
  // LONG1: little-endian two's complement of n bytes
  const n = u.u8();
  u.need(n);
  const { bytes, pos } = u;
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[pos + i]);
  if (n > 0 && bytes[pos + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
  u.pos += n;
  u.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
});
op(0x47, (u) => u.push(u.f64())); // BINFLOAT (big-endian)
op(0x58, (u) => u.push(u.str(u.u32()))); // BINUNICODE
op(0x8c, (u) => u.push(u.str(u.u8()))); // SHORT_BINUNICODE

// ---- containers ----
op(0x7d, (u) => u.push(new PyDict(false))); // EMPTY_DICT
op(0x5d, (u) => u.push([])); // EMPTY_LIST
op(0x29, (u) => u.push(new PyTuple([]))); // EMPTY_TUPLE
op(0x28, (u) => u.mark()); // MARK
op(0x85, (u) => u.push(new PyTuple([u.pop()]))); // TUPLE1
op(0x86, (u) => {
  const b = u.pop(),
    a = u.pop();
  u.push(new PyTuple([a, b]));
}); // TUPLE2
op(0x87, (u) => {
  const c = u.pop(),
    b = u.pop(),
    a = u.pop();
  u.push(new PyTuple([a, b, c]));
}); // TUPLE3
op(0x74, (u) => {
  const items = u.popMark();
  u.push(new PyTuple(items));
}); // TUPLE
op(0x73, (u) => {
  // SETITEM
  const v = u.pop(),
    k = u.pop(),
    d = u.top();
  if (!(d instanceof PyDict)) u.fail(`SETITEM on ${describe(d)}, not a dict`);
  (d as PyDict).set(k, v);
});
op(0x75, (u) => {
  // SETITEMS
  const items = u.popMark();
  const d = u.top();
  if (!(d instanceof PyDict)) u.fail(`SETITEMS on ${describe(d)}, not a dict`);
  if (items.length % 2) u.fail('SETITEMS with an odd number of items');
  for (let i = 0; i < items.length; i += 2) (d as PyDict).set(items[i], items[i + 1]);
});
op(0x61, (u) => {
  // APPEND
  const v = u.pop(),
    l = u.top();
  if (!Array.isArray(l)) u.fail(`APPEND to ${describe(l)}, not a list`);
  (l as PyValue[]).push(v);
});
op(0x65, (u) => {
  // APPENDS
  const items = u.popMark();
  const l = u.top();
  if (!Array.isArray(l)) u.fail(`APPENDS to ${describe(l)}, not a list`);
  for (const v of items) (l as PyValue[]).push(v);
});

// ---- globals and calls: only what allowlist.ts allows ----
op(0x63, (u) => {
  const m = u.line();
  const n = u.line();
  u.push(allowedGlobal(u, m, n));
}); // GLOBAL
op(0x93, (u) => {
  // STACK_GLOBAL
  const n = u.pop(),
    m = u.pop();
  if (typeof m !== 'string' || typeof n !== 'string') u.fail('STACK_GLOBAL needs two strings');
  u.push(allowedGlobal(u, m as string, n as string));
});
op(0x52, (u) => {
  const args = u.pop(),
    fn = u.pop();
  u.push(callAllowed(u, fn, args));
}); // REDUCE
op(0x81, (u) => {
  // NEWOBJ: cls.__new__(cls, *args), allowed for OrderedDict only
  const args = u.pop(),
    cls = u.pop();
  if (!(cls instanceof PyGlobal) || cls.full !== ORDERED_DICT) u.fail(`NEWOBJ of ${describe(cls)} is not allowed`);
  u.push(callAllowed(u, cls, args));
});
op(0x62, (u) => {
  // BUILD: attribute state; only an OrderedDict's (state_dict()._metadata) is accepted, and dropped
  const state = u.pop(),
    obj = u.top();
  if (!(obj instanceof PyDict) || !(state instanceof PyDict || state === null || state instanceof PyTuple))
    u.fail(`BUILD of ${describe(obj)} with ${describe(state)} is not allowed`);
});
op(0x51, (u) => u.push(persistentStorage(u, u.pop()))); // BINPERSID

// ---- memo ----
op(0x71, (u) => u.put(u.u8())); // BINPUT
op(0x72, (u) => u.put(u.u32())); // LONG_BINPUT
op(0x94, (u) => u.put(u.memo.size)); // MEMOIZE
op(0x68, (u) => u.get(u.u8())); // BINGET
op(0x6a, (u) => u.get(u.u32())); // LONG_BINGET

// ---- stack manipulation ----
op(0x30, (u) => {
  u.pop();
}); // POP
op(0x31, (u) => {
  u.popMark();
}); // POP_MARK
op(0x32, (u) => u.push(u.top())); // DUP

export const OPCODES: readonly (OpHandler | undefined)[] = table;
