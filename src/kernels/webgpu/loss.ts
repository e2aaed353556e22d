// Fused softmax cross-entropy over dense logits [rows, c] with int32 class indices: the forward
// takes one invocation per row (max, log-sum-exp, the target's logit); the backward one invocation
// per logit (softmax from the saved log-sum-exp, minus the one-hot target, times the row's gradient).
import { errorFlagWgsl } from './error-flag.js';
import { paramBinding, paramBlock } from './params.js';
import { FLAT_INDEX } from './wgsl.js';

export const LOSS_WG = 64;

/** nan: a NaN (WGSL cannot spell a NaN constant); site: the range check's error-flag site */
export const CE_FORWARD_PARAMS = paramBlock({
  rows: 'u32',
  c: 'u32',
  offX: 'u32',
  offT: 'u32',
  ignoreIndex: 'i32',
  nan: 'f32',
  site: 'u32',
});
/** offD / divided: the divisor's offset and whether there is one */
export const CE_BACKWARD_PARAMS = paramBlock({
  rows: 'u32',
  c: 'u32',
  offX: 'u32',
  offT: 'u32',
  ignoreIndex: 'i32',
  offLse: 'u32',
  offG: 'u32',
  gStride: 'u32',
  offD: 'u32',
  divided: 'bool',
});

/**
 * out [3, rows]: loss, weight, logsumexp; a target out of range raises the error flag (error-flag.ts)
 * with the check's site.
 */
export function crossEntropyForwardSource(): string {
  return `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<i32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
${errorFlagWgsl(3)}
${paramBinding(4)}
@compute @workgroup_size(${LOSS_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${FLAT_INDEX(LOSS_WG)}
  ${CE_FORWARD_PARAMS.preamble()}
  if (i >= rows) { return; }
  let base = offX + i * c;
  var m = X[base];
  for (var j = 1u; j < c; j++) { m = max(m, X[base + j]); }
  var s = 0.0;
  for (var j = 0u; j < c; j++) { s += exp(X[base + j] - m); }
  let lse = m + log(s);
  let t = T[offT + i];
  let ignored = t == ignoreIndex;
  var loss = 0.0;
  if (!ignored) {
    // an out-of-range class gives NaN
    let valid = t >= 0 && u32(t) < c;
    if (!valid) { ft_raise(site, bitcast<u32>(t), i); }
    loss = select(nan, lse - X[base + u32(min(max(t, 0), i32(c) - 1))], valid);
  }
  O[i] = loss;
  O[rows + i] = select(1.0, 0.0, ignored);
  O[2u * rows + i] = lse;
}`;
}

/**
 * dx = (exp(x - lse[r]) - [j == t[r]]) · G[r · gStride] (/ D[0] when divided); 0 on rows whose target
 * is ignored or out of range.
 */
export function crossEntropyBackwardSource(): string {
  return `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<i32>;
@group(0) @binding(2) var<storage, read> L: array<f32>;
@group(0) @binding(3) var<storage, read> G: array<f32>;
@group(0) @binding(4) var<storage, read> D: array<f32>;
@group(0) @binding(5) var<storage, read_write> O: array<f32>;
${paramBinding(6)}
@compute @workgroup_size(${LOSS_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${FLAT_INDEX(LOSS_WG)}
  ${CE_BACKWARD_PARAMS.preamble()}
  if (i >= rows * c) { return; }
  let r = i / c;
  let j = i - r * c;
  let t = T[offT + r];
  let valid = t != ignoreIndex && t >= 0 && u32(t) < c;
  var g = G[offG + r * gStride];
  if (divided) { g = g / D[offD]; }
  let p = exp(X[offX + i] - L[offLse + r]) - select(0.0, 1.0, i32(j) == t);
  O[i] = select(0.0, p * g, valid);
}`;
}
