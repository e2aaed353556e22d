// The small passes around the tiled convolution kernels (conv-tiled.ts) and the depthwise ones:
// zero-padded input copies, the weight re-layouts the tiled kernels read, interleaving phase outputs,
// dropping row padding, and the sums, bias and zero fills that finish a result. Each decodes its
// indices once per row or block, not per element (DESIGN.md, the llvmpipe rule).
import { paramBinding, paramBlock } from './params.js';
import { passKernel } from './wgsl.js';

/**
 * Zero-padded copy, one invocation per output row (planes·hp rows): out[p, r, c] = x[p, r - top,
 * c - left] where in range, else 0; out rows are wp (a multiple of 4) long. top/left may be
 * negative (cropping). rows = planes·hp; rowsPerZ: rows per z-slice of the grid.
 */
export const PAD_PARAMS = paramBlock({
  rows: 'u32',
  h: 'i32',
  w: 'i32',
  hp: 'u32',
  wp4: 'u32',
  top: 'i32',
  left: 'i32',
  offX: 'u32',
  rowsPerZ: 'u32',
});
export function padSource(): string {
  return `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<vec4<f32>>;
${paramBinding(2)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${PAD_PARAMS.preamble()}
  let row = gid.x + gid.z * rowsPerZ;
  if (row >= rows) { return; }
  let p = row / hp;
  let iy = i32(row % hp) - top;
  let rowOk = iy >= 0 && iy < h;
  let src = offX + (p * u32(h) + u32(select(0, iy, rowOk))) * u32(w);
  for (var c4 = 0u; c4 < wp4; c4++) {
    var v = vec4<f32>(0.0);
    for (var j = 0; j < 4; j++) {
      let ix = i32(c4) * 4 + j - left;
      let ok = rowOk && ix >= 0 && ix < w;
      v[j] = select(0.0, X[src + u32(select(0, ix, ok))], ok);
    }
    O[row * wp4 + c4] = v;
  }
}`;
}

/**
 * Weights laid out for the tiled forward kernel: out[blk, i, tap, m] with blk = group·blocks + j
 * and new output channel o = group·og + j·tm + m (zero where j·tm + m ≥ og). One invocation per
 * (blk, i) pair writes its tm·taps values: the index arithmetic (runtime divisions, scalarised per
 * lane on a software adapter, where a per-element version measured ~17 ns an element) runs once
 * per pair, not once per element.
 * mode 0 (forward): the weight as is, w[o, i, tap]; pairs = groups·ocb·ig (ocb blocks per group,
 *   ig input channels per group).
 * mode 1 (one phase of the input gradient, a stride-1 convolution of the output gradient): the new
 *   conv's output channels are the input channels of w and its input channels the output ones; new
 *   tap (a, b) of a KY×KX window (taps = KY·KX, winW = KX) is the original tap (ky0 - a·stepY,
 *   kx0 - b·stepX) for a < tapsY, b < tapsX, else 0 (a flipped, possibly strided, sub-window); kh,
 *   kw are w's. Mode 0 leaves these 0.
 */
export const WEIGHT_LAYOUT_PARAMS = paramBlock({
  pairs: 'u32',
  ocb: 'u32',
  og: 'u32',
  ig: 'u32',
  taps: 'u32',
  offW: 'u32',
  winW: 'u32',
  ky0: 'u32',
  stepY: 'u32',
  tapsY: 'u32',
  kx0: 'u32',
  stepX: 'u32',
  tapsX: 'u32',
  kh: 'u32',
  kw: 'u32',
});
export function weightLayoutSource(tm: number, mode: 0 | 1): string {
  // a tap's tm values are contiguous in the output: stored as vec4s when tm allows (each store, like
  // each load, is a per-lane loop on a software adapter)
  const q = tm % 4 === 0 ? 4 : 1;
  const V = q === 4 ? 'vec4<f32>' : 'f32';
  const load = (m: string) =>
    mode === 0
      ? `select(0.0, Wsrc[src + min(o0 + ${m}, og - 1u) * ig * taps + tap], o0 + ${m} < og)`
      : `select(0.0, Wsrc[src + min(o0 + ${m}, og - 1u) * kk + ky * kw + kx], valid && o0 + ${m} < og)`;
  const value = (m0: number) =>
    q === 4 ? `vec4<f32>(${[0, 1, 2, 3].map((j) => load(`${m0 + j}u`)).join(', ')})` : load(`${m0}u`);
  const stores = Array.from(
    { length: tm / q },
    (_, j) => `      O[(dst + tap * ${tm}u) / ${q}u + ${j}u] = ${value(j * q)};`,
  ).join('\n');
  return passKernel(
    'Wsrc: array<f32>',
    `O: array<${V}>`,
    'pair',
    `  ${mode === 0 ? WEIGHT_LAYOUT_PARAMS.preamble(['pairs', 'ocb', 'og', 'ig', 'taps', 'offW']) : WEIGHT_LAYOUT_PARAMS.preamble()}
  if (pair >= pairs) { return; }
  let ic = pair % ig; let blk = pair / ig;
  let grp = blk / ocb; let o0 = (blk % ocb) * ${tm}u;
  let dst = pair * taps * ${tm}u;
  ${
    mode === 0
      ? `let src = offW + (grp * og * ig + ic) * taps;
  for (var tap = 0u; tap < taps; tap++) {
${stores}
  }`
      : `let kk = kh * kw;
  let src = offW + (grp * ig + ic) * og * kk;
  var ta = 0u; var tb = 0u;
  for (var tap = 0u; tap < taps; tap++) {
    let valid = ta < tapsY && tb < tapsX;
    let ky = select(0u, ky0 - ta * stepY, valid); let kx = select(0u, kx0 - tb * stepX, valid);
${stores}
    tb++;
    if (tb == winW) { tb = 0u; ta++; }
  }`
  }`,
  );
}

