// Register-tiled direct convolution kernels (implicit GEMM, no im2col buffer): forward (which also
// serves each phase of the input gradient, a stride-1 convolution of the padded output gradient
// with a flipped, channel-swapped sub-window of the weight) and weight gradient; the small layout
// passes they read from are in conv-layout.ts.
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

/** compile-time geometry of a tiled kernel */
export interface ConvGeom {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
}
/**
 * sg: subgroup size the kernel is compiled for (0: no subgroup operations); rowLoop: walk the
 * kernel rows in a loop instead of unrolling the whole window (large windows)
 */
export interface FwdTile {
  tm: number;
  rows: number;
  wg: number;
  sg: number;
  rowLoop?: boolean;
}
export interface WgradTile {
  tm: number;
  wg: number;
  rw: number;
  sg: number;
  rowSplit?: boolean;
}
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
 * Forward over a padded input Xp [n, cIn, hp, wp] and a laid-out weight. Grid: x = groups·blocks
 * (fastest, so a pixel block meets every channel block while it is in cache), y (and z beyond the
 * per-dimension limit) = pixel-tile workgroups.
 * Output: [n, cOut, oh, tilesX·4] (rows padded to whole tiles; unpadRowsSource drops the padding
 * when ow % 4 != 0). The bias is always bound (zeros when the convolution has none).
 */
export const TILED_FORWARD_PARAMS = paramBlock({
  lanes: 'u32',
  cIn: 'u32',
  hp: 'u32',
  wp4: 'u32',
  cOut: 'u32',
  oh: 'u32',
  ow: 'u32',
  groups: 'u32',
  tilesX: 'u32',
  tilesY: 'u32',
  ocb: 'u32',
  offBias: 'u32',
  yPerZ: 'u32',
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
  for (const d of range(shared + 1).slice(1))
    L.push(`  let nb${d} = sid + ${d}u < ${sg}u && tx + ${d}u < tilesX && live + ${d}u < lanes;`);
  for (const m of range(tm)) for (const r of range(R)) L.push(`  var acc${m}_${r} = vec4<f32>(0.0);`);
  const xv = (c: number) => `v${c >> 2}.${C[c & 3]}`;
  const xq = (kx: number) =>
    `vec4<f32>(${range(TN)
      .map((q) => xv(q * sw + kx * dw))
      .join(', ')})`;
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
          for (const mm of range(4))
            L.push(`${ind}  acc${m4 * 4 + mm}_${r} = fma(vec4<f32>(w${m4}.${C[mm]}), xs, acc${m4 * 4 + mm}_${r});`);
        }
      } else {
        for (const m of range(tm))
          L.push(`${ind}  acc${m}_${r} = fma(vec4<f32>(${wAt(kx * tm + m)}), xs, acc${m}_${r});`);
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
      const pairs = range(R).flatMap((r) =>
        range(kh)
          .filter((ky) => r * sh + ky * dh === ro)
          .map((ky) => [r, ky] as const),
      );
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
    for (const r of range(R))
      L.push(`    if (oy0 + ${r}u < oh) { O[(ob + oy0 + ${r}u) * tilesX + tx] = acc${m}_${r} + bv; }`);
    L.push(`  }`);
  }
  L.push(`}`);
  return L.join('\n');
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
  lanes: 'u32',
  cIn: 'u32',
  hp: 'u32',
  wp4: 'u32',
  cOut: 'u32',
  oh: 'u32',
  owp4: 'u32',
  groups: 'u32',
  ocb: 'u32',
  units: 'u32',
  perSplit: 'u32',
  lanesPerZ: 'u32',
  offG4: 'u32',
  icPad: 'u32',
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
  const rowOffs = [...new Set(range(rw).flatMap((r) => range(khU).map((ky) => r * sh + ky * dh)))].sort(
    (a, b) => a - b,
  );
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
      for (const j of range(gLoads))
        L.push(
          `    let gb${r}_${j} = offG4 + ((b * cOut + min(oc0 + (${j * sg}u + sid) % ${tm}u, ocLast)) * oh + min(oy + ${r}u, oh - 1u)) * owp4;`,
        );
    } else {
      for (const m of range(tm))
        L.push(
          `    let gb${r}_${m} = offG4 + ((b * cOut + min(oc0 + ${m}u, ocLast)) * oh + min(oy + ${r}u, oh - 1u)) * owp4;`,
        );
    }
    L.push(`    let gz${r} = oy + ${r}u < oh;`);
  }
  L.push(`    let xb = ((b * cIn + ic) * hp + oy * ${sh}u${split ? ` + kyl * ${dh}u` : ''}) * wp4;`);
  L.push(`    for (var q4 = 0u; q4 < owp4; q4++) {`);
  for (const r of range(rw)) {
    if (sg) {
      for (const j of range(gLoads))
        L.push(`      let gl${r}_${j} = select(vec4<f32>(0.0), G[gb${r}_${j} + q4], gz${r});`);
      for (const m of range(tm))
        L.push(`      let g${r}_${m} = subgroupBroadcast(gl${r}_${Math.floor(m / sg)}, ${m % sg}u);`);
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
      for (const r of range(rw))
        L.push(
          `        let xs${r} = vec4<f32>(${range(TN)
            .map((q) => xv(r * sh + ky * dh, q * sw + kx * dw))
            .join(', ')});`,
        );
      for (const m of range(tm)) {
        L.push(
          `        acc${m}_${ky * kw + kx} += ${range(rw)
            .map((r) => `dot(g${r}_${m}, xs${r})`)
            .join(' + ')};`,
        );
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
  for (const v of range(per))
    L.push(
      `  O[pb + ${v}u] = vec4<f32>(${range(4)
        .map((j) => val(v * 4 + j))
        .join(', ')});`,
    );
  L.push(`}`);
  return L.join('\n');
}
