// Pooling kernels, one output (or, for the avg backward, one input) element per invocation.
import { paramBinding, paramBlock } from './params.js';
import { FLAT_INDEX } from './wgsl.js';

export const POOL_WG = 256;
/** total: outputs (inputs for the avg backward); divisorOverride: avg pooling's divisor, 0 for none;
 *  offX: the read operand's offset */
export const POOL_PARAMS = paramBlock({
  total: 'u32',
  h: 'i32',
  w: 'i32',
  oh: 'u32',
  ow: 'u32',
  kh: 'i32',
  kw: 'i32',
  sh: 'i32',
  sw: 'i32',
  ph: 'i32',
  pw: 'i32',
  dh: 'i32',
  dw: 'i32',
  countIncludePad: 'bool',
  divisorOverride: 'u32',
  offX: 'u32',
});
const ref = (name: Parameters<typeof POOL_PARAMS.ref>[0]) => POOL_PARAMS.ref(name);
const HEAD = `@group(0) @binding(0) var<storage, read> X: array<f32>;`;
/** NaN tested on the bits: llvmpipe compiles with fast-math, which folds `v != v` to false */
const IS_NAN = 'fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }';

export function maxPoolSource(): string {
  return `${HEAD}
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
@group(0) @binding(2) var<storage, read_write> Idx: array<i32>;
${paramBinding(3)}
${IS_NAN}
@compute @workgroup_size(${POOL_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${POOL_PARAMS.preamble()}
  ${FLAT_INDEX(POOL_WG)}
  if (i >= total) { return; }
  let ox = i32(i % ow); let oy = i32((i / ow) % oh); let plane = i / (ow * oh);
  let base = offX + plane * u32(h * w);
  var best = -0x1.fffffep+127f; var bi = -1; // -FLT_MAX, exactly (a decimal literal rounds out of f32 range)
  for (var ky = 0; ky < kh; ky++) {
    let iy = oy * sh - ph + ky * dh;
    if (iy < 0 || iy >= h) { continue; }
    for (var kx = 0; kx < kw; kx++) {
      let ix = ox * sw - pw + kx * dw;
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

// module-scope functions: the parameters by reference (main's lets are not in scope here)
const WINDOW = `
fn window(oy: i32, ox: i32) -> vec4<i32> {
  let y0 = oy * ${ref('sh')} - ${ref('ph')}; let x0 = ox * ${ref('sw')} - ${ref('pw')};
  let y1 = min(y0 + ${ref('kh')}, ${ref('h')} + ${ref('ph')}); let x1 = min(x0 + ${ref('kw')}, ${ref('w')} + ${ref('pw')});
  return vec4<i32>(y0, x0, y1, x1);
}
fn divisor(wd: vec4<i32>) -> f32 {
  if (${ref('divisorOverride')} != 0u) { return f32(${ref('divisorOverride')}); }
  if ${ref('countIncludePad')} { return f32((wd.z - wd.x) * (wd.w - wd.y)); }
  let ys = max(wd.x, 0); let xs = max(wd.y, 0);
  let ye = min(wd.z, ${ref('h')}); let xe = min(wd.w, ${ref('w')});
  return f32((ye - ys) * (xe - xs));
}`;

export function avgPoolSource(): string {
  return `${HEAD}
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
${paramBinding(2)}
${WINDOW}
@compute @workgroup_size(${POOL_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${POOL_PARAMS.preamble()}
  ${FLAT_INDEX(POOL_WG)}
  if (i >= total) { return; }
  let ox = i32(i % ow); let oy = i32((i / ow) % oh); let plane = i / (ow * oh);
  let base = offX + plane * u32(h * w);
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
${paramBinding(2)}
${WINDOW}
@compute @workgroup_size(${POOL_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${POOL_PARAMS.preamble(['total', 'h', 'w', 'kh', 'kw', 'sh', 'sw', 'ph', 'pw', 'offX'])}
  ${FLAT_INDEX(POOL_WG)}
  if (i >= total) { return; }
  // the output extent as i32 here
  let oh = i32(${ref('oh')}); let ow = i32(${ref('ow')});
  let ix = i32(i % u32(w)); let iy = i32((i / u32(w)) % u32(h)); let plane = i / u32(h * w);
  let base = offX + plane * u32(oh * ow);
  var s = 0.0;
  // windows oy with oy*sh - ph <= iy < oy*sh - ph + kh
  let oy0 = max(0, (iy + ph - kh + sh) / sh); let oy1 = min(oh - 1, (iy + ph) / sh);
  let ox0 = max(0, (ix + pw - kw + sw) / sw); let ox1 = min(ow - 1, (ix + pw) / sw);
  for (var oy = oy0; oy <= oy1; oy++) {
    for (var ox = ox0; ox <= ox1; ox++) {
      let wd = window(oy, ox);
      if (iy >= wd.x && iy < wd.z && ix >= wd.y && ix < wd.w) { s += X[base + u32(oy * ow + ox)] / divisor(wd); }
    }
  }
  O[i] = s;
}`;
}
