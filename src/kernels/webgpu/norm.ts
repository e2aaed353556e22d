// Batch norm kernels over a dense input seen as [outer, c, inner] (N, channels, spatial).
//
// Statistics and gradient sums: one workgroup per channel. Its lanes are split into a
// (lanes over outer) × (lanes over inner) block once, so the loops need no division per element (a
// vector integer division is scalarised on software adapters), and no permuted copy of the input is
// made; rows whose length and offset allow it are read as vec4. Two passes for the variance (mean
// first, then squared deviations), as exact as the composed ops were. On llvmpipe (bench/kernels/
// norm.ts) 64-lane workgroups whose partial sums one lane adds up (two barriers) beat 256-lane tree
// reductions by 2-13x: a barrier costs a software adapter a pass over the workgroup's invocations.
//
// Normalise and input gradient: one invocation per element (four on the vec4 path). With enough
// spatial extent the grid is [inner blocks, c, outer], so the channel is the workgroup's y index;
// otherwise a flat grid derives it from the element index.
import { paramBinding, paramBlock } from './params.js';
import { FLAT_INDEX } from './wgsl.js';

export const APPLY_WG = 64;

/** knobs the kernel benchmark flips (bench/kernels/norm.ts) */
export const normOptions = { wg: 64, serial: true, vec: true };

/** lanes across `inner` (in vector units) in a statistics workgroup: a power of two, at most the workgroup */
export function innerLanes(innerUnits: number): number {
  let t = 1;
  while (t < innerUnits && t < normOptions.wg) t *= 2;
  return t;
}
/** statistics kernels read vec4s when every channel row starts on a 16-byte boundary */
export const statsVec = (inner: number, offsets: number[]) =>
  normOptions.vec && inner % 4 === 0 && offsets.every((o) => o % 4 === 0) ? 4 : 1;

/** the element grid for the normalise / input-gradient kernels */
export type ApplyLayout = { kind: 'planes'; vec: 1 | 4 } | { kind: 'flat' };

export function applyLayout(outer: number, c: number, inner: number, offsetsAligned: boolean): ApplyLayout {
  if (inner < 32 || outer > 65535 || c > 65535) return { kind: 'flat' };
  return { kind: 'planes', vec: inner % 4 === 0 && offsetsAligned ? 4 : 1 };
}
export function applyGroups(l: ApplyLayout, outer: number, c: number, inner: number): [number, number, number] {
  if (l.kind === 'flat') {
    const groups = Math.ceil((outer * c * inner) / APPLY_WG);
    if (groups <= 65535) return [groups, 1, 1];
    const y = Math.ceil(groups / 65535);
    return [Math.ceil(groups / y), y, 1];
  }
  return [Math.ceil(inner / (APPLY_WG * l.vec)), c, outer];
}

/**
 * Shared by the per-channel reductions: the lane split, the strided loop over one channel (body sees
 * `e`, the element — or with vec 4 the vec4 — index from the binding's start, offset excluded), and
 * a workgroup sum of a T value: the partials are written, then one lane adds them in order (two
 * barriers; `serial: false` is the log2(wg)-barrier tree, kept for the benchmark).
 */
function reductionParts(T: string, vec: number) {
  const wg = normOptions.wg;
  const lanes = `let tr = lanes;
  let rl = t % tr;
  let ol = t / tr;
  let to = ${wg}u / tr;
  let rowLen = inner / ${vec}u;`;
  const loop = (body: string) => `
  for (var o = ol; o < outer; o += to) {
    let base = (o * c + ch) * rowLen;
    for (var r = rl; r < rowLen; r += tr) {
      let e = base + r;
      ${body}
    }
  }`;
  const wsum = normOptions.serial
    ? `var<workgroup> red: array<${T}, ${wg}>;
var<workgroup> total: ${T};
fn wsum(t: u32, v: ${T}) -> ${T} {
  red[t] = v;
  workgroupBarrier();
  if (t == 0u) {
    var s = red[0];
    for (var k = 1u; k < ${wg}u; k++) { s += red[k]; }
    total = s;
  }
  let r = workgroupUniformLoad(&total);
  return r;
}`
    : `var<workgroup> red: array<${T}, ${wg}>;
fn wsum(t: u32, v: ${T}) -> ${T} {
  red[t] = v;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) { red[t] = red[t] + red[t + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}`;
  return { lanes, loop, wsum, wg };
}
const hsum = (vec: number, e: string) => (vec === 4 ? `dot(${e}, vec4<f32>(1.0))` : e);

