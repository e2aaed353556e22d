// 2-D convolution on WebGPU: plans the passes for the forward, input-gradient and weight-gradient
// kernels. The work runs in the register-tiled kernels of conv-tiled.ts, fed by zero-padded copies
// of the activations (cheap single passes) and a re-laid-out weight; the direct kernels of
// conv-direct.ts remain for windows too large to unroll (more than MAX_TILED_TAPS taps).
//
// - forward: pad x → tiled forward.
// - input gradient: the transposed convolution is the stride-1 convolution of the output gradient,
//   zero-inserted by the stride and padded by dil·(k-1) - pad, with the flipped, channel-swapped
//   weight: pad/zero-insert gy → tiled forward. (Strided convolutions spend stride² of the work on
//   inserted zeros; they are the minority of a ResNet's convolutions.)
// - weight gradient: pad x (and gy to a row length of 4k) → tiled weight gradient, split over
//   (image, row) ranges when cOut·cIn alone gives too few invocations, then a sum of the splits.
import type { Conv2dArgs, View } from '../backend.js';
import { CONV_WG, convBackwardInputSource, convBackwardWeightSource, convForwardSource } from './conv-direct.js';
import {
  padSource, tiledForwardSource, tiledWeightGradSource, TN, unpadRowsSource, vec4sPerRow, weightLayoutSource, wgradSumSource,
  zeroSource, type ConvGeom, type FwdTile, type WgradTile,
} from './conv-tiled.js';
import type { Runtime } from './runtime.js';
import { grid1d } from './wgsl.js';

/** windows with more taps than this use the direct kernels (unrolled code would be too large) */
export const MAX_TILED_TAPS = 64;
/** unrolled multiply-adds per input channel in a forward invocation (register and compile budget) */
const FWD_FMA_BUDGET = 576;
/** invocations the weight gradient aims for before it stops splitting the reduction */
const WGRAD_TARGET_LANES = 8192;
/** accumulators (output channels × taps) per weight-gradient invocation */
const WGRAD_MAX_ACC = 72;

/** Switches for benchmarks and tests (both paths must stay correct): use subgroup operations where the device has them. */
export const convOptions = { subgroups: true };

/** The device's subgroup size when it has the `subgroups` feature and one fixed size, else 0. */
export function subgroupSize(rt: Runtime): number {
  if (!convOptions.subgroups || !rt.device.features.has('subgroups')) return 0;
  const ai = (rt.device as unknown as { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } }).adapterInfo;
  const min = ai?.subgroupMinSize ?? 0;
  return min >= 4 && min === ai?.subgroupMaxSize ? min : 0;
}

const buf = (v: View) => v.storage.handle as GPUBuffer;
const up4 = (x: number) => Math.ceil(x / 4) * 4;
/** workgroup size: 64, or 8 for problems too small to fill one (fewer pipeline variants than exact sizes) */
const wgFor = (lanes: number) => (lanes >= 64 ? 64 : 8);
const blockOf = (channels: number) => (channels >= 4 ? 4 : channels >= 2 ? 2 : 1);

/** Workgroups for `count` groups along x, spilling into z past the per-dimension limit. */
function spread(count: number, max = 65535): { x: number; z: number } {
  if (count <= max) return { x: count, z: 1 };
  const z = Math.ceil(count / max);
  return { x: Math.ceil(count / z), z };
}

function zeros(rt: Runtime, out: GPUBuffer, len: number): void {
  if (len > 0) rt.dispatch('conv_zero', zeroSource, [out], (u) => { u[0] = len; }, grid1d(len, 64));
}

/**
 * Zero-padded copy of `planes` planes of h×w floats (from element `offset` of src) into hp rows of
 * wp floats each (wp % 4 == 0), the source placed at (top, left) and zero-inserted by (upY, upX).
 */
