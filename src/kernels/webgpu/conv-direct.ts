// Direct 2-D convolution kernels (forward, input gradient, weight gradient), one output element per
// invocation: the fallback for windows too large to unroll in the tiled kernels (conv-tiled.ts).
import { paramBinding, paramBlock } from './params.js';
import { FLAT_INDEX } from './wgsl.js';

export const CONV_WG = 64;
/** total: outputs (one per invocation); offA, offB, offBias: the operands' offsets */
export const DIRECT_PARAMS = paramBlock({
  total: 'u32',
  n: 'u32',
  cIn: 'u32',
  h: 'i32',
  w: 'i32',
  cOut: 'u32',
  kh: 'i32',
  kw: 'i32',
  oh: 'i32',
  ow: 'i32',
  sh: 'i32',
  sw: 'i32',
  ph: 'i32',
  pw: 'i32',
  dh: 'i32',
  dw: 'i32',
  groups: 'u32',
  offA: 'u32',
  offB: 'u32',
  offBias: 'u32',
});
/** the parameters, the per-group channel counts and the flat index, with an early return past the outputs */
const HEAD_MAIN = `${DIRECT_PARAMS.preamble()}
  let cg = cIn / groups; let og = cOut / groups;
  ${FLAT_INDEX(CONV_WG)}
  if (i >= total) { return; }`;

const HEAD = (bias: boolean) => `@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
${bias ? '@group(0) @binding(2) var<storage, read> Bias: array<f32>;' : ''}
@group(0) @binding(${bias ? 3 : 2}) var<storage, read_write> O: array<f32>;
${paramBinding(bias ? 4 : 3)}`;

/** A = x [n, cIn, h, w], B = weight [cOut, cIn/groups, kh, kw] → out [n, cOut, oh, ow] */
export function convForwardSource(bias: boolean): string {
  return `${HEAD(bias)}
@compute @workgroup_size(${CONV_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${HEAD_MAIN}
  let ox = i32(i % u32(ow)); let oy = i32((i / u32(ow)) % u32(oh));
  let oc = (i / u32(ow * oh)) % cOut; let b = i / (u32(ow * oh) * cOut);
  let g = oc / og;
  var acc = ${bias ? 'Bias[offBias + oc]' : '0.0'};
  for (var ic = 0u; ic < cg; ic++) {
    let xBase = offA + ((b * cIn + g * cg + ic) * u32(h)) * u32(w);
    let wBase = offB + (oc * cg + ic) * u32(kh * kw);
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
  ${HEAD_MAIN}
  let ix = i32(i % u32(w)); let iy = i32((i / u32(w)) % u32(h));
  let c = (i / u32(w * h)) % cIn; let b = i / (u32(w * h) * cIn);
  let g = c / cg; let ic = c % cg;
  var acc = 0.0;
  for (var j = 0u; j < og; j++) {
    let oc = g * og + j;
    let gBase = offA + (b * cOut + oc) * u32(oh * ow);
    let wBase = offB + (oc * cg + ic) * u32(kh * kw);
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
  ${HEAD_MAIN}
  let kx = i32(i % u32(kw)); let ky = i32((i / u32(kw)) % u32(kh));
  let ic = (i / u32(kw * kh)) % cg; let oc = i / (u32(kw * kh) * cg);
  let g = oc / og;
  var acc = 0.0;
  for (var b = 0u; b < n; b++) {
    let gBase = offA + (b * cOut + oc) * u32(oh * ow);
    let xBase = offB + ((b * cIn + g * cg + ic) * u32(h)) * u32(w);
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
