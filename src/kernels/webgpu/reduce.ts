// Row reductions over a contiguous [rows, cols] input. Many rows: one invocation per row. Few long
// rows: one workgroup per row, strided partial results combined through workgroup memory.
import type { DType, ReduceOp } from '../backend.js';
import { paramBinding, paramBlock } from './params.js';
import { wgslType } from './wgsl.js';

export const RED_WG = 64;

// max/min start from the row's first element (rows are never empty for them), so no infinite
// constant is needed (WGSL cannot spell one) and all -inf rows still reduce to -inf
const INIT = (op: ReduceOp) => (op === 'sum' ? '0.0' : 'f32(X[base])');
/** combine (acc, ai) with (v, vi); NaN wins, as in PyTorch (in the workgroup tree two NaNs tie, so the
 *  first index wins as for equal values). NaN is tested on the bits: llvmpipe
 *  compiles with fast-math, which folds `v != v` to false. */
function combine(op: ReduceOp): string {
  if (op === 'sum') return 'acc = acc + v;';
  const better = op === 'max' || op === 'argmax' ? 'v > acc' : 'v < acc';
  return `if ((${better} || is_nan(v)) && !is_nan(acc)) { acc = v; ai = vi; }`;
}
const IS_NAN = 'fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }';

/** row reductions: offset of the first row's first element */
export const REDUCE_PARAMS = paramBlock({ rows: 'u32', cols: 'u32', offset: 'u32' });
/** middle-dim reductions: total = outer·inner outputs */
export const REDUCE_AXIS_PARAMS = paramBlock({ total: 'u32', size: 'u32', offset: 'u32', inner: 'u32' });

export function reduceSource(op: ReduceOp, dtype: DType, perRow: 'thread' | 'workgroup'): string {
  const isArg = op === 'argmax' || op === 'argmin';
  const outT = isArg ? 'i32' : wgslType(dtype);
  const store = isArg ? 'i32(ai)' : dtype === 'float32' ? 'acc' : 'i32(acc)';
  const head = `@group(0) @binding(0) var<storage, read> X: array<${wgslType(dtype)}>;
@group(0) @binding(1) var<storage, read_write> O: array<${outT}>;
${paramBinding(2)}
${IS_NAN}`;
  if (perRow === 'thread') {
    return `${head}
@compute @workgroup_size(${RED_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${REDUCE_PARAMS.preamble()}
  let r = gid.x + gid.y * nwg.x * ${RED_WG}u;
  if (r >= rows) { return; }
  let base = offset + r * cols;
  var acc: f32 = ${INIT(op)};
  var ai: u32 = 0u;
  for (var c = 0u; c < cols; c++) {
    let v = f32(X[base + c]);
    let vi = c;
    ${combine(op)}
  }
  O[r] = ${store};
}`;
  }
  return `${head}
var<workgroup> sv: array<f32, ${RED_WG}>;
var<workgroup> si: array<u32, ${RED_WG}>;
@compute @workgroup_size(${RED_WG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = wid.x + wid.y * nwg.x;
  let t = lid.x;
  ${REDUCE_PARAMS.preamble()}
  let base = offset + r * cols;
  var acc: f32 = 0.0;
  var ai: u32 = 0u;
  if (r < rows) {
    acc = ${INIT(op)};
    for (var c = t; c < cols; c += ${RED_WG}u) {
      let v = f32(X[base + c]);
      let vi = c;
      ${combine(op)}
    }
  }
  sv[t] = acc;
  si[t] = ai;
  workgroupBarrier();
  for (var s = ${RED_WG / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) {
      acc = sv[t];
      ai = si[t];
      let v = sv[t + s];
      let vi = si[t + s];
      ${op === 'sum' ? 'acc = acc + v;' : `${combine(op)} else if ((v == acc || (is_nan(v) && is_nan(acc))) && vi < ai) { ai = vi; }`}
      sv[t] = acc;
      si[t] = ai;
    }
    workgroupBarrier();
  }
  if (t == 0u && r < rows) {
    acc = sv[0];
    ai = si[0];
    O[r] = ${store};
  }
}`;
}

/**
 * Reduce the middle dim of a contiguous [outer, size, inner] input: one invocation per output
 * (o, i) walks k with stride `inner`, so neighbouring lanes read neighbouring elements and no
 * permuted copy of the input is needed. Parameters: REDUCE_AXIS_PARAMS.
 */
export function reduceAxisSource(op: ReduceOp, dtype: DType): string {
  const isArg = op === 'argmax' || op === 'argmin';
  const outT = isArg ? 'i32' : wgslType(dtype);
  const store = isArg ? 'i32(ai)' : dtype === 'float32' ? 'acc' : 'i32(acc)';
  return `@group(0) @binding(0) var<storage, read> X: array<${wgslType(dtype)}>;
@group(0) @binding(1) var<storage, read_write> O: array<${outT}>;
${paramBinding(2)}
${IS_NAN}
@compute @workgroup_size(${RED_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${REDUCE_AXIS_PARAMS.preamble()}
  let r = gid.x + gid.y * nwg.x * ${RED_WG}u;
  if (r >= total) { return; }
  let o = r / inner;
  let base = offset + o * size * inner + (r - o * inner);
  var acc: f32 = ${INIT(op)};
  var ai: u32 = 0u;
  for (var k = 0u; k < size; k++) {
    let v = f32(X[base + k * inner]);
    let vi = k;
    ${combine(op)}
  }
  O[r] = ${store};
}`;
}
