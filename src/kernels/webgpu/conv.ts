// 2-D convolution on WebGPU: plans the passes for the forward, input-gradient and weight-gradient
// kernels. The work runs in the register-tiled kernels of conv-tiled.ts, fed by zero-padded copies
// of the activations (cheap single passes) and a re-laid-out weight; the direct kernels of
// conv-direct.ts remain for windows too large to unroll (more than MAX_TILED_TAPS taps).
//
// - forward: pad x → tiled forward.
// - input gradient: the transposed convolution, split into stride_h·stride_w phases, each the
//   stride-1 convolution of the padded output gradient with a flipped, channel-swapped sub-window
//   of the weight: per phase pad gy → tiled forward → scatter into place (no work on inserted zeros).
// - weight gradient: pad x (and gy to a row length of 4k) → tiled weight gradient, split over
//   (image, row) ranges when cOut·cIn alone gives too few invocations, then a sum of the splits.
// - 1×1, stride-1, unpadded, ungrouped convolutions are GEMMs over the channels: all three go to the
//   device's batched matmul (measured ~2× the tiled kernels there, which have no window to reuse
//   loads across) plus a bias pass / a sum over the batch.
// - depthwise convolutions (groups == cIn, small channel multiplier) have kernels of their own
//   (conv-depthwise.ts): the tiled kernels' channel blocks are 1 wide there.
import type { Conv2dArgs, View } from '../backend.js';
import { gemmBackwardInput, gemmBackwardWeight, gemmForward, useGemm, type MatmulFn } from './conv-gemm.js';
import { depthwiseBackwardInput, depthwiseBackwardWeight, depthwiseForward, isDepthwise } from './conv-depthwise.js';
import {
  CONV_WG,
  convBackwardInputSource,
  convBackwardWeightSource,
  convForwardSource,
  DIRECT_PARAMS,
} from './conv-direct.js';
import {
  CHANNEL_BIAS_PARAMS,
  channelBiasSource,
  INTERLEAVE_PARAMS,
  interleaveSource,
  PAD_PARAMS,
  padSource,
  SUM_LEADING_PARAMS,
  sumLeadingSource,
  UNPAD_PARAMS,
  unpadRowsSource,
  WEIGHT_LAYOUT_PARAMS,
  weightLayoutSource,
  WGRAD_SUM_PARAMS,
  wgradSumSource,
  ZERO_PARAMS,
  zeroSource,
} from './conv-layout.js';
import {
  TILED_FORWARD_PARAMS,
  TILED_WGRAD_PARAMS,
  tiledForwardSource,
  tiledWeightGradSource,
  TN,
  vec4sPerRow,
  type ConvGeom,
  type FwdTile,
  type WgradTile,
} from './conv-tiled.js';
import type { Runtime } from './runtime.js';
import { grid1d } from './wgsl.js';

export type { MatmulFn };

/** windows with more taps than this use the direct kernels (unrolled code would be too large) */
export const MAX_TILED_TAPS = 64;
/** unrolled multiply-adds per input channel in a forward invocation (register and compile budget) */
const FWD_FMA_BUDGET = 576;
/** invocations the weight gradient aims for before it stops splitting the reduction */
const WGRAD_TARGET_LANES = 8192;
/** accumulators (output channels × taps) per weight-gradient invocation */
const WGRAD_MAX_ACC = 72;

/**
 * Switches for benchmarks and tests (both paths must stay correct): use subgroup operations where
 * the device has them; send depthwise convolutions to their own kernels (off: the generic path,
 * for before/after benchmarks); `fwd` overrides the forward tile the planner picks (tile sweeps).
 */
export const convOptions: {
  subgroups: boolean;
  depthwise: boolean;
  fwd?: { tm?: number; rows?: number; wg?: number };
  wgrad?: { tm?: number; rw?: number; wg?: number; lanes?: number };
} = { subgroups: true, depthwise: true };

/**
 * Forward-tile limits, per adapter and output-width class (chosen by conv-autotune.ts; the
 * defaults until it runs): tm, output channels per invocation with subgroups (4 or 8); rows, the
 * most output rows per invocation (the unrolled-FMA budget may allow fewer); wg, workgroup size.
 */