/**
 * Scatter one phase of the input gradient into place: out[p, cy + sy·j, cx + sx·i] = src[p, j, i].
 * One invocation per source row (rows = planes·hc).
 */
export const INTERLEAVE_PARAMS = paramBlock({
  rows: 'u32',
  hc: 'u32',
  wc: 'u32',
  h: 'u32',
  w: 'u32',
  cy: 'u32',
  cx: 'u32',
  sy: 'u32',
  sx: 'u32',
});
export function interleaveSource(): string {
  return passKernel(
    'S: array<f32>',
    'O: array<f32>',
    'row',
    `  ${INTERLEAVE_PARAMS.preamble()}
  if (row >= rows) { return; }
  let p = row / hc; let j = row % hc;
  let dst = (p * h + cy + sy * j) * w + cx;
  for (var i = 0u; i < wc; i++) { O[dst + sx * i] = S[row * wc + i]; }`,
  );
}

/** Drop the row padding: out[r, c] = src[r, c] for c < w, rows of wp4·4 floats in src. */
export const UNPAD_PARAMS = paramBlock({ rows: 'u32', w: 'u32', wp4: 'u32' });
export function unpadRowsSource(): string {
  return passKernel(
    'S: array<vec4<f32>>',
    'O: array<f32>',
    'row',
    `  ${UNPAD_PARAMS.preamble()}
  if (row >= rows) { return; }
  for (var c4 = 0u; c4 < wp4; c4++) {
    let v = S[row * wp4 + c4];
    for (var j = 0u; j < 4u; j++) {
      if (c4 * 4u + j < w) { O[row * w + c4 * 4u + j] = v[j]; }
    }
  }`,
  );
}

/**
 * Sum the weight-gradient partials over the splits and lay them out as [cOut, cg, kh, kw]: one
 * invocation per (lane, block channel m) pair, summing that pair's run of taps (its index
 * arithmetic, runtime divisions, once per run rather than per element). A lane's block holds
 * tm × (its taps): all kh·kw taps of one input channel, or with `rowKh` (row split) the kw taps of
 * one kernel row, its lanes then running over (channel, row). pairs = lanes·tm; icPad: lanes per
 * block (padded); taps = kh·kw; lTaps: taps per lane; perLane: floats per lane; rowKh: 0 without
 * a row split.
 */
export const WGRAD_SUM_PARAMS = paramBlock({
  pairs: 'u32',
  splits: 'u32',
  lanes: 'u32',
  cg: 'u32',
  og: 'u32',
  ocb: 'u32',
  icPad: 'u32',
  taps: 'u32',
  lTaps: 'u32',
  perLane: 'u32',
  rowKh: 'u32',
  kw: 'u32',
});
export function wgradSumSource(tm: number): string {
  return passKernel(
    'S: array<f32>',
    'O: array<f32>',
    'pair',
    `  ${WGRAD_SUM_PARAMS.preamble()}
  if (pair >= pairs) { return; }
  let m = pair % ${tm}u; let lane = pair / ${tm}u;
  let inner = lane % icPad; let blk = lane / icPad;
  let grp = blk / ocb; let o = (blk % ocb) * ${tm}u + m;
  var icl = inner; var ky = 0u;
  if (rowKh > 0u) { icl = inner / rowKh; ky = inner % rowKh; }
  if (o >= og || icl >= cg) { return; }
  let src = lane * perLane + m * lTaps;
  let dst = ((grp * og + o) * cg + icl) * taps + ky * kw;
  let stride = lanes * perLane;
  for (var t = 0u; t < lTaps; t++) {
    var s = 0.0;
    for (var k = 0u; k < splits; k++) { s += S[k * stride + src + t]; }
    O[dst + t] = s;
  }`,
  );
}

/** In place: O[i] += Bias[offBias + (i / hw) % c] over [n, c, hw] (total elements). */
export const CHANNEL_BIAS_PARAMS = paramBlock({ total: 'u32', hw: 'u32', c: 'u32', offBias: 'u32' });
export function channelBiasSource(): string {
  return `@group(0) @binding(0) var<storage, read_write> O: array<f32>;
@group(0) @binding(1) var<storage, read> Bias: array<f32>;
${paramBinding(2)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${CHANNEL_BIAS_PARAMS.preamble()}
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i < total) { O[i] += Bias[offBias + (i / hw) % c]; }
}`;
}

/** out[i] = Σ_b S[b·len + i], b < count */
export const SUM_LEADING_PARAMS = paramBlock({ len: 'u32', count: 'u32' });
export function sumLeadingSource(): string {
  return passKernel(
    'S: array<f32>',
    'O: array<f32>',
    'i',
    `  ${SUM_LEADING_PARAMS.preamble()}
  if (i >= len) { return; }
  var s = 0.0;
  for (var b = 0u; b < count; b++) { s += S[b * len + i]; }
  O[i] = s;`,
  );
}

/** Fill len floats with zeros (outputs of empty reductions). */
export const ZERO_PARAMS = paramBlock({ len: 'u32' });
export function zeroSource(): string {
  return `@group(0) @binding(0) var<storage, read_write> O: array<f32>;
${paramBinding(1)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${ZERO_PARAMS.preamble()}
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i < len) { O[i] = 0.0; }
}`;
}
