// WGSL for depthwise convolutions (groups == cIn, cOut = M·cIn with a small channel multiplier M):
// forward, input gradient and weight gradient. The generic tiled kernels (conv-tiled.ts) spend
// their registers on a block of output channels that all read the same input channels; with one
// input channel per group that block is 1 (or M) wide, and what is left is a zero-padded copy of
// the input and scalar weight loads per channel — measured ~1 GFLOP/s on llvmpipe.
//
// Here an invocation owns one channel plane and a band of R output rows and walks the band's
// columns TN at a time (a runtime loop with a uniform trip count). What llvmpipe makes expensive is
// every storage access with a non-uniform address (a per-lane loop, about the same cost per float
// whether it is a scalar or a vec4), while arithmetic runs 8 lanes at once. So:
// - the input is read in place, as scalars, with the address clamped and the value selected to 0
//   outside the image (vector arithmetic; no padded copy, no pass over the input before the work);
// - the weights of the channel (M·kh·kw scalars) are loaded once per invocation, not per tile;
// - input columns two neighbouring tiles share are carried in registers from one tile to the next,
//   so a stride-1 3×3 forward loads each input value (R + 2)/R times, not (R + 2)(TN + 2)/(R·TN);
// - the tile geometry is compiled in: every (output, tap) pair is an unrolled FMA whose operands
//   are known at compile time; the input gradient (a transposed convolution) is the same gather
//   with, for each output position of a tile aligned to the stride, only the taps that reach it.
// The weight gradient sums, per (image, band), gy·x over the band into M·kh·kw partials; a second
// pass (sumLeadingSource) adds the partials of every (image, band).
import type { ConvGeom } from './conv-tiled.js';
import { paramBinding, paramBlock } from './params.js';

export interface DwGeom extends ConvGeom {
  ph: number;
  pw: number;
}
/**
 * compile-time tile: R output rows × TN output columns per step; M the channel multiplier; v4: the
 * rows TN = 4 columns at a time cross (the output's in the gather kernels, gy's in the weight
 * gradient) are whole aligned vec4s (row length and offset multiples of 4), so each is one vec4
 * access instead of 4 masked scalar ones (stores measured ~40 % of the forward on llvmpipe)
 */
export interface DwTile {
  R: number;
  TN: number;
  M: number;
  wg: number;
  v4: boolean;
}

const range = (k: number) => Array.from({ length: k }, (_, i) => i);
const mod = (a: number, m: number) => ((a % m) + m) % m;
const uniq = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);
/** `base + k` as WGSL i32 arithmetic (no unary minus on a literal) */
const plus = (base: string, k: number) => (k >= 0 ? `(${base} + ${k})` : `(${base} - ${-k})`);

/** One tap feeding an output position: input row/column offsets (from the tile's input base) and the weight tap. */
interface Tap {
  ro: number;
  co: number;
  t: number;
}

/** forward: output (r, q) reads input (r·sh - ph + ky·dh, q·sw - pw + kx·dw) relative to (oy0·sh, ox0·sw) */
function forwardTaps(g: DwGeom, R: number, TN: number): Tap[][] {
  return range(R * TN).map((i) => {
    const r = Math.floor(i / TN),
      q = i % TN;
    return range(g.kh * g.kw).map((t) => {
      const ky = Math.floor(t / g.kw),
        kx = t % g.kw;
      return { ro: r * g.sh - g.ph + ky * g.dh, co: q * g.sw - g.pw + kx * g.dw, t };
    });
  });
}

/**
 * input gradient: gx (r, q) receives gy (o_r, o_q)·w[ky, kx] where o·s - p + k·d = position, i.e.
 * for the taps with (r + ph - ky·dh) divisible by sh, at row (r + ph - ky·dh)/sh relative to
 * iy0/sh (R and TN are multiples of the strides, so that base is exact and the taps per position
 * are fixed at compile time).
 */
