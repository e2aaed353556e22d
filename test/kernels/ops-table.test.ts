// Every op of src/kernels/ops-table.ts, run through each device's kernels on hostile values (NaN,
// ±inf, ±0, halves): the cpu loops compiled for dense and for strided operands agree bit for bit
// (they are compiled from one formula), and webgpu agrees with cpu, NaN for NaN (the semantics
// themselves are checked against PyTorch in test/autograd/nan.test.ts).
import { describe, expect, it } from 'vitest';
import type { BinaryOp, DType, UnaryOp } from '../../src/kernels/backend.js';
import { BINARY, UNARY } from '../../src/kernels/ops-table.js';
import { devices, torch } from '../harness.js';

type T = torch.Tensor;
const HOSTILE = [NaN, -Infinity, Infinity, -0, 0, 0.5, -0.5, 1, -1, 2, -3, 1e-3, 40, -40];
const N = HOSTILE.length;
const PARAMS: Partial<Record<UnaryOp, [number, number]>> = {
  affine: [2, 0.5],
  pow_s: [2, 0],
  rpow_s: [2, 0],
  rdiv_s: [3, 0],
  clamp: [-1, 1],
  leaky_relu: [0.1, 0],
  elu: [1.5, 0],
  softplus: [2, 20],
  eq_s: [0.5, 0],
  ne_s: [0.5, 0],
  lt_s: [0.5, 0],
  le_s: [0.5, 0],
  gt_s: [0.5, 0],
  ge_s: [0.5, 0],
};

// a type-level check: the op types are the table's keys, so a name outside it does not compile
// @ts-expect-error: not an op
const notAnOp: UnaryOp = 'softsign';
void notAnOp;

/** x dense, and the same values as a stride-2 view of a [2N] storage (the strided path) */
function layouts(values: number[], device: torch.Device, dtype: DType): T[] {
  const dense = torch.tensor(values, { device, dtype });
  const spread = torch
    .tensor(
      values.flatMap((v) => [v, 7]),
      { device, dtype },
    )
    .slice(0, 0, 2 * N, 2);
  return [dense, spread];
}
const raw = (s: ReturnType<T['backend']['unary']>) => new torch.Tensor(s, [N]);
const host = async (t: T) => Array.from(await t.data());

function unary(op: UnaryOp, x: T): T {
  const [p0, p1] = PARAMS[op] ?? [0, 0];
  const boolOut = /_s$/.test(op) && op !== 'pow_s' && op !== 'rpow_s' && op !== 'rdiv_s';
  return raw(x.backend.unary(op, x, boolOut ? 'bool' : x.dtype, p0, p1));
}
function binary(op: BinaryOp, a: T, b: T): T {
  const boolOut = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or'].includes(op);
  return raw(a.backend.binary(op, a, b, [N], boolOut ? 'bool' : a.dtype));
}

/** equal as float32 values, NaN equal to NaN; webgpu's transcendentals within float32 tolerance */
function expectSame(got: number[], want: number[], what: string, tol = 0): void {
  got.forEach((g, i) => {
    const w = want[i];
    const ok = Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= tol * (1 + Math.abs(w));
    if (!ok) expect.fail(`${what} at ${HOSTILE[i]} (position ${i}): got ${g}, want ${w}`);
  });
}

describe('ops-table', () => {
  const rev = [...HOSTILE].reverse();
  it('the cpu dense and strided loops agree bit for bit, float and int', async () => {
    for (const op of Object.keys(UNARY) as UnaryOp[]) {
      const [d, s] = layouts(HOSTILE, 'cpu', 'float32');
      const a = await host(unary(op, d)),
        b = await host(unary(op, s));
      a.forEach((v, i) => expect(Object.is(v, b[i]), `${op} at ${HOSTILE[i]}: ${v} vs ${b[i]}`).toBe(true));
    }
    for (const op of Object.keys(BINARY) as BinaryOp[]) {
      for (const dtype of ['float32', 'int32'] as const) {
        const vals = dtype === 'int32' ? [5, -7, 0, 9, -1, 3, 4, -4, 2, 8, -9, 1, 6, -2] : HOSTILE;
        const [ad, as] = layouts(vals, 'cpu', dtype),
          [bd, bs] = layouts(dtype === 'int32' ? [...vals].reverse().map((v) => v || 3) : rev, 'cpu', dtype);
        const x = await host(binary(op, ad, bd)),
          y = await host(binary(op, as, bs));
        x.forEach((v, i) => expect(Object.is(v, y[i]), `${op} (${dtype}) at ${i}: ${v} vs ${y[i]}`).toBe(true));
      }
    }
  });

  it.runIf(devices.includes('webgpu'))('webgpu agrees with cpu on every op, dense and strided', async () => {
    for (const k of [0, 1]) {
      for (const op of Object.keys(UNARY) as UnaryOp[]) {
        const want = await host(unary(op, layouts(HOSTILE, 'cpu', 'float32')[k]));
        const got = await host(unary(op, layouts(HOSTILE, 'webgpu', 'float32')[k]));
        expectSame(got, want, `${op} (layout ${k})`, 1e-5);
      }
      for (const op of Object.keys(BINARY) as BinaryOp[]) {
        const want = await host(binary(op, layouts(HOSTILE, 'cpu', 'float32')[k], layouts(rev, 'cpu', 'float32')[k]));
        const got = await host(
          binary(op, layouts(HOSTILE, 'webgpu', 'float32')[k], layouts(rev, 'webgpu', 'float32')[k]),
        );
        expectSame(got, want, `${op} (layout ${k})`, 1e-5);
      }
    }
  });
});
