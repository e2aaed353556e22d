// Direct 2-D convolution kernels (forward, input gradient, weight gradient), one output element per
// invocation: the fallback for windows too large to unroll in the tiled kernels (conv-tiled.ts).
import { FLAT_INDEX } from './wgsl.js';

export const CONV_WG = 64;
/** P: [0] total, [1] n, [2] cIn, [3] h, [4] w, [5] cOut, [6] kh, [7] kw, [8] oh, [9] ow, [10] sh,
 *  [11] sw, [12] ph, [13] pw, [14] dh, [15] dw, [16] groups, [17] offA, [18] offB, [19] offBias */
const DIMS = `let n = P[1]; let cIn = P[2]; let h = i32(P[3]); let w = i32(P[4]); let cOut = P[5];
  let kh = i32(P[6]); let kw = i32(P[7]); let oh = i32(P[8]); let ow = i32(P[9]);
  let sh = i32(P[10]); let sw = i32(P[11]); let ph = i32(P[12]); let pw = i32(P[13]);
  let dh = i32(P[14]); let dw = i32(P[15]); let groups = P[16];
  let cg = cIn / groups; let og = cOut / groups;`;

const HEAD = (bias: boolean) => `@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
${bias ? '@group(0) @binding(2) var<storage, read> Bias: array<f32>;' : ''}
@group(0) @binding(${bias ? 3 : 2}) var<storage, read_write> O: array<f32>;
@group(0) @binding(${bias ? 4 : 3}) var<storage, read> P: array<u32>;`;

/** A = x [n, cIn, h, w], B = weight [cOut, cIn/groups, kh, kw] → out [n, cOut, oh, ow] */
export function convForwardSource(bias: boolean): string {
  return `${HEAD(bias)}
@compute @workgroup_size(${CONV_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${FLAT_INDEX(CONV_WG)}
  if (i >= P[0]) { return; }
  ${DIMS}
  let ox = i32(i % u32(ow)); let oy = i32((i / u32(ow)) % u32(oh));
  let oc = (i / u32(ow * oh)) % cOut; let b = i / (u32(ow * oh) * cOut);
  let g = oc / og;
  var acc = ${bias ? 'Bias[P[19] + oc]' : '0.0'};
  for (var ic = 0u; ic < cg; ic++) {
    let xBase = P[17] + ((b * cIn + g * cg + ic) * u32(h)) * u32(w);
    let wBase = P[18] + (oc * cg + ic) * u32(kh * kw);
    for (var ky = 0; ky < kh; ky++) {
      let iy = oy * sh - ph + ky * dh;
      if (iy < 0 || iy >= h) { continue; }
      for (var kx = 0; kx < kw; kx++) {
        let ix = ox * sw - pw + kx * dw;
        if (ix < 0 || ix >= w) { continue; }
        acc += A[xBase + u32(iy * w + ix)] * B[wBase + u32(ky * kw + kx)];
      }
    }
  }
  O[i] = acc;
}`;
}

/** A = gy [n, cOut, oh, ow], B = weight → gx [n, cIn, h, w] */
export function convBackwardInputSource(): string {
  return `${HEAD(false)}
@compute @workgroup_size(${CONV_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${FLAT_INDEX(CONV_WG)}
  if (i >= P[0]) { return; }
  ${DIMS}
  let ix = i32(i % u32(w)); let iy = i32((i / u32(w)) % u32(h));
  let c = (i / u32(w * h)) % cIn; let b = i / (u32(w * h) * cIn);
  let g = c / cg; let ic = c % cg;
  var acc = 0.0;
  for (var j = 0u; j < og; j++) {
    let oc = g * og + j;
    let gBase = P[17] + (b * cOut + oc) * u32(oh * ow);
    let wBase = P[18] + (oc * cg + ic) * u32(kh * kw);
    for (var ky = 0; ky < kh; ky++) {
      let ty = iy + ph - ky * dh;
      if (ty < 0 || ty % sh != 0) { continue; }
      let oy = ty / sh;
      if (oy >= oh) { continue; }
      for (var kx = 0; kx < kw; kx++) {
        let tx = ix + pw - kx * dw;
        if (tx < 0 || tx % sw != 0) { continue; }
        let ox = tx / sw;
        if (ox >= ow) { continue; }
        acc += A[gBase + u32(oy * ow + ox)] * B[wBase + u32(ky * kw + kx)];
      }
    }
  }
  O[i] = acc;
}`;
}

/** A = gy [n, cOut, oh, ow], B = x [n, cIn, h, w] → gw [cOut, cIn/groups, kh, kw] */
export function convBackwardWeightSource(): string {
  return `${HEAD(false)}
@compute @workgroup_size(${CONV_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${FLAT_INDEX(CONV_WG)}
  if (i >= P[0]) { return; }
  ${DIMS}
  let kx = i32(i % u32(kw)); let ky = i32((i / u32(kw)) % u32(kh));
  let ic = (i / u32(kw * kh)) % cg; let oc = i / (u32(kw * kh) * cg);
  let g = oc / og;
  var acc = 0.0;
  for (var b = 0u; b < n; b++) {
    let gBase = P[17] + (b * cOut + oc) * u32(oh * ow);
    let xBase = P[18] + ((b * cIn + g * cg + ic) * u32(h)) * u32(w);
    for (var oy = 0; oy < oh; oy++) {
      let iy = oy * sh - ph + ky * dh;
      if (iy < 0 || iy >= h) { continue; }
      for (var ox = 0; ox < ow; ox++) {
        let ix = ox * sw - pw + kx * dw;
        if (ix < 0 || ix >= w) { continue; }
        acc += A[gBase + u32(oy * ow + ox)] * B[xBase + u32(iy * w + ix)];
      }
    }
  }
  O[i] = acc;
}`;
}