function padPlanes(rt: Runtime, src: GPUBuffer, offset: number, planes: number, h: number, w: number,
  hp: number, wp: number, top: number, left: number, upY = 1, upX = 1): GPUBuffer {
  const rows = planes * hp;
  const out = rt.createBuffer(rows * wp * 4);
  if (rows === 0 || wp === 0) return out;
  const s = spread(Math.ceil(rows / 64));
  rt.dispatch(`conv_pad:${upY}x${upX}`, () => padSource(upY, upX), [src, out], (u, _f, i) => {
    u[0] = rows; u[1] = h; u[2] = w; u[3] = hp; u[4] = wp / 4; i[5] = top; i[6] = left; u[7] = offset; u[8] = s.x * 64;
  }, [s.x, 1, s.z]);
  return out;
}

interface FwdPlan { tile: FwdTile; tilesX: number; tilesY: number; hp: number; wp: number; lanes: number }

/** Tile and padded-input size for a tiled forward producing [n, *, oh, ow] with `og` channels per group. */
function planForward(g: ConvGeom, n: number, og: number, oh: number, ow: number, subgroup: number): FwdPlan {
  const taps = g.kh * g.kw;
  let tm = blockOf(og);
  // the subgroup kernel shares weights as vec4s of 4 output channels; with weight loads that cheap,
  // 8 channels per invocation pay off (measured: 3x3, 64→64 channels)
  const sg = tm === 4 ? subgroup : 0;
  if (sg && og >= 8 && taps <= 9) tm = 8;
  const rows = Math.max(1, Math.min(4, oh, Math.floor(FWD_FMA_BUDGET / (tm * TN * taps))));
  const tilesX = Math.ceil(ow / TN), tilesY = Math.ceil(oh / rows);
  const lanes = n * tilesX * tilesY;
  const hp = (tilesY * rows - 1) * g.sh + (g.kh - 1) * g.dh + 1;
  const wp = (tilesX - 1) * TN * g.sw + 4 * vec4sPerRow(g);
  const wg = Math.max(sg, wgFor(lanes));
  return { tile: { tm, rows, wg, sg }, tilesX, tilesY, hp, wp, lanes };
}

/**
 * The tiled forward pass over an already padded input, into `out` [n, cOut, oh, ow]. `layoutMode` 1
 * makes it the input gradient (w is then the original weight, of the convolution whose input
 * gradient this is, and cIn/cOut are the new convolution's).
 */
function tiledForward(rt: Runtime, xp: GPUBuffer, w: View, bias: View | null, out: GPUBuffer, g: ConvGeom, p: FwdPlan,
  d: { n: number; cIn: number; cOut: number; oh: number; ow: number; groups: number }, layoutMode: 0 | 1): void {
  const { tm } = p.tile;
  const og = d.cOut / d.groups, cg = d.cIn / d.groups;
  const ocb = Math.ceil(og / tm);
  const taps = g.kh * g.kw;
  const wtLen = d.groups * ocb * cg * taps * tm;
  // subgroup lanes load whole vec4 slots past the last channel's weights: keep those reads in the buffer
  const wt = rt.createBuffer((wtLen + 4 * p.tile.sg) * 4);
  if (wtLen > 0) {
    rt.dispatch(`conv_wlayout:${tm}:${layoutMode}`, () => weightLayoutSource(tm, layoutMode), [buf(w), wt], (u) => {
      u[0] = wtLen; u[1] = ocb; u[2] = og; u[3] = cg; u[4] = taps; u[5] = w.offset;
    }, grid1d(wtLen, 64));
  }
  // one kernel with a bias binding serves both cases (a zero bias costs one tiny dispatch)
  let biasBuf = bias ? buf(bias) : null;
  if (!biasBuf) { biasBuf = rt.createBuffer(d.cOut * 4); zeros(rt, biasBuf, d.cOut); }
  // rows padded to whole tiles, so every store is a vec4; dropped afterwards when ow % 4 != 0
  const padded = d.ow % TN !== 0;
  const dst = padded ? rt.createBuffer(d.n * d.cOut * d.oh * p.tilesX * TN * 4) : out;
  const s = spread(Math.ceil(p.lanes / p.tile.wg));
  const key = `conv_fwd:${g.kh}x${g.kw}:s${g.sh}x${g.sw}:d${g.dh}x${g.dw}:${tm}x${p.tile.rows}:${p.tile.wg}:sg${p.tile.sg}`;
  rt.dispatch(key, () => tiledForwardSource(g, p.tile), [xp, wt, biasBuf, dst], (u) => {
    u.set([p.lanes, d.cIn, p.hp, p.wp / 4, d.cOut, d.oh, d.ow, d.groups, p.tilesX, p.tilesY, ocb, bias ? bias.offset : 0, s.x]);
  }, [d.groups * ocb, s.x, s.z]);
  if (padded) {
    const rows = d.n * d.cOut * d.oh;
    rt.dispatch('conv_unpad', unpadRowsSource, [dst, out], (u) => { u[0] = rows; u[1] = d.ow; u[2] = p.tilesX; }, grid1d(rows, 64));
    rt.releaseBuffer(dst);
  }
  rt.releaseBuffer(wt);
  if (!bias) rt.releaseBuffer(biasBuf);
}

