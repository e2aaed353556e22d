// Fused softmax cross-entropy over dense logits [rows, c] with int32 class indices: the forward
// takes one invocation per row (max, log-sum-exp, the target's logit); the backward one invocation
// per logit (softmax from the saved log-sum-exp, minus the one-hot target, times the row's gradient).
import { errorFlagWgsl } from './error-flag.js';
import { FLAT_INDEX } from './wgsl.js';

export const LOSS_WG = 64;

/**
 * out [3, rows]: loss, weight, logsumexp; a target out of range raises the error flag (error-flag.ts)
 * with the check's site. P: [0] rows, [1] c, [2] offX, [3] offT, [4] ignoreIndex (i32), [5] NaN, [6] site
 */
export function crossEntropyForwardSource(): string {
  return `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<i32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
${errorFlagWgsl(3)}
@group(0) @binding(4) var<storage, read> P: array<u32>;
@compute @workgroup_size(${LOSS_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${FLAT_INDEX(LOSS_WG)}
  let rows = P[0]; let c = P[1];
  if (i >= rows) { return; }
  let base = P[2] + i * c;
  var m = X[base];
  for (var j = 1u; j < c; j++) { m = max(m, X[base + j]); }
  var s = 0.0;
  for (var j = 0u; j < c; j++) { s += exp(X[base + j] - m); }
  let lse = m + log(s);
  let t = T[P[3] + i];
  let ignored = t == bitcast<i32>(P[4]);
  var loss = 0.0;
  if (!ignored) {
    // an out-of-range class gives NaN (P[5] holds its bits: WGSL cannot spell a NaN constant)
    let valid = t >= 0 && u32(t) < c;
    if (!valid) { ft_raise(P[6], bitcast<u32>(t), i); }
    loss = select(bitcast<f32>(P[5]), lse - X[base + u32(min(max(t, 0), i32(c) - 1))], valid);
  }
  O[i] = loss;
  O[rows + i] = select(1.0, 0.0, ignored);
  O[2u * rows + i] = lse;
}`;
}

/**
 * dx = (exp(x - lse[r]) - [j == t[r]]) · G[r · gStride] (/ D[0] when divided); 0 on rows whose target
 * is ignored or out of range. P: [0] rows, [1] c, [2] offX, [3] offT, [4] ignoreIndex, [5] offLse,
 * [6] offG, [7] gStride, [8] offD, [9] divided
 */
export function crossEntropyBackwardSource(): string {
  return `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<i32>;
@group(0) @binding(2) var<storage, read> L: array<f32>;
@group(0) @binding(3) var<storage, read> G: array<f32>;
@group(0) @binding(4) var<storage, read> D: array<f32>;
@group(0) @binding(5) var<storage, read_write> O: array<f32>;
@group(0) @binding(6) var<storage, read> P: array<u32>;
@compute @workgroup_size(${LOSS_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${FLAT_INDEX(LOSS_WG)}
  let c = P[1];
  if (i >= P[0] * c) { return; }
  let r = i / c;
  let j = i - r * c;
  let t = T[P[3] + r];
  let valid = t != bitcast<i32>(P[4]) && t >= 0 && u32(t) < c;
  var g = G[P[6] + r * P[7]];
  if (P[9] != 0u) { g = g / D[P[8]]; }
  let p = exp(X[P[2] + i] - L[P[5] + r]) - select(0.0, 1.0, i32(j) == t);
  O[i] = select(0.0, p * g, valid);
}`;
}
