// The passes a convolution is planned from (conv.ts composes them): zero-padded input planes, the tiled
// forward with its tile plan (which also runs each phase of the input gradient), the direct-kernel
// fallback for windows too large to unroll, the bias pass, and small helpers. See conv.ts's header.
import type { Conv2dArgs, View } from '../backend.js';
import { CONV_WG, DIRECT_PARAMS } from './conv-direct.js';
import {
  CHANNEL_BIAS_PARAMS,
  channelBiasSource,
  PAD_PARAMS,
  padSource,
  UNPAD_PARAMS,
  unpadRowsSource,
  WEIGHT_LAYOUT_PARAMS,
  weightLayoutSource,
  ZERO_PARAMS,
  zeroSource,
} from './conv-layout.js';
import {
  TILED_FORWARD_PARAMS,
  tiledForwardSource,
  TN,
  vec4sPerRow,
  type ConvGeom,
  type FwdTile,
} from './conv-tiled.js';
import type { Runtime } from './runtime.js';
import { grid1d } from './wgsl.js';

import { convOptions, convTile, defaultConvTile, FWD_FMA_BUDGET } from './conv-options.js';
import { buf } from './launch.js';

export const isPointwise = (a: Conv2dArgs) =>
  a.kh === 1 && a.kw === 1 && a.strideH === 1 && a.strideW === 1 && a.padH === 0 && a.padW === 0 && a.groups === 1;

export const up4 = (x: number) => Math.ceil(x / 4) * 4;
/** Workgroup size of the weight-gradient kernel (at least a subgroup). */
export const wgFor = (rt: Runtime, sg: number) => Math.max(sg, defaultConvTile(rt.info.isSoftware).wg);
/** output channels per invocation without subgroups: a vec4 of weights from 3 channels up (3 of 4 used beats 2 of 2) */
export const blockOf = (channels: number) => (channels >= 3 ? 4 : channels >= 2 ? 2 : 1);

/** Workgroups for `count` groups along x, spilling into z past the per-dimension limit. */
export function spread(count: number, max = 65535): { x: number; z: number } {
  if (count <= max) return { x: count, z: 1 };
  const z = Math.ceil(count / max);
  return { x: Math.ceil(count / z), z };
}

export function zeros(rt: Runtime, out: GPUBuffer, len: number): void {
  if (len > 0)
    rt.dispatch('conv_zero', zeroSource, [out], (u, f, i) => ZERO_PARAMS.write(u, f, i, { len }), grid1d(len, 64));
}

/**
 * Zero-padded copy of `planes` planes of h×w floats (from element `offset` of src) into hp rows of
 * wp floats each (wp % 4 == 0), the source placed at (top, left).
 */
export function padPlanes(
  rt: Runtime,
  src: GPUBuffer,
  offset: number,
  planes: number,
  h: number,
  w: number,
  hp: number,
  wp: number,
  top: number,
  left: number,
): GPUBuffer {
  const rows = planes * hp;
  const out = rt.createBuffer(rows * wp * 4);
  if (rows === 0 || wp === 0) return out;
  const s = spread(Math.ceil(rows / 64));
  rt.dispatch(
    'conv_pad',
    padSource,
    [src, out],
    (u, f, i) =>
      PAD_PARAMS.write(u, f, i, {
        rows,
        h,
        w,
        hp,
        wp4: wp / 4,
        top,
        left,
        offX: offset,
        rowsPerZ: s.x * 64,
      }),
    [s.x, 1, s.z],
  );
  return out;
}

export interface FwdPlan {
  tile: FwdTile;
  tilesX: number;
  tilesY: number;
  hp: number;
  wp: number;
  lanes: number;
}