export interface ConvTile {
  tm: number;
  rows: number;
  wg: number;
}
/** Wide images (16+ output columns) and narrow ones can want different tiles. */
export type ConvClass = 'wide' | 'narrow';
export const CONV_CLASSES: readonly ConvClass[] = ['wide', 'narrow'];
export const convClass = (ow: number): ConvClass => (ow >= 16 ? 'wide' : 'narrow');
/**
 * On a software adapter 8 lanes (one SIMD vector) measured faster than 64 (a small workgroup keeps
 * one pixel block in cache while every channel block passes over it) and wastes nothing on small
 * problems; GPUs want larger groups.
 */
export const defaultConvTile = (software: boolean): ConvTile => ({ tm: 8, rows: 4, wg: software ? 8 : 64 });
const tiles = new WeakMap<Runtime, Record<ConvClass, ConvTile>>();
export function setConvTiles(rt: Runtime, t: Record<ConvClass, ConvTile>): void {
  tiles.set(rt, t);
}
export function convTile(rt: Runtime, ow: number): ConvTile {
  return tiles.get(rt)?.[convClass(ow)] ?? defaultConvTile(rt.info.isSoftware);
}

/** The device's subgroup size when it has the `subgroups` feature and one fixed size, else 0. */
export function subgroupSize(rt: Runtime): number {
  if (!convOptions.subgroups || !rt.device.features.has('subgroups')) return 0;
  const ai = (rt.device as unknown as { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } })
    .adapterInfo;
  const min = ai?.subgroupMinSize ?? 0;
  return min >= 4 && min === ai?.subgroupMaxSize ? min : 0;
}

const isPointwise = (a: Conv2dArgs) =>
  a.kh === 1 && a.kw === 1 && a.strideH === 1 && a.strideW === 1 && a.padH === 0 && a.padW === 0 && a.groups === 1;

const buf = (v: View) => v.storage.handle as GPUBuffer;
const up4 = (x: number) => Math.ceil(x / 4) * 4;
/** Workgroup size of the weight-gradient kernel (at least a subgroup). */
const wgFor = (rt: Runtime, sg: number) => Math.max(sg, defaultConvTile(rt.info.isSoftware).wg);
/** output channels per invocation without subgroups: a vec4 of weights from 3 channels up (3 of 4 used beats 2 of 2) */
const blockOf = (channels: number) => (channels >= 3 ? 4 : channels >= 2 ? 2 : 1);

/** Workgroups for `count` groups along x, spilling into z past the per-dimension limit. */
function spread(count: number, max = 65535): { x: number; z: number } {
  if (count <= max) return { x: count, z: 1 };
  const z = Math.ceil(count / max);
  return { x: Math.ceil(count / z), z };
}

function zeros(rt: Runtime, out: GPUBuffer, len: number): void {
  if (len > 0)
    rt.dispatch('conv_zero', zeroSource, [out], (u, f, i) => ZERO_PARAMS.write(u, f, i, { len }), grid1d(len, 64));
}

/**
 * Zero-padded copy of `planes` planes of h×w floats (from element `offset` of src) into hp rows of
 * wp floats each (wp % 4 == 0), the source placed at (top, left).
 */