function inputGradTaps(g: DwGeom, R: number, TN: number): Tap[][] {
  return range(R * TN).map((i) => {
    const r = Math.floor(i / TN),
      q = i % TN;
    const taps: Tap[] = [];
    for (const ky of range(g.kh)) {
      const vy = r + g.ph - ky * g.dh;
      if (mod(vy, g.sh) !== 0) continue;
      for (const kx of range(g.kw)) {
        const vx = q + g.pw - kx * g.dw;
        if (mod(vx, g.sw) === 0) taps.push({ ro: vy / g.sh, co: vx / g.sw, t: ky * g.kw + kx });
      }
    }
    return taps;
  });
}

/** tile sides for stride s: 4 rounded up to a multiple of s (the input gradient needs multiples) */
export const dwSide = (s: number) => Math.ceil(4 / s) * s;

/**
 * Input loads of one tile step, with the columns shared with the next step carried in registers.
 * Emits, per plane i and input row: the row's clamped address (once per invocation) and its values
 * `x{i}_{row}_{col}` per step (loaded, or taken from the carry). Returns the code pieces.
 */
function tileLoads(rows: number[], cols: number[], step: number, planes: number) {
  const carried = cols.filter((c) => cols.includes(c + step));
  const ri = (ro: number) => rows.indexOf(ro),
    ci = (co: number) => cols.indexOf(co);
  const name = (i: number, ro: number, co: number) => `x${i}_${ri(ro)}_${ci(co)}`;
  /** a clamped, masked scalar load; column validity from the step's `cok`/`ca` lets, or inline (`cb` given) */
  const load = (i: number, ro: number, co: number, cb?: string) => {
    const ok = cb ? `u32(${plus(cb, co)}) < wIn` : `cok${ci(co)}`;
    const at = cb ? `u32(select(0, ${plus(cb, co)}, ${ok}))` : `ca${ci(co)}`;
    return `select(0.0, X[ra${i}_${ri(ro)} + ${at}], rok${ri(ro)} && ${ok})`;
  };
  const setup: string[] = [];
  for (const [j, ro] of rows.entries()) {
    setup.push(`  let ry${j} = ${plus('rowBase', ro)}; let rok${j} = u32(ry${j}) < hIn;`);
    for (const i of range(planes))
      setup.push(`  let ra${i}_${j} = inBase${i} + u32(select(0, ry${j}, rok${j})) * wIn;`);
  }
  // the carried columns of the first step
  for (const i of range(planes))
    for (const ro of rows)
      for (const co of carried) setup.push(`  var k${name(i, ro, co)} = ${load(i, ro, co, 'colBase')};`);
  /** per step whose first column is `cb`: the loaded columns' validity and clamped offsets */
  const columns = (cb: string) =>
    cols
      .filter((co) => !carried.includes(co))
      .map(
        (co) =>
          `    let cx${ci(co)} = ${plus(cb, co)}; let cok${ci(co)} = u32(cx${ci(co)}) < wIn; let ca${ci(co)} = u32(select(0, cx${ci(co)}, cok${ci(co)}));`,
      );
  /** the values of input row `ro` at one step */
  const row = (ro: number) =>
    range(planes).flatMap((i) =>
      cols.map(
        (co) => `    let ${name(i, ro, co)} = ${carried.includes(co) ? `k${name(i, ro, co)}` : load(i, ro, co)};`,
      ),
    );
  const carry = range(planes).flatMap((i) =>
    rows.flatMap((ro) => carried.map((co) => `    k${name(i, ro, co)} = ${name(i, ro, co + step)};`)),
  );
  return { setup, columns, row, carry, name };
}

/**
 * Every depthwise kernel's slot: lanes = n·C·bands; hIn/wIn, hOut/wOut: the read and the written
 * planes' sizes (the weight gradient: x's and gy's); offIn, offW, offBias: the X, W and Bias
 * bindings' offsets (the weight gradient binds gy as W and has no bias).
 */
export const DW_PARAMS = paramBlock({
  lanes: 'u32',
  C: 'u32',
  bands: 'u32',
  hIn: 'u32',
  wIn: 'u32',
  hOut: 'u32',
  wOut: 'u32',
  tilesX: 'u32',
  offIn: 'u32',
  offW: 'u32',
  offBias: 'u32',
});