/** statistics: lanes over inner (innerLanes); momentum, offRM, offRV for the running statistics */
export const BN_STATS_PARAMS = paramBlock({
  outer: 'u32',
  c: 'u32',
  inner: 'u32',
  offX: 'u32',
  lanes: 'u32',
  momentum: 'f32',
  offRM: 'u32',
  offRV: 'u32',
});
/** gradient sums */
export const BN_SUMS_PARAMS = paramBlock({
  outer: 'u32',
  c: 'u32',
  inner: 'u32',
  offG: 'u32',
  lanes: 'u32',
  eps: 'f32',
  offX: 'u32',
  offMean: 'u32',
  offVar: 'u32',
});
/** normalise: hasW / hasB flag a present weight / bias; offR: the residual's offset */
export const BN_FORWARD_PARAMS = paramBlock({
  outer: 'u32',
  c: 'u32',
  inner: 'u32',
  offX: 'u32',
  offMean: 'u32',
  offVar: 'u32',
  offW: 'u32',
  offB: 'u32',
  eps: 'f32',
  hasW: 'bool',
  hasB: 'bool',
  offR: 'u32',
});
/** input gradient */
export const BN_BACKWARD_INPUT_PARAMS = paramBlock({
  outer: 'u32',
  c: 'u32',
  inner: 'u32',
  offG: 'u32',
  offX: 'u32',
  offMean: 'u32',
  offVar: 'u32',
  offW: 'u32',
  offSums: 'u32',
  eps: 'f32',
  hasW: 'bool',
});

/**
 * Per-channel mean and biased variance → S [2c]. With `running`, lane 0 also updates RM / RV in place.
 */
export function bnStatsSource(running: boolean, vec: number): string {
  const V = vec === 4 ? 'vec4<f32>' : 'f32';
  const { lanes, loop, wsum, wg } = reductionParts('f32', vec);
  return `@group(0) @binding(0) var<storage, read> X: array<${V}>;
@group(0) @binding(1) var<storage, read_write> S: array<f32>;
${
  running
    ? `@group(0) @binding(2) var<storage, read_write> RM: array<f32>;
@group(0) @binding(3) var<storage, read_write> RV: array<f32>;`
    : ''
}
${paramBinding(running ? 4 : 2)}
${wsum}
@compute @workgroup_size(${wg})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = lid.x;
  let ch = wid.x;
  ${BN_STATS_PARAMS.preamble()}
  let off = offX / ${vec}u;
  let m = f32(outer * inner);
  ${lanes}
  var s = ${V}(0.0);
  ${loop('s += X[off + e];')}
  let mean = wsum(t, ${hsum(vec, 's')}) / m;
  var q = ${V}(0.0);
  ${loop('let d = X[off + e] - mean; q += d * d;')}
  let qs = wsum(t, ${hsum(vec, 'q')});
  if (t == 0u) {
    S[ch] = mean;
    S[c + ch] = qs / m;
    ${
      running
        ? `let k = momentum;
    RM[offRM + ch] = (1.0 - k) * RM[offRM + ch] + k * mean;
    RV[offRV + ch] = (1.0 - k) * RV[offRV + ch] + k * qs / (m - 1.0);`
        : ''
    }
  }
}`;
}

/** Σ g and Σ g·x̂ per channel → S [2c]. */
export function bnSumsSource(vec: number): string {
  const V = vec === 4 ? 'vec4<f32>' : 'f32';
  const { lanes, loop, wsum, wg } = reductionParts('vec2<f32>', vec);
  return `@group(0) @binding(0) var<storage, read> G: array<${V}>;
@group(0) @binding(1) var<storage, read> X: array<${V}>;
@group(0) @binding(2) var<storage, read> M: array<f32>;
@group(0) @binding(3) var<storage, read> V: array<f32>;
@group(0) @binding(4) var<storage, read_write> S: array<f32>;
${paramBinding(5)}
${wsum}
@compute @workgroup_size(${wg})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = lid.x;
  let ch = wid.x;
  ${BN_SUMS_PARAMS.preamble()}
  let gOff = offG / ${vec}u; let xOff = offX / ${vec}u;
  let mu = M[offMean + ch];
  ${lanes}
  var sg = ${V}(0.0);
  var sgx = ${V}(0.0);
  ${loop('let g = G[gOff + e]; sg += g; sgx += g * (X[xOff + e] - mu);')}
  let r = wsum(t, vec2<f32>(${hsum(vec, 'sg')}, ${hsum(vec, 'sgx')}));
  if (t == 0u) {
    S[ch] = r.x;
    S[c + ch] = r.y / sqrt(V[offVar + ch] + eps);
  }
}`;
}

/** the element this invocation handles (vec elements from `e`), its channel, or an early return */
function elementHead(l: ApplyLayout): string {
  if (l.kind === 'flat') {
    return `${FLAT_INDEX(APPLY_WG)}
  if (i >= outer * c * inner) { return; }
  let e = i;
  let ch = (i / inner) % c;`;
  }
  return `let r = (wid.x * ${APPLY_WG}u + lid.x) * ${l.vec}u;
  if (r >= inner) { return; }
  let ch = wid.y;
  let e = (wid.z * c + ch) * inner + r;`;
}
/** the entry point of the element kernels, with the parameters' lets */
const ENTRY = (preamble: string) => `@compute @workgroup_size(${APPLY_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  ${preamble}`;
const vt = (l: ApplyLayout) => (l.kind === 'planes' && l.vec === 4 ? 'vec4<f32>' : 'f32');
/** read element(s) at element index `e` + the offset `off` (the vec path indexes in vec4 units) */
const at = (l: ApplyLayout, name: string, off: string) =>
  l.kind === 'planes' && l.vec === 4 ? `${name}[(${off} + e) / 4u]` : `${name}[${off} + e]`;
