// Register-tiled direct convolution kernels (implicit GEMM, no im2col buffer): forward (which also
// serves each phase of the input gradient, a stride-1 convolution of the padded output gradient
// with a flipped, channel-swapped sub-window of the weight) and weight gradient, plus the small
// layout passes they read from.
//
// What is slow on a software adapter (Mesa llvmpipe, where a workgroup runs as SIMD lanes on a CPU
// core) decides the shapes here. Measured on Mesa 25.0: every storage load whose address is not a
// compile-time constant runs as a per-lane loop with a bounds check per component (~30
// instructions per lane for a vec4), even when the address is the same in every lane; arithmetic
// is one instruction for 8 lanes; subgroupBroadcast / subgroupShuffleDown are a few instructions.
// So every kernel keeps a block of outputs in registers, reuses each loaded vec4 as often as it
// can, and (where the device has subgroups) loads data the lanes share only once per subgroup:
// - forward: an invocation computes TM output channels × R output rows × TN (=4) output columns;
//   per input channel it loads its patch rows as aligned vec4s (with subgroups only the vec4 its
//   own tile starts with, the rest shuffled from the lanes to its right) and the TM × kh × kw
//   weights (from a copy laid out [block, ic, tap, TM]; with subgroups one vec4 per lane, then
//   broadcast). Large windows loop over kernel rows instead of unrolling the whole window.
// - weight gradient: an invocation computes TM output channels × one input channel (or one kernel
//   row of it, for large windows) × its taps, walking the output pixels 4 at a time and `rw` rows
//   at once; the TM output-gradient vec4s of a step are loaded once per subgroup and broadcast. A
//   split over (image, row) ranges plus a final sum keeps enough workgroups busy.
// Inputs are read from zero-padded copies whose rows are a multiple of 4 floats long and cover the
// last tile's overhang, so inner loops have no bounds tests and every vec4 is aligned. Overhang
// lanes are clamped rather than returned early: a divergent exit would put the whole loop under
// an execution mask. The kernel geometry (kh, kw, strides, dilations) is compiled in.
import { paramBinding, paramBlock } from './params.js';
import { passKernel } from './wgsl.js';

/** compile-time geometry of a tiled kernel */
export interface ConvGeom { kh: number; kw: number; sh: number; sw: number; dh: number; dw: number }
/**
 * sg: subgroup size the kernel is compiled for (0: no subgroup operations); rowLoop: walk the
 * kernel rows in a loop instead of unrolling the whole window (large windows)
 */
export interface FwdTile { tm: number; rows: number; wg: number; sg: number; rowLoop?: boolean }
export interface WgradTile { tm: number; wg: number; rw: number; sg: number; rowSplit?: boolean }
/** output columns per forward invocation, and pixels per weight-gradient step */
export const TN = 4;

const range = (k: number) => Array.from({ length: k }, (_, i) => i);
const C = ['x', 'y', 'z', 'w'];

/** Input columns a run of `tn` output columns touches, relative to its first (ox0·sw, padded). */
export function tileColumns(g: ConvGeom, tn: number): number[] {
  return [...new Set(range(tn).flatMap((q) => range(g.kw).map((kx) => q * g.sw + kx * g.dw)))].sort((a, b) => a - b);
}
/** vec4s loaded per input row for a run of TN output columns */
export const vec4sPerRow = (g: ConvGeom) => Math.ceil((Math.max(...tileColumns(g, TN)) + 1) / 4);

/**
 * Zero-padded copy, one invocation per output row (planes·hp rows): out[p, r, c] = x[p, r - top,
 * c - left] where in range, else 0; out rows are wp (a multiple of 4) long. top/left may be
 * negative (cropping). rows = planes·hp; rowsPerZ: rows per z-slice of the grid.
 */