const HEAD = (
  bias: boolean,
  wg: number,
  v4W = false,
  v4O = false,
) => `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<${v4W ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(2) var<storage, read_write> O: array<${v4O ? 'vec4<f32>' : 'f32'}>;
${bias ? '@group(0) @binding(3) var<storage, read> Bias: array<f32>;\n' : ''}${paramBinding(bias ? 4 : 3)}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${DW_PARAMS.preamble()}
  let live = gid.x + gid.y * nwg.x * ${wg}u;
  let lane = min(live, lanes - 1u);
  let band = lane % bands; let p = lane / bands; let c = p % C;
  let oy0 = band * `;

/**
 * Forward ('fwd': x → y, one input plane, M output planes) or input gradient ('bgx': gy → gx, M
 * input planes summed into one). Lane → (plane p = b·C + c, band), the band fastest; the invocation
 * walks tilesX steps of TN columns. Outputs are written in place, rows and columns past the edge
 * masked. Parameters: DW_PARAMS (C = cIn).
 */
export function dwGatherSource(kind: 'fwd' | 'bgx', g: DwGeom, t: DwTile, bias: boolean): string {
  const { R, TN, M } = t;
  const fwd = kind === 'fwd';
  const taps = fwd ? forwardTaps(g, R, TN) : inputGradTaps(g, R, TN);
  const rows = uniq(taps.flat().map((x) => x.ro)),
    cols = uniq(taps.flat().map((x) => x.co));
  const step = fwd ? TN * g.sw : TN / g.sw;
  const inPlanes = fwd ? 1 : M,
    outPlanes = fwd ? M : 1;
  const ld = tileLoads(rows, cols, step, inPlanes);
  const kk = g.kh * g.kw;
  const v4 = t.v4 && TN === 4;
  const L: string[] = [`${HEAD(bias && fwd, t.wg, false, v4)}${R}u;`];
  L.push(`  let rowBase = i32(${fwd ? `oy0 * ${g.sh}u` : `oy0 / ${g.sh}u`});`);
  L.push(`  let colBase = 0;`);
  for (const i of range(inPlanes)) L.push(`  let inBase${i} = offIn + (p * ${inPlanes}u + ${i}u) * hIn * wIn;`);
  for (const m of range(M))
    for (const k of range(kk)) L.push(`  let w${m}_${k} = W[offW + (c * ${M}u + ${m}u) * ${kk}u + ${k}u];`);
  for (const o of range(outPlanes)) {
    L.push(`  let ob${o} = (p * ${outPlanes}u + ${o}u) * hOut * wOut;`);
    L.push(`  let b${o} = ${bias && fwd ? `Bias[offBias + c * ${M}u + ${o}u]` : '0.0'};`);
  }
  for (const r of range(R)) L.push(`  let rowOk${r} = live < lanes && oy0 + ${r}u < hOut;`);
  L.push(...ld.setup);
  L.push(`  for (var tx = 0u; tx < tilesX; tx++) {
    let cb = i32(tx * ${step}u);`);
  L.push(...ld.columns('cb'));
  for (const o of range(outPlanes)) for (const i of range(R * TN)) L.push(`    var a${o}_${i} = b${o};`);
  // row by row: load an input row, then every multiply-add that reads it
  for (const ro of rows) {
    L.push(...ld.row(ro));
    for (const [i, list] of taps.entries())
      for (const tp of list.filter((x) => x.ro === ro))
        for (const m of range(M)) {
          const o = fwd ? m : 0,
            src = fwd ? 0 : m;
          L.push(`    a${o}_${i} = fma(${ld.name(src, tp.ro, tp.co)}, w${m}_${tp.t}, a${o}_${i});`);
        }
  }
  L.push(...ld.carry);
  for (const q of range(TN)) L.push(`    let ox${q} = tx * ${TN}u + ${q}u; let colOk${q} = ox${q} < wOut;`);
  for (const o of range(outPlanes))
    for (const r of range(R)) {
      if (v4)
        L.push(
          `    if (rowOk${r}) { O[(ob${o} + (oy0 + ${r}u) * wOut) / 4u + tx] = vec4<f32>(${range(4)
            .map((q) => `a${o}_${r * TN + q}`)
            .join(', ')}); }`,
        );
      else
        for (const q of range(TN))
          L.push(
            `    if (rowOk${r} && colOk${q}) { O[ob${o} + (oy0 + ${r}u) * wOut + ox${q}] = a${o}_${r * TN + q}; }`,
          );
    }
  L.push(`  }`, `}`);
  return L.join('\n');
}

