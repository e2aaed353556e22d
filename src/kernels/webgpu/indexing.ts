// indexSelect / gather read by index; indexAdd / scatterAdd accumulate by index. WGSL has no float
// atomics, so accumulation is a compare-exchange loop on the float's bits (the output is zeroed first).
// The ops check their indices before these run (checkValues: an error at the next readback), so an
// index outside [0, size) only has to stay harmless here: it reads as P[7] (NaN, or 0 for integer
// dtypes) and adds nothing, instead of touching another row of the buffer.
import type { DType } from '../backend.js';
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

/**
 * P: [0] total, [1] outer, [2] size, [3] k, [4] inner, [5] offX, [6] offIndex, [7] the bits read for an
 * index out of range.
 * mode 'select': index has k entries shared by all outer/inner; 'gather': index is [outer, k, inner].
 */
export function pickSource(mode: 'select' | 'gather', dtype: DType): string {
  const t = wgslType(dtype);
  const idx = mode === 'select' ? 'I[P[6] + j]' : 'I[P[6] + i]';
  return `@group(0) @binding(0) var<storage, read> X: array<${t}>;
@group(0) @binding(1) var<storage, read> I: array<i32>;
@group(0) @binding(2) var<storage, read_write> O: array<${t}>;
@group(0) @binding(3) var<storage, read> P: array<u32>;
@compute @workgroup_size(${IDX_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${FLAT_INDEX(IDX_WG)}
  if (i >= P[0]) { return; }
  let inner = P[4]; let k = P[3];
  let r = i % inner;
  let j = (i / inner) % k;
  let o = i / (inner * k);
  let src = u32(${idx});
  if (src >= P[2]) { O[i] = bitcast<${t}>(P[7]); return; }
  O[i] = X[P[5] + (o * P[2] + src) * inner + r];
}`;
}

/** Accumulate src [outer, k, inner] into out [outer, size, inner] at the indexed rows. */
export function accumulateSource(mode: 'select' | 'gather'): string {
  const idx = mode === 'select' ? 'I[P[6] + j]' : 'I[P[6] + i]';
  return `@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read> I: array<i32>;
@group(0) @binding(2) var<storage, read_write> O: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read> P: array<u32>;
${ATOMIC_ADD}
@compute @workgroup_size(${IDX_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${FLAT_INDEX(IDX_WG)}
  if (i >= P[0]) { return; }
  let inner = P[4]; let k = P[3];
  let r = i % inner;
  let j = (i / inner) % k;
  let o = i / (inner * k);
  let dst = u32(${idx});
  if (dst >= P[2]) { return; }
  atomic_add_f32((o * P[2] + dst) * inner + r, S[P[5] + i]);
}`;
}