const outAt = (l: ApplyLayout) => (l.kind === 'planes' && l.vec === 4 ? 'O[e / 4u]' : 'O[e]');

/** the fused epilogue of the normalise kernel: + residual, then relu (eval BatchNorm + ReLU) */
export interface ForwardEpilogue {
  residual: boolean;
  relu: boolean;
}
export const epilogueKey = (e: ForwardEpilogue) => `${e.residual ? ':res' : ''}${e.relu ? ':relu' : ''}`;

/**
 * y = (x - mean) · w · rstd + b [+ r] [then relu]. Absent weight / bias are flagged (their
 * binding holds any buffer).
 */
export function bnForwardSource(l: ApplyLayout, ep: ForwardEpilogue = { residual: false, relu: false }): string {
  const T = vt(l);
  const r = ep.residual ? 1 : 0;
  let y = `(${at(l, 'X', 'offX')} - M[offMean + ch]) * scale + b`;
  if (ep.residual) y = `${y} + ${at(l, 'R', 'offR')}`;
  // relu as PyTorch's clamp_min(y, 0): y < 0 → 0, NaN and -0 kept. The test is on the bits (the
  // negative patterns -FLT_TRUE_MIN ... -inf), as in the relu kernel: llvmpipe compiles float
  // comparisons with fast-math, which may assume no NaN.
  const U = l.kind === 'planes' && l.vec === 4 ? 'vec4<u32>' : 'u32';
  const store = ep.relu
    ? `let y = ${y};\n  ${outAt(l)} = select(y, ${T}(0.0), bitcast<${U}>(y) - ${U}(0x80000001u) < ${U}(0x7f800000u));`
    : `${outAt(l)} = ${y};`;
  return `@group(0) @binding(0) var<storage, read> X: array<${T}>;
@group(0) @binding(1) var<storage, read> M: array<f32>;
@group(0) @binding(2) var<storage, read> V: array<f32>;
@group(0) @binding(3) var<storage, read> W: array<f32>;
@group(0) @binding(4) var<storage, read> B: array<f32>;
${ep.residual ? `@group(0) @binding(5) var<storage, read> R: array<${T}>;\n` : ''}@group(0) @binding(${5 + r}) var<storage, read_write> O: array<${T}>;
${paramBinding(6 + r)}
${ENTRY(BN_FORWARD_PARAMS.preamble())}
  ${elementHead(l)}
  let w = select(1.0, W[offW + ch], hasW);
  let b = select(0.0, B[offB + ch], hasB);
  let scale = w / sqrt(V[offVar + ch] + eps);
  ${store}
}`;
}

/**
 * dx = w · rstd · (g - Σg/M - x̂ · Σ(g·x̂)/M) (batch statistics) or w · rstd · g (fixed statistics).
 */
export function bnBackwardInputSource(l: ApplyLayout, batchStats: boolean): string {
  const T = vt(l);
  const decl = batchStats
    ? `@group(0) @binding(0) var<storage, read> G: array<${T}>;
@group(0) @binding(1) var<storage, read> X: array<${T}>;
@group(0) @binding(2) var<storage, read> M: array<f32>;
@group(0) @binding(3) var<storage, read> V: array<f32>;
@group(0) @binding(4) var<storage, read> W: array<f32>;
@group(0) @binding(5) var<storage, read> S: array<f32>;
@group(0) @binding(6) var<storage, read_write> O: array<${T}>;
${paramBinding(7)}`
    : `@group(0) @binding(0) var<storage, read> G: array<${T}>;
@group(0) @binding(1) var<storage, read> V: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> O: array<${T}>;
${paramBinding(4)}`;
  const body = batchStats
    ? `let m = f32(outer * inner);
  let gm = S[offSums + ch] / m;
  let k = S[offSums + c + ch] / m * rstd;
  ${outAt(l)} = (${at(l, 'G', 'offG')} - gm - (${at(l, 'X', 'offX')} - M[offMean + ch]) * k) * scale;`
    : `${outAt(l)} = ${at(l, 'G', 'offG')} * scale;`;
  return `${decl}
${ENTRY(BN_BACKWARD_INPUT_PARAMS.preamble())}
  ${elementHead(l)}
  let rstd = 1.0 / sqrt(V[offVar + ch] + eps);
  let scale = select(1.0, W[offW + ch], hasW) * rstd;
  ${body}
}`;
}