/**
 * Weight-gradient partials: lane → (plane p = b·C + c, band) as above; the invocation sums
 * gy[b, c·M + m, oy, ox]·x[b, c, oy·sh - ph + ky·dh, ox·sw - pw + kx·dw] over its band's R rows and
 * every column, into S[(b·bands + band)·C·M·taps + (c·M + m)·taps + tap]; sumLeadingSource then adds
 * the n·bands partials of each weight.
 * Bindings: X = x, W = gy (read), O = partials. Parameters: DW_PARAMS.
 */
export function dwWeightGradSource(g: DwGeom, t: DwTile): string {
  const { R, TN, M } = t;
  const taps = forwardTaps(g, R, TN);
  const rows = uniq(taps.flat().map((x) => x.ro)),
    cols = uniq(taps.flat().map((x) => x.co));
  const ld = tileLoads(rows, cols, TN * g.sw, 1);
  const kk = g.kh * g.kw;
  const v4 = t.v4 && TN === 4;
  const L: string[] = [`${HEAD(false, t.wg, v4)}${R}u;`];
  L.push(`  let rowBase = i32(oy0 * ${g.sh}u);`, `  let colBase = 0;`, `  let inBase0 = offIn + p * hIn * wIn;`);
  for (const m of range(M)) L.push(`  let gb${m} = offW + (p * ${M}u + ${m}u) * hOut * wOut;`);
  // gy rows past the image read row 0 and count as 0
  for (const r of range(R))
    L.push(`  let rowOk${r} = oy0 + ${r}u < hOut; let gr${r} = select(0u, oy0 + ${r}u, rowOk${r}) * wOut;`);
  for (const m of range(M)) for (const k of range(kk)) L.push(`  var s${m}_${k} = 0.0;`);
  L.push(...ld.setup);
  L.push(`  for (var tx = 0u; tx < tilesX; tx++) {
    let cb = i32(tx * ${TN * g.sw}u);`);
  L.push(...ld.columns('cb'));
  for (const q of range(TN))
    L.push(
      `    let ox${q} = tx * ${TN}u + ${q}u; let colOk${q} = ox${q} < wOut; let oc${q} = select(0u, ox${q}, colOk${q});`,
    );
  for (const m of range(M))
    for (const r of range(R)) {
      if (v4) {
        L.push(`    let gv${m}_${r} = select(vec4<f32>(0.0), W[(gb${m} + gr${r}) / 4u + tx], rowOk${r});`);
        for (const q of range(TN)) L.push(`    let g${m}_${r * TN + q} = gv${m}_${r}[${q}];`);
      } else {
        for (const q of range(TN))
          L.push(`    let g${m}_${r * TN + q} = select(0.0, W[gb${m} + gr${r} + oc${q}], rowOk${r} && colOk${q});`);
      }
    }
  for (const ro of rows) {
    L.push(...ld.row(ro));
    for (const m of range(M))
      for (const k of range(kk)) {
        const terms = taps.flatMap((list, i) =>
          list.filter((x) => x.ro === ro && x.t === k).map((x) => `g${m}_${i} * ${ld.name(0, x.ro, x.co)}`),
        );
        if (terms.length) L.push(`    s${m}_${k} += ${terms.join(' + ')};`);
      }
  }
  L.push(...ld.carry, `  }`);
  L.push(`  if (live >= lanes) { return; }`);
  L.push(`  let dst = ((p / C) * bands + band) * C * ${M * kk}u + c * ${M * kk}u;`);
  for (const m of range(M)) for (const k of range(kk)) L.push(`  O[dst + ${m * kk + k}u] = s${m}_${k};`);
  L.push(`}`);
  return L.join('\n');
}