/** direct-kernel fallback, one output per invocation */
function direct(rt: Runtime, key: string, source: () => string, total: number, out: GPUBuffer, a: View, b: View, bias: View | null, g: Conv2dArgs): void {
  const buffers = bias ? [buf(a), buf(b), buf(bias), out] : [buf(a), buf(b), out];
  rt.dispatch(key, source, buffers, (u) => {
    u.set([total, g.n, g.cIn, g.h, g.w, g.cOut, g.kh, g.kw, g.oh, g.ow, g.strideH, g.strideW, g.padH, g.padW, g.dilH, g.dilW, g.groups, a.offset, b.offset, bias ? bias.offset : 0]);
  }, grid1d(total, CONV_WG));
}

const geom = (a: Conv2dArgs): ConvGeom => ({ kh: a.kh, kw: a.kw, sh: a.strideH, sw: a.strideW, dh: a.dilH, dw: a.dilW });

/** x [n, cIn, h, w], w [cOut, cIn/groups, kh, kw], bias [cOut] → out [n, cOut, oh, ow] */
export function convForward(rt: Runtime, x: View, w: View, bias: View | null, a: Conv2dArgs): GPUBuffer {
  const total = a.n * a.cOut * a.oh * a.ow;
  const out = rt.createBuffer(total * 4);
  if (total === 0) return out;
  if (a.kh * a.kw > MAX_TILED_TAPS) {
    direct(rt, `conv2d:${bias ? 'bias' : ''}`, () => convForwardSource(!!bias), total, out, x, w, bias, a);
    return out;
  }
  const g = geom(a);
  const p = planForward(g, a.n, a.cOut / a.groups, a.oh, a.ow, subgroupSize(rt));
  const xp = padPlanes(rt, buf(x), x.offset, a.n * a.cIn, a.h, a.w, p.hp, p.wp, a.padH, a.padW);
  tiledForward(rt, xp, w, bias, out, g, p, { n: a.n, cIn: a.cIn, cOut: a.cOut, oh: a.oh, ow: a.ow, groups: a.groups }, 0);
  rt.releaseBuffer(xp);
  return out;
}

/** gy [n, cOut, oh, ow], w → gx [n, cIn, h, w] */
export function convBackwardInput(rt: Runtime, gy: View, w: View, a: Conv2dArgs): GPUBuffer {
  const total = a.n * a.cIn * a.h * a.w;
  const out = rt.createBuffer(total * 4);
  if (total === 0) return out;
  if (a.kh * a.kw > MAX_TILED_TAPS) {
    direct(rt, 'conv2d_bw_input', convBackwardInputSource, total, out, gy, w, null, a);
    return out;
  }
  // the stride-1 convolution of the zero-inserted, padded gy with the flipped, transposed weight
  const g: ConvGeom = { kh: a.kh, kw: a.kw, sh: 1, sw: 1, dh: a.dilH, dw: a.dilW };
  const p = planForward(g, a.n, a.cIn / a.groups, a.h, a.w, subgroupSize(rt));
  const top = a.dilH * (a.kh - 1) - a.padH, left = a.dilW * (a.kw - 1) - a.padW;
  const gp = padPlanes(rt, buf(gy), gy.offset, a.n * a.cOut, a.oh, a.ow, p.hp, p.wp, top, left, a.strideH, a.strideW);
  tiledForward(rt, gp, w, null, out, g, p, { n: a.n, cIn: a.cOut, cOut: a.cIn, oh: a.h, ow: a.w, groups: a.groups }, 1);
  rt.releaseBuffer(gp);
  return out;
}

