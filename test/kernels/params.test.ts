// The parameter-block helper every webgpu kernel declares its slot with (src/kernels/webgpu/params.ts):
// the WGSL it generates, the words its writer fills, the type errors a launcher gets for a missing or
// unknown field, and a round trip through a real dispatch (bit casts of i32 / f32 / bool on the
// device) where the webgpu device exists.
import { describe, expect, it } from 'vitest';
import { paramBinding, paramBlock, SLOT_WORDS } from '../../src/kernels/webgpu/params.js';
import { acquireRuntime, PARAM_WORDS } from '../../src/kernels/webgpu/runtime.js';
import { devices } from '../harness.js';

const P = paramBlock({ total: 'u32', top: 'i32', eps: 'f32', on: 'bool', shape: ['u32', 4], tail: 'u32' });
const slot = () => {
  const u = new Uint32Array(SLOT_WORDS);
  return { u, f: new Float32Array(u.buffer), i: new Int32Array(u.buffer) };
};

describe('paramBlock', () => {
  it('lays fields out in declaration order, arrays as consecutive words', () => {
    expect(P.words).toBe(9);
    expect(['total', 'top', 'eps', 'on', 'shape', 'tail'].map((n) => P.offset(n as 'total'))).toEqual([
      0, 1, 2, 3, 4, 8,
    ]);
    expect(SLOT_WORDS).toBe(PARAM_WORDS);
  });

  it('generates typed lets for the scalar fields, or the ones asked for', () => {
    expect(P.preamble()).toBe(
      [
        'let total = P[0];',
        'let top = bitcast<i32>(P[1]);',
        'let eps = bitcast<f32>(P[2]);',
        'let on = (P[3] != 0u);',
        'let tail = P[8];',
      ].join('\n  '),
    );
    expect(P.preamble(['tail', 'eps'], '')).toBe('let tail = P[8];\nlet eps = bitcast<f32>(P[2]);');
    expect(P.ref('top')).toBe('bitcast<i32>(P[1])');
    expect(P.at('shape', 3)).toBe('P[7]');
    expect(P.at('shape', 'd')).toBe('P[4u + d]');
    expect(() => P.at('shape', 4)).toThrow(/shape\[4\] outside its 4 words/);
    expect(paramBinding(3)).toBe('@group(0) @binding(3) var<storage, read> P: array<u32>;');
  });

  it('writes each field through the view of its type; short arrays leave zeros', () => {
    const { u, f, i } = slot();
    P.write(u, f, i, { total: 7, top: -2, eps: 1e-5, on: true, shape: [3, 5], tail: 0xffffffff });
    expect(u[0]).toBe(7);
    expect(i[1]).toBe(-2);
    expect(f[2]).toBe(Math.fround(1e-5));
    expect(u[3]).toBe(1);
    expect([...u.subarray(4, 8)]).toEqual([3, 5, 0, 0]);
    expect(u[8]).toBe(0xffffffff);
    expect(u[9]).toBe(0);
  });

  it('rejects a missing field, an overlong array and a block over the slot', () => {
    const { u, f, i } = slot();
    // @ts-expect-error -- `tail` missing
    expect(() => P.write(u, f, i, { total: 1, top: 0, eps: 0, on: false, shape: [] })).toThrow(/no value for 'tail'/);
    expect(() => P.write(u, f, i, { total: 1, top: 0, eps: 0, on: false, shape: [1, 2, 3, 4, 5], tail: 0 })).toThrow(
      /5 values for 'shape'/,
    );
    expect(() => paramBlock({ a: ['u32', 60], b: ['f32', 5] })).toThrow(/65 words/);
  });

  it('is type-checked by name (these lines are compile errors, checked by tsc)', () => {
    const { u, f, i } = slot();
    const all = { total: 1, top: 0, eps: 0, on: false, shape: [], tail: 0 };
    // @ts-expect-error -- unknown field
    P.write(u, f, i, { total: 1, top: 0, eps: 0, on: false, shape: [], tail: 0, totl: 1 });
    // @ts-expect-error -- a bool field takes a boolean
    P.write(u, f, i, { ...all, on: 1 });
    // @ts-expect-error -- an array field takes an array
    P.write(u, f, i, { ...all, shape: 3 });
    expect(u[0]).toBe(1);
    // @ts-expect-error -- ref is for scalar fields, at for arrays
    expect(() => P.ref('shape')).toThrow(/'shape' is an array/);
    // @ts-expect-error -- at is for array fields
    expect(() => P.at('tail', 0)).toThrow(/'tail' is a scalar/);
    // @ts-expect-error -- no such field
    expect(() => P.preamble(['nope'])).toThrow(/no field 'nope'/);
  });
});

describe.skipIf(!devices.includes('webgpu'))('paramBlock on the device', () => {
  it('the preamble reads back what the writer wrote', async () => {
    const rt = (await acquireRuntime())!;
    const out = rt.createBuffer(5 * 4);
    const src = `@group(0) @binding(0) var<storage, read_write> O: array<u32>;
${paramBinding(1)}
@compute @workgroup_size(1)
fn main() {
  ${P.preamble()}
  O[0] = total; O[1] = bitcast<u32>(top * 3); O[2] = bitcast<u32>(eps * 2.0); O[3] = select(5u, 9u, on); O[4] = ${P.at('shape', 1)} + tail;
}`;
    rt.dispatch(
      'test:params',
      () => src,
      [out],
      (u, f, i) => P.write(u, f, i, { total: 11, top: -4, eps: 0.25, on: true, shape: [0, 40], tail: 2 }),
      [1, 1, 1],
    );
    const got = new Uint32Array(await rt.read(out, 0, 20));
    rt.releaseBuffer(out);
    expect(got[0]).toBe(11);
    expect(new Int32Array(got.buffer)[1]).toBe(-12);
    expect(new Float32Array(got.buffer)[2]).toBe(0.5);
    expect([got[3], got[4]]).toEqual([9, 42]);
  });
});
