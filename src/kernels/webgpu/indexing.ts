// indexSelect / gather read by index; indexAdd / scatterAdd accumulate by index. WGSL has no float
// atomics, so accumulation is a compare-exchange loop on the float's bits (the output is zeroed first).
// The ops check their indices before these run (checkValues: an error at the next readback), so an
// index outside [0, size) only has to stay harmless here: it reads as `missing` (NaN, or 0 for integer
// dtypes) and adds nothing, instead of touching another row of the buffer.
import type { DType } from '../backend.js';
import { paramBinding, paramBlock } from './params.js';
import { FLAT_INDEX, wgslType } from './wgsl.js';

export const IDX_WG = 256;

const ATOMIC_ADD = /* wgsl */ `
fn atomic_add_f32(idx: u32, v: f32) {
  var old = atomicLoad(&O[idx]);
  loop {
    let r = atomicCompareExchangeWeak(&O[idx], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }
}`;

/** Both kernels: offData is the read operand's offset (x, or src for the accumulation); missing holds
 *  the bits an out-of-range index reads (pick only). */
export const INDEX_PARAMS = paramBlock({
  total: 'u32',
  outer: 'u32',
  size: 'u32',
  k: 'u32',
  inner: 'u32',
  offData: 'u32',
  offIndex: 'u32',
  missing: 'u32',
});
/** a quiet NaN's bits, what Float32Array stores for NaN */
export const NAN_BITS = 0x7fc00000;

/**
 * mode 'select': index has k entries shared by all outer/inner; 'gather': index is [outer, k, inner].
 */
export function pickSource(mode: 'select' | 'gather', dtype: DType): string {
  const t = wgslType(dtype);
  const idx = mode === 'select' ? 'I[offIndex + j]' : 'I[offIndex + i]';
  return `@group(0) @binding(0) var<storage, read> X: array<${t}>;
@group(0) @binding(1) var<storage, read> I: array<i32>;
@group(0) @binding(2) var<storage, read_write> O: array<${t}>;
${paramBinding(3)}
@compute @workgroup_size(${IDX_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${INDEX_PARAMS.preamble()}
  ${FLAT_INDEX(IDX_WG)}
  if (i >= total) { return; }
  let r = i % inner;
  let j = (i / inner) % k;
  let o = i / (inner * k);
  let src = u32(${idx});
  if (src >= size) { O[i] = bitcast<${t}>(missing); return; }
  O[i] = X[offData + (o * size + src) * inner + r];
}`;
}

/** Accumulate src [outer, k, inner] into out [outer, size, inner] at the indexed rows. */
export function accumulateSource(mode: 'select' | 'gather'): string {
  const idx = mode === 'select' ? 'I[offIndex + j]' : 'I[offIndex + i]';
  return `@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read> I: array<i32>;
@group(0) @binding(2) var<storage, read_write> O: array<atomic<u32>>;
${paramBinding(3)}
${ATOMIC_ADD}
@compute @workgroup_size(${IDX_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${INDEX_PARAMS.preamble()}
  ${FLAT_INDEX(IDX_WG)}
  if (i >= total) { return; }
  let r = i % inner;
  let j = (i / inner) % k;
  let o = i / (inner * k);
  let dst = u32(${idx});
  if (dst >= size) { return; }
  atomic_add_f32((o * size + dst) * inner + r, S[offData + i]);
}`;
}