/** Tile and padded-input size for a tiled forward producing [n, *, oh, ow] with `og` channels per group. */
export function planForward(
  rt: Runtime,
  g: ConvGeom,
  n: number,
  og: number,
  oh: number,
  ow: number,
  subgroup: number,
): FwdPlan {
  const taps = g.kh * g.kw;
  const o = convOptions.fwd;
  const choice = convTile(rt, ow);
  let tm = blockOf(og);
  // the subgroup kernel shares weights as vec4s of 4 output channels; with weight loads that cheap,
  // 8 channels per invocation pay off (measured: 3x3, 64→64 channels; 5 of 8 used is no worse than
  // 5 of 2×4)
  const sg = tm === 4 ? subgroup : 0;
  if (sg && og >= 5 && choice.tm >= 8) tm = 8;
  // large windows (the 7×7 stem) loop over kernel rows: the unrolled body stays small enough for a
  // wide channel block and several output rows
  const rowLoop = taps > 9 && g.kh > 1;
  if (o?.tm && (o.tm % 4 === 0 || !sg)) tm = o.tm;
  const rows =
    o?.rows ?? Math.max(1, Math.min(choice.rows, oh, Math.floor(FWD_FMA_BUDGET / (tm * TN * (rowLoop ? g.kw : taps)))));
  const tilesX = Math.ceil(ow / TN),
    tilesY = Math.ceil(oh / rows);
  const lanes = n * tilesX * tilesY;
  const hp = (tilesY * rows - 1) * g.sh + (g.kh - 1) * g.dh + 1;
  const wp = (tilesX - 1) * TN * g.sw + 4 * vec4sPerRow(g);
  return { tile: { tm, rows, wg: Math.max(sg, o?.wg ?? choice.wg), sg, rowLoop }, tilesX, tilesY, hp, wp, lanes };
}

/**
 * The tiled forward pass over an already padded input, into `out` [n, cOut, oh, ow]. With `phase`
 * it computes one phase of an input gradient (w is then the original weight, of the convolution
 * whose input gradient this is, and cIn/cOut are the new convolution's).
 */
export function tiledForward(
  rt: Runtime,
  xp: GPUBuffer,
  w: View,
  bias: View | null,
  out: GPUBuffer,
  g: ConvGeom,
  p: FwdPlan,
  d: { n: number; cIn: number; cOut: number; oh: number; ow: number; groups: number },
  phase: PhaseTaps | null,
): void {
  const layoutMode = phase ? 1 : 0;
  const { tm } = p.tile;
  const og = d.cOut / d.groups,
    cg = d.cIn / d.groups;
  const ocb = Math.ceil(og / tm);
  const taps = g.kh * g.kw;
  const pairs = d.groups * ocb * cg;
  const wtLen = pairs * taps * tm;
  // subgroup lanes load whole vec4 slots past the last channel's weights: keep those reads in the buffer
  const wt = rt.createBuffer((wtLen + 4 * p.tile.sg) * 4);
  if (wtLen > 0) {
    rt.dispatch(
      `conv_wlayout:${tm}:${layoutMode}`,
      () => weightLayoutSource(tm, layoutMode),
      [buf(w), wt],
      (u, f, i) =>
        WEIGHT_LAYOUT_PARAMS.write(u, f, i, {
          pairs,
          ocb,
          og,
          ig: cg,
          taps,
          offW: w.offset,
          ...(phase
            ? {
                winW: g.kw,
                ky0: phase.y.k0,
                stepY: phase.y.step,
                tapsY: phase.y.taps,
                kx0: phase.x.k0,
                stepX: phase.x.step,
                tapsX: phase.x.taps,
                kh: phase.kh,
                kw: phase.kw,
              }
            : { winW: 0, ky0: 0, stepY: 0, tapsY: 0, kx0: 0, stepX: 0, tapsX: 0, kh: 0, kw: 0 }),
        }),
      grid1d(pairs, 64),
    );
  }
  // one kernel with a bias binding serves both cases (a zero bias costs one tiny dispatch)
  let biasBuf = bias ? buf(bias) : null;
  if (!biasBuf) {
    biasBuf = rt.createBuffer(d.cOut * 4);
    zeros(rt, biasBuf, d.cOut);
  }
  // rows padded to whole tiles, so every store is a vec4; dropped afterwards when ow % 4 != 0
  const padded = d.ow % TN !== 0;
  const dst = padded ? rt.createBuffer(d.n * d.cOut * d.oh * p.tilesX * TN * 4) : out;
  const s = spread(Math.ceil(p.lanes / p.tile.wg));
  const key = `conv_fwd:${g.kh}x${g.kw}:s${g.sh}x${g.sw}:d${g.dh}x${g.dw}:${tm}x${p.tile.rows}:${p.tile.wg}:sg${p.tile.sg}${p.tile.rowLoop ? ':rows' : ''}`;
  rt.dispatch(
    key,
    () => tiledForwardSource(g, p.tile),
    [xp, wt, biasBuf, dst],
    (u, f, i) =>
      TILED_FORWARD_PARAMS.write(u, f, i, {
        lanes: p.lanes,
        cIn: d.cIn,
        hp: p.hp,
        wp4: p.wp / 4,
        cOut: d.cOut,
        oh: d.oh,
        ow: d.ow,
        groups: d.groups,
        tilesX: p.tilesX,
        tilesY: p.tilesY,
        ocb,
        offBias: bias ? bias.offset : 0,
        yPerZ: s.x,
      }),
    [d.groups * ocb, s.x, s.z],
  );
  if (padded) {
    const rows = d.n * d.cOut * d.oh;
    rt.dispatch(
      'conv_unpad',
      unpadRowsSource,
      [dst, out],
      (u, f, i) => UNPAD_PARAMS.write(u, f, i, { rows, w: d.ow, wp4: p.tilesX }),
      grid1d(rows, 64),
    );
    rt.releaseBuffer(dst);
  }
  rt.releaseBuffer(wt);
  if (!bias) rt.releaseBuffer(biasBuf);
}

