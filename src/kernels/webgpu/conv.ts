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
import { convBackwardInputSource, convBackwardWeightSource, convForwardSource } from './conv-direct.js';
import {
  INTERLEAVE_PARAMS,
  interleaveSource,
  SUM_LEADING_PARAMS,
  sumLeadingSource,
  WGRAD_SUM_PARAMS,
  wgradSumSource,
} from './conv-layout.js';
import { TILED_WGRAD_PARAMS, tiledWeightGradSource, vec4sPerRow, type ConvGeom, type WgradTile } from './conv-tiled.js';
import type { Runtime } from './runtime.js';
import { grid1d } from './wgsl.js';

import { convOptions, MAX_TILED_TAPS, subgroupSize, WGRAD_MAX_ACC, WGRAD_TARGET_LANES } from './conv-options.js';
import {
  addChannelBias,
  direct,
  geom,
  isPointwise,
  padPlanes,
  planForward,
  spread,
  tiledForward,
  up4,
  wgFor,
  zeros,
  type AxisPhase,
} from './conv-passes.js';
import { buf } from './launch.js';

export * from './conv-options.js';
export type { MatmulFn };

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