function padPlanes(
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

interface FwdPlan {
  tile: FwdTile;
  tilesX: number;
  tilesY: number;
  hp: number;
  wp: number;
  lanes: number;
}

/** Tile and padded-input size for a tiled forward producing [n, *, oh, ow] with `og` channels per group. */
function planForward(
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
function tiledForward(
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
function direct(
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

function addChannelBias(rt: Runtime, out: GPUBuffer, bias: View, total: number, hw: number, c: number): void {
  rt.dispatch(
    'conv_channel_bias',
    channelBiasSource,
    [out, buf(bias)],
    (u, f, i) => CHANNEL_BIAS_PARAMS.write(u, f, i, { total, hw, c, offBias: bias.offset }),
    grid1d(total, 64),
  );
}

const geom = (a: Conv2dArgs): ConvGeom => ({
  kh: a.kh,
  kw: a.kw,
  sh: a.strideH,
  sw: a.strideW,
  dh: a.dilH,
  dw: a.dilW,
});

/** x [n, cIn, h, w], w [cOut, cIn/groups, kh, kw], bias [cOut] → out [n, cOut, oh, ow] */
export function convForward(rt: Runtime, x: View, w: View, bias: View | null, a: Conv2dArgs, mm?: MatmulFn): GPUBuffer {
  const total = a.n * a.cOut * a.oh * a.ow;
  if (convOptions.depthwise && isDepthwise(a)) return depthwiseForward(rt, x, w, bias, a);
  if (mm && total > 0 && isPointwise(a)) {
    // out[b] = W [cOut, cIn] · x[b] [cIn, h·w]
    const hw = a.h * a.w;
    const out = mm(w, x, {
      batch: a.n,
      m: a.cOut,
      n: hw,
      k: a.cIn,
      transA: false,
      transB: false,
      strideA: 0,
      strideB: a.cIn * hw,
    });
    if (bias) addChannelBias(rt, out, bias, total, hw, a.cOut);
    return out;
  }
  if (mm && useGemm(a)) {
    const out = gemmForward(rt, x, w, a, mm);
    if (bias) addChannelBias(rt, out, bias, total, a.oh * a.ow, a.cOut);
    return out;
  }
  const out = rt.createBuffer(total * 4);
  if (total === 0) return out;
  // (a channel-block grid past the per-dimension limit is beyond any real model; the direct kernel takes it)
  if (a.kh * a.kw > MAX_TILED_TAPS || a.cOut > 65535) {
    direct(rt, `conv2d:${bias ? 'bias' : ''}`, () => convForwardSource(!!bias), total, out, x, w, bias, a);
    return out;
  }
  const g = geom(a);
  const p = planForward(rt, g, a.n, a.cOut / a.groups, a.oh, a.ow, subgroupSize(rt));
  const xp = padPlanes(rt, buf(x), x.offset, a.n * a.cIn, a.h, a.w, p.hp, p.wp, a.padH, a.padW);
  tiledForward(
    rt,
    xp,
    w,
    bias,
    out,
    g,
    p,
    { n: a.n, cIn: a.cIn, cOut: a.cOut, oh: a.oh, ow: a.ow, groups: a.groups },
    null,
  );
  rt.releaseBuffer(xp);
  return out;
}

/** One axis of one phase of a transposed convolution (see convBackwardInput). */
interface AxisPhase {
  /** output positions c, c + s, ... below the size */
  count: number;
  /** taps: the original kernel offsets k0, k0 - step, ... (k0 - (taps-1)·step ≥ 0) */
  k0: number;
  step: number;
  taps: number;
  /** output position c + s·j reads the output gradient at j + delta + a·dil for its tap a */
  delta: number;
}
interface PhaseTaps {
  y: AxisPhase;
  x: AxisPhase;
  kh: number;
  kw: number;
}
const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
const mod = (a: number, m: number) => ((a % m) + m) % m;

/**
 * Phase c of one axis: input-gradient positions i = c + s·j receive gy[o]·w[k] for every o·s - p + k·d = i,
 * i.e. the taps k with k·d ≡ c + p (mod s), at o = j + (c + p - k·d) / s. Consecutive such taps are
 * s/gcd(d, s) apart and read gy d/gcd(d, s) apart: a stride-1 convolution with a sub-window.
 */
function axisPhase(c: number, k: number, s: number, d: number, p: number, size: number): AxisPhase {
  const step = s / gcd(d, s);
  const count = size > c ? Math.ceil((size - c) / s) : 0;
  let k0 = k - 1;
  while (k0 >= 0 && mod(k0 * d - c - p, s) !== 0) k0--;
  if (k0 < 0) return { count, k0: 0, step, taps: 0, delta: 0 };
  return { count, k0, step, taps: Math.floor(k0 / step) + 1, delta: (c + p - k0 * d) / s };
}

/**
 * gy [n, cOut, oh, ow], w → gx [n, cIn, h, w]. The transposed convolution splits into sh·sw phases
 * (the positions of gx with the same remainders modulo the strides); each is a stride-1 convolution
 * of the padded gy with a flipped sub-window of w, run by the tiled forward kernel. All phases use
 * one window size (the largest; shorter ones get zero taps), so they share one pipeline. Stride 1
 * is the single phase, the whole flipped window.
 */
export function convBackwardInput(rt: Runtime, gy: View, w: View, a: Conv2dArgs, mm?: MatmulFn): GPUBuffer {
  const total = a.n * a.cIn * a.h * a.w;
  if (convOptions.depthwise && isDepthwise(a)) return depthwiseBackwardInput(rt, gy, w, a);
  if (mm && total > 0 && isPointwise(a)) {
    // gx[b] = Wᵀ [cIn, cOut] · gy[b] [cOut, h·w]
    const hw = a.h * a.w;
    return mm(w, gy, {
      batch: a.n,
      m: a.cIn,
      n: hw,
      k: a.cOut,
      transA: true,
      transB: false,
      strideA: 0,
      strideB: a.cOut * hw,
    });
  }
  if (mm && total > 0 && useGemm(a)) return gemmBackwardInput(rt, gy, w, a, mm);
  const out = rt.createBuffer(total * 4);
  if (total === 0) return out;
  if (a.kh * a.kw > MAX_TILED_TAPS || a.cIn > 65535) {
    direct(rt, 'conv2d_bw_input', convBackwardInputSource, total, out, gy, w, null, a);
    return out;
  }
  const ys = Array.from({ length: a.strideH }, (_, c) => axisPhase(c, a.kh, a.strideH, a.dilH, a.padH, a.h));
  const xs = Array.from({ length: a.strideW }, (_, c) => axisPhase(c, a.kw, a.strideW, a.dilW, a.padW, a.w));
  const g: ConvGeom = {
    kh: Math.max(1, ...ys.map((p) => p.taps)),
    kw: Math.max(1, ...xs.map((p) => p.taps)),
    sh: 1,
    sw: 1,
    dh: a.dilH / gcd(a.dilH, a.strideH),
    dw: a.dilW / gcd(a.dilW, a.strideW),
  };
  const single = a.strideH === 1 && a.strideW === 1;
  // positions no tap reaches (a window smaller than the stride) stay zero
  if (ys.some((p) => p.count && !p.taps) || xs.some((p) => p.count && !p.taps)) zeros(rt, out, total);
  const sg = subgroupSize(rt);
  for (const [cy, py] of ys.entries())
    for (const [cx, px] of xs.entries()) {
      if (!py.count || !px.count || !py.taps || !px.taps) continue;
      const p = planForward(rt, g, a.n, a.cIn / a.groups, py.count, px.count, sg);
      const gp = padPlanes(rt, buf(gy), gy.offset, a.n * a.cOut, a.oh, a.ow, p.hp, p.wp, -py.delta, -px.delta);
      const dst = single ? out : rt.createBuffer(a.n * a.cIn * py.count * px.count * 4);
      tiledForward(
        rt,
        gp,
        w,
        null,
        dst,
        g,
        p,
        { n: a.n, cIn: a.cOut, cOut: a.cIn, oh: py.count, ow: px.count, groups: a.groups },
        { y: py, x: px, kh: a.kh, kw: a.kw },
      );
      rt.releaseBuffer(gp);
      if (!single) {
        const rows = a.n * a.cIn * py.count;
        rt.dispatch(
          'conv_interleave',
          interleaveSource,
          [dst, out],
          (u, f, i) =>
            INTERLEAVE_PARAMS.write(u, f, i, {
              rows,
              hc: py.count,
              wc: px.count,
              h: a.h,
              w: a.w,
              cy,
              cx,
              sy: a.strideH,
              sx: a.strideW,
            }),
          grid1d(rows, 64),
        );
        rt.releaseBuffer(dst);
      }
    }
  return out;
}

/** gy [n, cOut, oh, ow], x [n, cIn, h, w] → gw [cOut, cIn/groups, kh, kw] */
export function convBackwardWeight(rt: Runtime, gy: View, x: View, a: Conv2dArgs, mm?: MatmulFn): GPUBuffer {
  const cg = a.cIn / a.groups,
    og = a.cOut / a.groups,
    taps = a.kh * a.kw;
  const total = a.cOut * cg * taps;
  if (convOptions.depthwise && isDepthwise(a)) return depthwiseBackwardWeight(rt, gy, x, a);
  const out = rt.createBuffer(total * 4);
  if (total === 0) return out;
  if (taps > MAX_TILED_TAPS) {
    direct(rt, 'conv2d_bw_weight', convBackwardWeightSource, total, out, gy, x, null, a);
    return out;
  }
  const rows = a.n * a.oh;
  if (rows === 0 || a.ow === 0) {
    zeros(rt, out, total);
    return out;
  }
  if (mm && useGemm(a)) {
    rt.releaseBuffer(out);
    return gemmBackwardWeight(rt, gy, x, a, mm);
  }
  if (mm && isPointwise(a)) {
    // gW = Σ_b gy[b] [cOut, h·w] · x[b]ᵀ [h·w, cIn]: one product per image, then their sum
    const hw = a.h * a.w;
    const per = mm(gy, x, {
      batch: a.n,
      m: a.cOut,
      n: a.cIn,
      k: hw,
      transA: false,
      transB: true,
      strideA: a.cOut * hw,
      strideB: a.cIn * hw,
    });
    rt.dispatch(
      'conv_sum_leading',
      sumLeadingSource,
      [per, out],
      (u, f, i) => SUM_LEADING_PARAMS.write(u, f, i, { len: total, count: a.n }),
      grid1d(total, 64),
    );
    rt.releaseBuffer(per);
    return out;
  }
  const g = geom(a);
  // accumulators per invocation: tm·taps scalars; large windows give each lane one kernel row
  const rowSplit = taps > 9 && a.kh > 1;
  const lTaps = rowSplit ? a.kw : taps;
  const o = convOptions.wgrad;
  let tm = o?.tm ?? 8;
  while (tm > 1 && (tm > og || tm * lTaps > WGRAD_MAX_ACC)) tm /= 2;
  const S = subgroupSize(rt);
  const inner = cg * (rowSplit ? a.kh : 1);
  const sg = S && tm >= 4 && 2 * inner >= S ? S : 0;
  const rw = Math.min(o?.rw ?? (lTaps <= 9 ? 2 : 1), a.oh);
  const ocb = Math.ceil(og / tm);
  const icPad = sg ? Math.ceil(inner / sg) * sg : inner;
  const lanes = a.groups * ocb * icPad;
  const tile: WgradTile = { tm, rw, sg, wg: o?.wg ?? wgFor(rt, sg), rowSplit };
  const units = a.n * Math.ceil(a.oh / rw);
  const splits0 = Math.max(1, Math.min(units, 65535, Math.ceil((o?.lanes ?? WGRAD_TARGET_LANES) / lanes)));
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
  const perLane = Math.ceil((tm * lTaps) / 4) * 4;
  const partial = rt.createBuffer(splits * lanes * perLane * 4);
  const key = `conv_wgrad:${g.kh}x${g.kw}:s${g.sh}x${g.sw}:d${g.dh}x${g.dw}:${tm}x${rw}:${tile.wg}:sg${sg}${rowSplit ? ':rows' : ''}`;
  const sp = spread(Math.ceil(lanes / tile.wg));
  rt.dispatch(
    key,
    () => tiledWeightGradSource(g, tile),
    [gp, xp, partial],
    (u, f, i) =>
      TILED_WGRAD_PARAMS.write(u, f, i, {
        lanes,
        cIn: a.cIn,
        hp,
        wp4: wp / 4,
        cOut: a.cOut,
        oh: a.oh,
        owp4: owp / 4,
        groups: a.groups,
        ocb,
        units,
        perSplit,
        lanesPerZ: sp.x * tile.wg,
        offG4: direct4 ? gy.offset / 4 : 0,
        icPad,
      }),
    [sp.x, splits, sp.z],
  );
  rt.dispatch(
    `conv_wgrad_sum:${tm}`,
    () => wgradSumSource(tm),
    [partial, out],
    (u, f, i) =>
      WGRAD_SUM_PARAMS.write(u, f, i, {
        pairs: lanes * tm,
        splits,
        lanes,
        cg,
        og,
        ocb,
        icPad,
        taps,
        lTaps,
        perLane,
        rowKh: rowSplit ? a.kh : 0,
        kw: a.kw,
      }),
    grid1d(lanes * tm, 64),
  );
  rt.releaseBuffer(partial);
  rt.releaseBuffer(xp);
  if (!direct4) rt.releaseBuffer(gp);
  return out;
}