/** direct-kernel fallback, one output per invocation */
export function direct(
  rt: Runtime,
  key: string,
  source: () => string,
  total: number,
  out: GPUBuffer,
  a: View,
  b: View,
  bias: View | null,
  g: Conv2dArgs,
): void {
  const buffers = bias ? [buf(a), buf(b), buf(bias), out] : [buf(a), buf(b), out];
  rt.dispatch(
    key,
    source,
    buffers,
    (u, f, i) =>
      DIRECT_PARAMS.write(u, f, i, {
        total,
        n: g.n,
        cIn: g.cIn,
        h: g.h,
        w: g.w,
        cOut: g.cOut,
        kh: g.kh,
        kw: g.kw,
        oh: g.oh,
        ow: g.ow,
        sh: g.strideH,
        sw: g.strideW,
        ph: g.padH,
        pw: g.padW,
        dh: g.dilH,
        dw: g.dilW,
        groups: g.groups,
        offA: a.offset,
        offB: b.offset,
        offBias: bias ? bias.offset : 0,
      }),
    grid1d(total, CONV_WG),
  );
}

export function addChannelBias(rt: Runtime, out: GPUBuffer, bias: View, total: number, hw: number, c: number): void {
  rt.dispatch(
    'conv_channel_bias',
    channelBiasSource,
    [out, buf(bias)],
    (u, f, i) => CHANNEL_BIAS_PARAMS.write(u, f, i, { total, hw, c, offBias: bias.offset }),
    grid1d(total, 64),
  );
}

export const geom = (a: Conv2dArgs): ConvGeom => ({
  kh: a.kh,
  kw: a.kw,
  sh: a.strideH,
  sw: a.strideW,
  dh: a.dilH,
  dw: a.dilW,
});

/** One axis of one phase of a transposed convolution (see convBackwardInput). */
export interface AxisPhase {
  /** output positions c, c + s, ... below the size */
  count: number;
  /** taps: the original kernel offsets k0, k0 - step, ... (k0 - (taps-1)·step ≥ 0) */
  k0: number;
  step: number;
  taps: number;
  /** output position c + s·j reads the output gradient at j + delta + a·dil for its tap a */
  delta: number;
}
export interface PhaseTaps {
  y: AxisPhase;
  x: AxisPhase;
  kh: number;
  kw: number;
}
