// Pooling kernels, one output (or, for the avg backward, one input) element per invocation.
import { FLAT_INDEX } from './wgsl.js';

export const POOL_WG = 256;
/** P: [0] total, [1] h, [2] w, [3] oh, [4] ow, [5] kh, [6] kw, [7] sh, [8] sw, [9] ph, [10] pw,
 *  [11] dh, [12] dw, [13] countIncludePad, [14] divisor, [15] offX */
const HEAD = `@group(0) @binding(0) var<storage, read> X: array<f32>;`;
/** NaN tested on the bits: llvmpipe compiles with fast-math, which folds `v != v` to false */
const IS_NAN = 'fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }';

export function maxPoolSource(): string {
  return `${HEAD}
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
@group(0) @binding(2) var<storage, read_write> Idx: array<i32>;
@group(0) @binding(3) var<storage, read> P: array<u32>;
${IS_NAN}
@compute @workgroup_size(${POOL_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${FLAT_INDEX(POOL_WG)}
  if (i >= P[0]) { return; }
  let h = i32(P[1]); let w = i32(P[2]); let oh = P[3]; let ow = P[4];
  let ox = i32(i % ow); let oy = i32((i / ow) % oh); let plane = i / (ow * oh);
  let base = P[15] + plane * u32(h * w);
  var best = -0x1.fffffep+127f; var bi = -1; // -FLT_MAX, exactly (a decimal literal rounds out of f32 range)
  for (var ky = 0; ky < i32(P[5]); ky++) {
    let iy = oy * i32(P[7]) - i32(P[9]) + ky * i32(P[11]);
    if (iy < 0 || iy >= h) { continue; }
    for (var kx = 0; kx < i32(P[6]); kx++) {
      let ix = ox * i32(P[8]) - i32(P[10]) + kx * i32(P[12]);
      if (ix < 0 || ix >= w) { continue; }
      let v = X[base + u32(iy * w + ix)];
      // PyTorch's test: a NaN wins and stays (the last NaN in the window gives the index)
      if ((v > best && !is_nan(best)) || is_nan(v) || bi < 0) { best = v; bi = iy * w + ix; }
    }
  }
  O[i] = best;
  Idx[i] = bi;
}`;
}

const WINDOW = `
fn window(oy: i32, ox: i32) -> vec4<i32> {
  let y0 = oy * i32(P[7]) - i32(P[9]); let x0 = ox * i32(P[8]) - i32(P[10]);
  let y1 = min(y0 + i32(P[5]), i32(P[1]) + i32(P[9])); let x1 = min(x0 + i32(P[6]), i32(P[2]) + i32(P[10]));
  return vec4<i32>(y0, x0, y1, x1);
}
fn divisor(wd: vec4<i32>) -> f32 {
  if (P[14] != 0u) { return f32(P[14]); }
  if (P[13] != 0u) { return f32((wd.z - wd.x) * (wd.w - wd.y)); }
  let ys = max(wd.x, 0); let xs = max(wd.y, 0);
  let ye = min(wd.z, i32(P[1])); let xe = min(wd.w, i32(P[2]));
  return f32((ye - ys) * (xe - xs));
}`;

export function avgPoolSource(): string {
  return `${HEAD}
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
@group(0) @binding(2) var<storage, read> P: array<u32>;
${WINDOW}
@compute @workgroup_size(${POOL_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${FLAT_INDEX(POOL_WG)}
  if (i >= P[0]) { return; }
  let h = i32(P[1]); let w = i32(P[2]); let oh = P[3]; let ow = P[4];
  let ox = i32(i % ow); let oy = i32((i / ow) % oh); let plane = i / (ow * oh);
  let base = P[15] + plane * u32(h * w);
  let wd = window(oy, ox);
  var s = 0.0;
  for (var iy = max(wd.x, 0); iy < min(wd.z, h); iy++) {
    for (var ix = max(wd.y, 0); ix < min(wd.w, w); ix++) { s += X[base + u32(iy * w + ix)]; }
  }
  O[i] = s / divisor(wd);
}`;
}

/** one input element per invocation: sum the gradients of every window that covers it */
export function avgPoolBackwardSource(): string {
  return `${HEAD}
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
@group(0) @binding(2) var<storage, read> P: array<u32>;
${WINDOW}
@compute @workgroup_size(${POOL_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${FLAT_INDEX(POOL_WG)}
  if (i >= P[0]) { return; }
  let h = i32(P[1]); let w = i32(P[2]); let oh = i32(P[3]); let ow = i32(P[4]);
  let ix = i32(i % u32(w)); let iy = i32((i / u32(w)) % u32(h)); let plane = i / u32(h * w);
  let sh = i32(P[7]); let sw = i32(P[8]);
  let base = P[15] + plane * u32(oh * ow);
  var s = 0.0;
  // windows oy with oy*sh - ph <= iy < oy*sh - ph + kh
  let oy0 = max(0, (iy + i32(P[9]) - i32(P[5]) + sh) / sh); let oy1 = min(oh - 1, (iy + i32(P[9])) / sh);
  let ox0 = max(0, (ix + i32(P[10]) - i32(P[6]) + sw) / sw); let ox1 = min(ow - 1, (ix + i32(P[10])) / sw);
  for (var oy = oy0; oy <= oy1; oy++) {
    for (var ox = ox0; ox <= ox1; ox++) {
      let wd = window(oy, ox);
      if (iy >= wd.x && iy < wd.z && ix >= wd.y && ix < wd.w) { s += X[base + u32(oy * ow + ox)] / divisor(wd); }
    }
  }
  O[i] = s;
}`;
}