export const PAD_PARAMS = paramBlock({
  rows: 'u32', h: 'i32', w: 'i32', hp: 'u32', wp4: 'u32', top: 'i32', left: 'i32', offX: 'u32', rowsPerZ: 'u32',
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
  pairs: 'u32', ocb: 'u32', og: 'u32', ig: 'u32', taps: 'u32', offW: 'u32',
  winW: 'u32', ky0: 'u32', stepY: 'u32', tapsY: 'u32', kx0: 'u32', stepX: 'u32', tapsX: 'u32', kh: 'u32', kw: 'u32',
});
export function weightLayoutSource(tm: number, mode: 0 | 1): string {
  // a tap's tm values are contiguous in the output: stored as vec4s when tm allows (each store, like
  // each load, is a per-lane loop on a software adapter)
  const q = tm % 4 === 0 ? 4 : 1;
  const V = q === 4 ? 'vec4<f32>' : 'f32';
  const load = (m: string) => mode === 0
    ? `select(0.0, Wsrc[src + min(o0 + ${m}, og - 1u) * ig * taps + tap], o0 + ${m} < og)`
    : `select(0.0, Wsrc[src + min(o0 + ${m}, og - 1u) * kk + ky * kw + kx], valid && o0 + ${m} < og)`;
  const value = (m0: number) => (q === 4 ? `vec4<f32>(${[0, 1, 2, 3].map((j) => load(`${m0 + j}u`)).join(', ')})` : load(`${m0}u`));
  const stores = Array.from({ length: tm / q }, (_, j) => `      O[(dst + tap * ${tm}u) / ${q}u + ${j}u] = ${value(j * q)};`).join('\n');
  return passKernel('Wsrc: array<f32>', `O: array<${V}>`, 'pair', `  ${mode === 0 ? WEIGHT_LAYOUT_PARAMS.preamble(['pairs', 'ocb', 'og', 'ig', 'taps', 'offW']) : WEIGHT_LAYOUT_PARAMS.preamble()}
  if (pair >= pairs) { return; }
  let ic = pair % ig; let blk = pair / ig;
  let grp = blk / ocb; let o0 = (blk % ocb) * ${tm}u;
  let dst = pair * taps * ${tm}u;
  ${mode === 0
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
  }`}`);
}

/**
 * Scatter one phase of the input gradient into place: out[p, cy + sy·j, cx + sx·i] = src[p, j, i].
 * One invocation per source row (rows = planes·hc).
 */
export const INTERLEAVE_PARAMS = paramBlock({
  rows: 'u32', hc: 'u32', wc: 'u32', h: 'u32', w: 'u32', cy: 'u32', cx: 'u32', sy: 'u32', sx: 'u32',
});
export function interleaveSource(): string {
  return passKernel('S: array<f32>', 'O: array<f32>', 'row', `  ${INTERLEAVE_PARAMS.preamble()}
  if (row >= rows) { return; }
  let p = row / hc; let j = row % hc;
  let dst = (p * h + cy + sy * j) * w + cx;
  for (var i = 0u; i < wc; i++) { O[dst + sx * i] = S[row * wc + i]; }`);
}

/**
 * Forward over a padded input Xp [n, cIn, hp, wp] and a laid-out weight. Grid: x = groups·blocks
 * (fastest, so a pixel block meets every channel block while it is in cache), y (and z beyond the
 * per-dimension limit) = pixel-tile workgroups.
 * Output: [n, cOut, oh, tilesX·4] (rows padded to whole tiles; unpadRowsSource drops the padding
 * when ow % 4 != 0). The bias is always bound (zeros when the convolution has none).
 */
export const TILED_FORWARD_PARAMS = paramBlock({
  lanes: 'u32', cIn: 'u32', hp: 'u32', wp4: 'u32', cOut: 'u32', oh: 'u32', ow: 'u32', groups: 'u32',
  tilesX: 'u32', tilesY: 'u32', ocb: 'u32', offBias: 'u32', yPerZ: 'u32',
});
export function tiledForwardSource(g: ConvGeom, t: FwdTile): string {
  const { kh, kw, sh, sw, dh, dw } = g;
  const { tm, rows: R, wg, sg } = t;
  const taps = kh * kw;
  const nv = vec4sPerRow(g);
  const rowOffs = [...new Set(range(R).flatMap((r) => range(kh).map((ky) => r * sh + ky * dh)))].sort((a, b) => a - b);
  const wVec = tm % 4 === 0;
  const wPerIc = wVec ? (taps * tm) / 4 : taps * tm;
  if (sg && !wVec) throw new Error('conv: the subgroup forward kernel needs tm % 4 == 0');
  // with subgroups, a lane loads only the sw vec4s its own tile starts with and takes the rest of
  // its patch row from the lanes to its right (the next tiles of the same row); the weights of a
  // channel are loaded once per subgroup, one vec4 per lane, and broadcast
  const shared = sg ? Math.max(0, Math.ceil(nv / sw) - 1) : 0;
  const wLoads = sg ? Math.ceil(wPerIc / sg) : 0;
  const L: string[] = [];
  L.push(`${sg ? 'enable subgroups;\n' : ''}@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> W: array<${wVec ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(2) var<storage, read> Bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> O: array<vec4<f32>>;
${paramBinding(4)}
@compute @workgroup_size(${wg})
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>${sg ? ', @builtin(subgroup_invocation_id) sid: u32' : ''}) {
  ${TILED_FORWARD_PARAMS.preamble()}
  let live = (wid.y + wid.z * yPerZ) * ${wg}u + li;
  let lane = min(live, lanes - 1u);
  let cg = cIn / groups; let og = cOut / groups;
  let tx = lane % tilesX; let ty = (lane / tilesX) % tilesY; let b = lane / (tilesX * tilesY);
  let grp = wid.x / ocb;
  let oc0 = grp * og + (wid.x % ocb) * ${tm}u;
  let ox0 = tx * ${TN}u; let oy0 = ty * ${R}u;
  // the tile's first input column (padded coordinates) is ox0·sw, a multiple of 4
  var xb = (b * cIn + grp * cg) * hp * wp4 + oy0 * ${sh}u * wp4 + ox0 * ${sw}u / 4u;
  var wb = wid.x * cg * ${wPerIc}u;`);
  // lane sid + d holds tile tx + d of the same row (lanes run along tx), unless past the subgroup or the row
  for (const d of range(shared + 1).slice(1)) L.push(`  let nb${d} = sid + ${d}u < ${sg}u && tx + ${d}u < tilesX && live + ${d}u < lanes;`);
  for (const m of range(tm)) for (const r of range(R)) L.push(`  var acc${m}_${r} = vec4<f32>(0.0);`);
  const xv = (c: number) => `v${c >> 2}.${C[c & 3]}`;
  const xq = (kx: number) => `vec4<f32>(${range(TN).map((q) => xv(q * sw + kx * dw)).join(', ')})`;
  /** load one patch row (vec4s v0..), `rowExpr` its offset in rows from the tile's first */
  const loadRow = (rowExpr: string, ind: string) => {
    for (const v of range(nv)) {
      const at = `X[xb + (${rowExpr}) * wp4 + ${v}u]`;
      if (!sg || v < sw) L.push(`${ind}let v${v} = ${at};`);
      else {
        const d = Math.floor(v / sw);
        L.push(`${ind}var v${v} = subgroupShuffleDown(v${v % sw}, ${d}u);`);
        L.push(`${ind}if (!nb${d}) { v${v} = ${at}; }`);
      }
    }
  };
  /** multiply-adds of one kernel row (weights at `wAt(kx·tm/4 + m4)` / scalar `wAt(kx·tm + m)`) into output row r */
  const rowTaps = (r: number, wAt: (i: number) => string, ind: string) => {
    for (const kx of range(kw)) {
      L.push(`${ind}{ let xs = ${xq(kx)};`);
      if (wVec) {
        for (const m4 of range(tm / 4)) {
          L.push(`${ind}  let w${m4} = ${wAt((kx * tm) / 4 + m4)};`);
          for (const mm of range(4)) L.push(`${ind}  acc${m4 * 4 + mm}_${r} = fma(vec4<f32>(w${m4}.${C[mm]}), xs, acc${m4 * 4 + mm}_${r});`);
        }
      } else {
        for (const m of range(tm)) L.push(`${ind}  acc${m}_${r} = fma(vec4<f32>(${wAt(kx * tm + m)}), xs, acc${m}_${r});`);
      }
      L.push(`${ind}}`);
    }
  };
  const perRow = wVec ? (kw * tm) / 4 : kw * tm;
  L.push(`  for (var ic = 0u; ic < cg; ic++) {`);
  if (t.rowLoop) {
    // one kernel row per iteration: its weights (shared across the subgroup), then each output row
    const rowLoads = sg ? Math.ceil(perRow / sg) : 0;
    L.push(`    for (var ky = 0u; ky < ${kh}u; ky++) {`);
    L.push(`      let wr = wb + ky * ${perRow}u;`);
    for (const j of range(rowLoads)) L.push(`      let wl${j} = W[wr + ${j * sg}u + sid];`);
    const wAt = (i: number) => (sg ? `subgroupBroadcast(wl${Math.floor(i / sg)}, ${i % sg}u)` : `W[wr + ${i}u]`);
    for (const r of range(R)) {
      L.push(`      {`);
      loadRow(`${r * sh}u + ky * ${dh}u`, '        ');
      rowTaps(r, wAt, '        ');
      L.push(`      }`);
    }
    L.push(`    }`);
  } else {
    for (const j of range(wLoads)) L.push(`    let wl${j} = W[wb + ${j * sg}u + sid];`);
    const wAt = (i: number) => (sg ? `subgroupBroadcast(wl${Math.floor(i / sg)}, ${i % sg}u)` : `W[wb + ${i}u]`);
    for (const ro of rowOffs) {
      // the (output row, kernel row) pairs this input row feeds
      const pairs = range(R).flatMap((r) => range(kh).filter((ky) => r * sh + ky * dh === ro).map((ky) => [r, ky] as const));
      L.push(`    {`);
      loadRow(`${ro}u`, '      ');
      for (const [r, ky] of pairs) rowTaps(r, (i) => wAt(ky * perRow + i), '      ');
      L.push(`    }`);
    }
  }
  L.push(`    xb += hp * wp4;`);
  L.push(`    wb += ${wPerIc}u;`);
  L.push(`  }`);
  // one vec4 store per (channel, row): the output rows are padded to tilesX·4 floats
  L.push(`  if (live >= lanes) { return; }`);
  for (const m of range(tm)) {
    L.push(`  if (oc0 + ${m}u < grp * og + og) {`);
    L.push(`    let ob = (b * cOut + oc0 + ${m}u) * oh; let bv = vec4<f32>(Bias[offBias + oc0 + ${m}u]);`);
    for (const r of range(R)) L.push(`    if (oy0 + ${r}u < oh) { O[(ob + oy0 + ${r}u) * tilesX + tx] = acc${m}_${r} + bv; }`);
    L.push(`  }`);
  }
  L.push(`}`);
  return L.join('\n');
}

/** Drop the row padding: out[r, c] = src[r, c] for c < w, rows of wp4·4 floats in src. */
export const UNPAD_PARAMS = paramBlock({ rows: 'u32', w: 'u32', wp4: 'u32' });
export function unpadRowsSource(): string {
  return passKernel('S: array<vec4<f32>>', 'O: array<f32>', 'row', `  ${UNPAD_PARAMS.preamble()}
  if (row >= rows) { return; }
  for (var c4 = 0u; c4 < wp4; c4++) {
    let v = S[row * wp4 + c4];
    for (var j = 0u; j < 4u; j++) {
      if (c4 * 4u + j < w) { O[row * w + c4 * 4u + j] = v[j]; }
    }
  }`);
}

/**
 * Weight gradient over a padded input Xp [n, cIn, hp, wp] and a padded output gradient
 * Gp [n, cOut, oh, owp] (rows zero-filled past ow, owp a multiple of 4). Lane → (group, channel
 * block, input channel — or (input channel, kernel row) with rowSplit) with the last fastest
 * (padded to `icPad` per block so a subgroup never straddles two blocks); each invocation sums TM
 * output channels × its taps over `rw` output rows at a time (input rows shared between them),
 * 4 pixels per step.
 * With subgroups, the TM output-gradient vec4s of a step (the same for the whole subgroup) are
 * loaded once per subgroup and broadcast. Grid y = splits of the (image, row-block) units; each
 * split writes its own partial sums (wgradSumSource adds them up and lays them out).
 * units = n·ceil(oh/rw); lanesPerZ: lanes per z-slice of the grid; offG4: G's offset in vec4s.
 */
export const TILED_WGRAD_PARAMS = paramBlock({
  lanes: 'u32', cIn: 'u32', hp: 'u32', wp4: 'u32', cOut: 'u32', oh: 'u32', owp4: 'u32', groups: 'u32',
  ocb: 'u32', units: 'u32', perSplit: 'u32', lanesPerZ: 'u32', offG4: 'u32', icPad: 'u32',
});
export function tiledWeightGradSource(g: ConvGeom, t: WgradTile): string {
  const { kh, kw, sh, sw, dh, dw } = g;
  const { tm, wg, rw, sg } = t;
  // rowSplit: each lane takes one kernel row of its input channel (lanes over (channel, row)), so
  // large windows keep tm·kw accumulators rather than tm·kh·kw
  const split = t.rowSplit ? kh : 0;
  const khU = split ? 1 : kh;
  const taps = khU * kw;
  const nv = vec4sPerRow(g);
  const gLoads = sg ? Math.ceil(tm / sg) : 0;
  // distinct input rows of a step, relative to oy·sh
  const rowOffs = [...new Set(range(rw).flatMap((r) => range(khU).map((ky) => r * sh + ky * dh)))].sort((a, b) => a - b);
  const L: string[] = [];
  L.push(`${sg ? 'enable subgroups;\n' : ''}@group(0) @binding(0) var<storage, read> G: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> O: array<vec4<f32>>;
${paramBinding(3)}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>${sg ? ', @builtin(subgroup_invocation_id) sid: u32' : ''}) {
  ${TILED_WGRAD_PARAMS.preamble()}
  let live = gid.x + gid.z * lanesPerZ;
  let lane = min(live, lanes - 1u);
  let cg = cIn / groups; let og = cOut / groups;
  let inner = lane % icPad; let blk = lane / icPad; let grp = blk / ocb;
  let icl = inner${split ? ` / ${split}u; let kyl = inner % ${split}u` : ''};
  let oc0 = grp * og + (blk % ocb) * ${tm}u;
  let ocLast = grp * og + og - 1u;
  let ic = grp * cg + min(icl, cg - 1u);
  let ohb = (oh + ${rw - 1}u) / ${rw}u;
  let u0 = wid.y * perSplit; let u1 = min(u0 + perSplit, units);`);
  for (const m of range(tm)) for (const tap of range(taps)) L.push(`  var acc${m}_${tap} = 0.0;`);
  L.push(`  for (var u = u0; u < u1; u++) {
    let b = u / ohb; let oy = (u % ohb) * ${rw}u;`);
  // output-gradient rows: clamped to the image, zeroed past its last row
  for (const r of range(rw)) {
    if (sg) {
      for (const j of range(gLoads)) L.push(`    let gb${r}_${j} = offG4 + ((b * cOut + min(oc0 + (${j * sg}u + sid) % ${tm}u, ocLast)) * oh + min(oy + ${r}u, oh - 1u)) * owp4;`);
    } else {
      for (const m of range(tm)) L.push(`    let gb${r}_${m} = offG4 + ((b * cOut + min(oc0 + ${m}u, ocLast)) * oh + min(oy + ${r}u, oh - 1u)) * owp4;`);
    }
    L.push(`    let gz${r} = oy + ${r}u < oh;`);
  }
  L.push(`    let xb = ((b * cIn + ic) * hp + oy * ${sh}u${split ? ` + kyl * ${dh}u` : ''}) * wp4;`);
  L.push(`    for (var q4 = 0u; q4 < owp4; q4++) {`);
  for (const r of range(rw)) {
    if (sg) {
      for (const j of range(gLoads)) L.push(`      let gl${r}_${j} = select(vec4<f32>(0.0), G[gb${r}_${j} + q4], gz${r});`);
      for (const m of range(tm)) L.push(`      let g${r}_${m} = subgroupBroadcast(gl${r}_${Math.floor(m / sg)}, ${m % sg}u);`);
    } else {
      for (const m of range(tm)) L.push(`      let g${r}_${m} = select(vec4<f32>(0.0), G[gb${r}_${m} + q4], gz${r});`);
    }
  }
  for (const ro of rowOffs) {
    for (const v of range(nv)) L.push(`      let x${ro}_${v} = X[xb + ${ro}u * wp4 + q4 * ${sw}u + ${v}u];`);
  }
  const xv = (ro: number, c: number) => `x${ro}_${c >> 2}.${C[c & 3]}`;
  for (const ky of range(khU))
    for (const kx of range(kw)) {
      L.push('      {');
      for (const r of range(rw)) L.push(`        let xs${r} = vec4<f32>(${range(TN).map((q) => xv(r * sh + ky * dh, q * sw + kx * dw)).join(', ')});`);
      for (const m of range(tm)) {
        L.push(`        acc${m}_${ky * kw + kx} += ${range(rw).map((r) => `dot(g${r}_${m}, xs${r})`).join(' + ')};`);
      }
      L.push('      }');
    }
  L.push(`    }`);
  L.push(`  }`);
  // partials as vec4s, laid out [split, lane, tm·taps (padded to a multiple of 4)]; the sum pass
  // adds the splits and puts each value at its place in [cOut, cg, kh, kw]
  const per = Math.ceil((tm * taps) / 4);
  L.push(`  if (live >= lanes) { return; }`);
  L.push(`  let pb = (wid.y * lanes + lane) * ${per}u;`);
  const val = (i: number) => (i < tm * taps ? `acc${Math.floor(i / taps)}_${i % taps}` : '0.0');
  for (const v of range(per)) L.push(`  O[pb + ${v}u] = vec4<f32>(${range(4).map((j) => val(v * 4 + j)).join(', ')});`);
  L.push(`}`);
  return L.join('\n');
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
  pairs: 'u32', splits: 'u32', lanes: 'u32', cg: 'u32', og: 'u32', ocb: 'u32', icPad: 'u32', taps: 'u32', lTaps: 'u32',
  perLane: 'u32', rowKh: 'u32', kw: 'u32',
});
export function wgradSumSource(tm: number): string {
  return passKernel('S: array<f32>', 'O: array<f32>', 'pair', `  ${WGRAD_SUM_PARAMS.preamble()}
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
  }`);
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
  return passKernel('S: array<f32>', 'O: array<f32>', 'i', `  ${SUM_LEADING_PARAMS.preamble()}
  if (i >= len) { return; }
  var s = 0.0;
  for (var b = 0u; b < count; b++) { s += S[b * len + i]; }
  O[i] = s;`);
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