/** gy [n, cOut, oh, ow], x [n, cIn, h, w] → gw [cOut, cIn/groups, kh, kw] */
export function convBackwardWeight(rt: Runtime, gy: View, x: View, a: Conv2dArgs): GPUBuffer {
  const cg = a.cIn / a.groups, og = a.cOut / a.groups, taps = a.kh * a.kw;
  const total = a.cOut * cg * taps;
  const out = rt.createBuffer(total * 4);
  if (total === 0) return out;
  if (taps > MAX_TILED_TAPS) {
    direct(rt, 'conv2d_bw_weight', convBackwardWeightSource, total, out, gy, x, null, a);
    return out;
  }
  const rows = a.n * a.oh;
  if (rows === 0 || a.ow === 0) { zeros(rt, out, total); return out; }
  const g = geom(a);
  // accumulators per invocation: tm·taps scalars
  let tm = 8;
  while (tm > 1 && (tm > og || tm * taps > WGRAD_MAX_ACC)) tm /= 2;
  const S = subgroupSize(rt);
  const sg = S && tm >= 4 && 2 * cg >= S ? S : 0;
  const rw = taps <= 9 && a.oh >= 2 ? 2 : 1;
  const ocb = Math.ceil(og / tm);
  const icPad = sg ? Math.ceil(cg / sg) * sg : cg;
  const lanes = a.groups * ocb * icPad;
  const tile: WgradTile = { tm, rw, sg, wg: Math.max(sg, wgFor(lanes)) };
  const units = a.n * Math.ceil(a.oh / rw);
  const splits0 = Math.max(1, Math.min(units, 65535, Math.ceil(WGRAD_TARGET_LANES / lanes)));
  const perSplit = Math.ceil(units / splits0);
  const splits = Math.ceil(units / perSplit);
  const owp = up4(a.ow);
  // input rows up to the last row block's overhang
  const hp = (Math.ceil(a.oh / rw) * rw - 1) * g.sh + (g.kh - 1) * g.dh + 1;
  const wp = (owp / 4 - 1) * 4 * g.sw + 4 * vec4sPerRow(g);
  const xp = padPlanes(rt, buf(x), x.offset, a.n * a.cIn, a.h, a.w, hp, wp, a.padH, a.padW);
  // gy as vec4 rows: used in place when its rows already are, else copied with zero-filled tails
  const direct4 = a.ow % 4 === 0 && gy.offset % 4 === 0;
  const gp = direct4 ? buf(gy) : padPlanes(rt, buf(gy), gy.offset, a.n * a.cOut, a.oh, a.ow, a.oh, owp, 0, 0);
  // partial sums per split, one vec4-padded block of tm·taps per lane; the sum pass adds the
  // splits and lays the result out as [cOut, cg, kh, kw]
  const perLane = Math.ceil((tm * taps) / 4) * 4;
  const partial = rt.createBuffer(splits * lanes * perLane * 4);
  const key = `conv_wgrad:${g.kh}x${g.kw}:s${g.sh}x${g.sw}:d${g.dh}x${g.dw}:${tm}x${rw}:${tile.wg}:sg${sg}`;
  rt.dispatch(key, () => tiledWeightGradSource(g, tile), [gp, xp, partial], (u) => {
    u.set([lanes, a.cIn, hp, wp / 4, a.cOut, a.oh, owp / 4, a.groups, ocb, units, perSplit, 0, direct4 ? gy.offset / 4 : 0, icPad]);
  }, [Math.ceil(lanes / tile.wg), splits, 1]);
  rt.dispatch('conv_wgrad_sum', wgradSumSource, [partial, out], (u) => {
    u.set([total, splits, lanes, cg, og, ocb, icPad, taps, tm, perLane]);
  }, grid1d(total, 64));
  rt.releaseBuffer(partial);
  rt.releaseBuffer(xp);
  if (!direct4) rt.releaseBuffer(gp);
  return out;
}
