// Depthwise convolutions on WebGPU (groups == cIn, cOut = M·cIn with M ≤ DW_MAX_MULT: MobileNet's
// and EfficientNet's 3×3 and 5×5 layers, stride 1 or 2): forward, input gradient and weight
// gradient through the kernels of conv-depthwise-source.ts, planned here. conv.ts sends a
// convolution here when isDepthwise says so; every other grouped convolution keeps the tiled path.
import type { Conv2dArgs, View } from '../backend.js';
import {
  DW_PARAMS,
  dwGatherSource,
  dwSide,
  dwWeightGradSource,
  type DwGeom,
  type DwTile,
} from './conv-depthwise-source.js';
import { SUM_LEADING_PARAMS, sumLeadingSource } from './conv-layout.js';
import type { Runtime } from './runtime.js';
import { grid1d } from './wgsl.js';
import { buf } from './launch.js';

/** largest channel multiplier (cOut / cIn) with kernels of its own: each output channel of a group is unrolled */
export const DW_MAX_MULT = 4;
/** larger windows (unrolled code grows as taps × tile) and strides keep the generic path */
const DW_MAX_TAPS = 49;
const DW_MAX_STRIDE = 4;
/**
 * Workgroup size: 64 lanes. Each lane already walks a whole band of a plane, so a workgroup is
 * 64 bands' worth of work; nothing is shared between its lanes.
 */
const WG = 64;

/** Whether the depthwise kernels take this convolution. */
export function isDepthwise(a: Conv2dArgs): boolean {
  const m = a.cOut / a.cIn;
  return (
    a.groups === a.cIn &&
    Number.isInteger(m) &&
    m >= 1 &&
    m <= DW_MAX_MULT &&
    a.kh * a.kw <= DW_MAX_TAPS &&
    a.strideH <= DW_MAX_STRIDE &&
    a.strideW <= DW_MAX_STRIDE
  );
}

const geomOf = (a: Conv2dArgs): DwGeom => ({
  kh: a.kh,
  kw: a.kw,
  sh: a.strideH,
  sw: a.strideW,
  dh: a.dilH,
  dw: a.dilW,
  ph: a.padH,
  pw: a.padW,
});
const keyOf = (g: DwGeom, t: DwTile) =>
  `${g.kh}x${g.kw}:s${g.sh}x${g.sw}:d${g.dh}x${g.dw}:p${g.ph}x${g.pw}:${t.R}x${t.TN}:m${t.M}:${t.wg}${t.v4 ? ':v4' : ''}`;
/**
 * R and TN are multiples of the strides (the input gradient's taps per position are then fixed);
 * `rowLen`/`offset`: the row length and element offset of the buffer read or written as vec4s
 */
const tileOf = (a: Conv2dArgs, rowLen: number, offset: number): DwTile => ({
  R: dwSide(a.strideH),
  TN: dwSide(a.strideW),
  M: a.cOut / a.cIn,
  wg: WG,
  v4: rowLen % 4 === 0 && offset % 4 === 0,
});

/** x [n, cIn, h, w], w [cOut, 1, kh, kw], bias [cOut] → [n, cOut, oh, ow] */
export function depthwiseForward(rt: Runtime, x: View, w: View, bias: View | null, a: Conv2dArgs): GPUBuffer {
  const out = rt.createBuffer(a.n * a.cOut * a.oh * a.ow * 4);
  if (a.n * a.cOut * a.oh * a.ow === 0) return out;
  const g = geomOf(a),
    t = tileOf(a, a.ow, 0);
  const bands = Math.ceil(a.oh / t.R),
    lanes = a.n * a.cIn * bands;
  const buffers = bias ? [buf(x), buf(w), out, buf(bias)] : [buf(x), buf(w), out];
  rt.dispatch(
    `conv_dw_fwd:${keyOf(g, t)}${bias ? ':bias' : ''}`,
    () => dwGatherSource('fwd', g, t, !!bias),
    buffers,
    (u, f, i) =>
      DW_PARAMS.write(u, f, i, {
        lanes,
        C: a.cIn,
        bands,
        hIn: a.h,
        wIn: a.w,
        hOut: a.oh,
        wOut: a.ow,
        tilesX: Math.ceil(a.ow / t.TN),
        offIn: x.offset,
        offW: w.offset,
        offBias: bias ? bias.offset : 0,
      }),
    grid1d(lanes, WG),
  );
  return out;
}

/** gy [n, cOut, oh, ow], w → gx [n, cIn, h, w] */
export function depthwiseBackwardInput(rt: Runtime, gy: View, w: View, a: Conv2dArgs): GPUBuffer {
  const out = rt.createBuffer(a.n * a.cIn * a.h * a.w * 4);
  if (a.n * a.cIn * a.h * a.w === 0) return out;
  const g = geomOf(a),
    t = tileOf(a, a.w, 0);
  const bands = Math.ceil(a.h / t.R),
    lanes = a.n * a.cIn * bands;
  rt.dispatch(
    `conv_dw_bgx:${keyOf(g, t)}`,
    () => dwGatherSource('bgx', g, t, false),
    [buf(gy), buf(w), out],
    (u, f, i) =>
      DW_PARAMS.write(u, f, i, {
        lanes,
        C: a.cIn,
        bands,
        hIn: a.oh,
        wIn: a.ow,
        hOut: a.h,
        wOut: a.w,
        tilesX: Math.ceil(a.w / t.TN),
        offIn: gy.offset,
        offW: w.offset,
        offBias: 0,
      }),
    grid1d(lanes, WG),
  );
  return out;
}

/** gy [n, cOut, oh, ow], x [n, cIn, h, w] → gw [cOut, 1, kh, kw]: partials per (image, band), then their sum */
export function depthwiseBackwardWeight(rt: Runtime, gy: View, x: View, a: Conv2dArgs): GPUBuffer {
  const len = a.cOut * a.kh * a.kw;
  const out = rt.createBuffer(len * 4);
  const g = geomOf(a),
    t = tileOf(a, a.ow, gy.offset);
  const bands = Math.ceil(a.oh / t.R),
    splits = a.n * bands,
    lanes = a.n * a.cIn * bands;
  const partial = rt.createBuffer(Math.max(1, splits * len) * 4);
  if (lanes > 0 && a.ow > 0) {
    rt.dispatch(
      `conv_dw_wgrad:${keyOf(g, t)}`,
      () => dwWeightGradSource(g, t),
      [buf(x), buf(gy), partial],
      (u, f, i) =>
        DW_PARAMS.write(u, f, i, {
          lanes,
          C: a.cIn,
          bands,
          hIn: a.h,
          wIn: a.w,
          hOut: a.oh,
          wOut: a.ow,
          tilesX: Math.ceil(a.ow / t.TN),
          offIn: x.offset,
          offW: gy.offset,
          offBias: 0,
        }),
      grid1d(lanes, WG),
    );
  }
  // with no partials (an empty batch) the sum over zero of them writes the zeros
  const count = lanes > 0 && a.ow > 0 ? splits : 0;
  rt.dispatch(
    'conv_sum_leading',
    sumLeadingSource,
    [partial, out],
    (u, f, i) => SUM_LEADING_PARAMS.write(u, f, i, { len, count }),
    grid1d(len, 64),
  );
  rt.releaseBuffer(partial);
  return out;
}
