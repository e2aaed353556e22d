// Pooling with PyTorch's output-size rules and errors. 1-D pools run through the 2-D kernels with
// height 1; unbatched inputs ([C, H, W] / [C, L]) get a batch dim of 1 for the kernel.
//
// Gradients: max pooling routes each output gradient to its argmax (the kernel's int32 indices,
// scatterAdd, whose backward is a gather, so double backward works); average pooling's backward is
// the adjoint kernel, recorded so that its own backward is the forward pool again.
import { add, cat, matmul, max, mul, narrow, record, reshape, squeeze, unsqueeze } from '../../autograd/index.js';
import { gatherUnchecked, scatterAddUnchecked } from '../../autograd/ops/indexing.js';
import { dense, dropTemp, requireFloat, wrap } from '../../autograd/ops/util.js';
import { ArgumentError, fmtShape, ShapeError } from '../../errors.js';
import type { Pool2dArgs } from '../../kernels/backend.js';
import { Tensor } from '../../tensor/tensor.js';
import { as2d, expandInts, type IntOrList } from './window-args.js';

export interface MaxPoolOptions {
  /** defaults to kernelSize */
  stride?: IntOrList | null;
  padding?: IntOrList;
  dilation?: IntOrList;
  ceilMode?: boolean;
  returnIndices?: boolean;
}
export interface AvgPoolOptions {
  /** defaults to kernelSize */
  stride?: IntOrList | null;
  padding?: IntOrList;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}
/** adaptive output size: an int, or one per spatial dim where null keeps the input size */
export type AdaptiveSize = number | readonly (number | null)[];

// ---------- geometry ----------

/** PyTorch's pooling_output_shape: with ceilMode the last window must start inside the input or the left padding. */
function poolOutSize(inp: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  let o = Math.floor((inp + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (o - 1) * s >= inp + p) o--;
  return o;
}

interface Spec {
  kernel: IntOrList;
  stride?: IntOrList | null;
  padding?: IntOrList;
  dilation?: IntOrList;
  ceilMode?: boolean;
}

/** Validated 2-D kernel arguments for a pool over the last `nd` dims of `x` (batched or not). */
function geometry(op: string, nd: 1 | 2, x: Tensor, spec: Spec): { x4: Tensor; batched: boolean; a: Pool2dArgs } {
  requireFloat(x, op);
  if (x.ndim !== nd + 1 && x.ndim !== nd + 2) {
    throw new ShapeError(
      `${op}: expected ${nd + 1}D (unbatched) or ${nd + 2}D (batched) input, but got input of size: ${fmtShape(x.shape)}`,
    );
  }
  const k = expandInts(spec.kernel, nd, 'kernelSize', op);
  const s =
    spec.stride === undefined || spec.stride === null || (Array.isArray(spec.stride) && !spec.stride.length)
      ? k
      : expandInts(spec.stride, nd, 'stride', op);
  const p = expandInts(spec.padding ?? 0, nd, 'padding', op);
  const d = expandInts(spec.dilation ?? 1, nd, 'dilation', op);
  if (k.some((v) => v <= 0))
    throw new ArgumentError(`${op}: kernel size should be greater than zero, but got kernelSize=${fmtShape(k)}`);
  if (s.some((v) => v <= 0))
    throw new ArgumentError(`${op}: stride should be greater than zero, but got stride=${fmtShape(s)}`);
  if (d.some((v) => v <= 0))
    throw new ArgumentError(`${op}: dilation should be greater than zero, but got dilation=${fmtShape(d)}`);
  if (p.some((v) => v < 0))
    throw new ArgumentError(`${op}: padding must be non-negative, but got padding=${fmtShape(p)}`);
  p.forEach((v, i) => {
    if (v > Math.floor(k[i] / 2)) {
      throw new ArgumentError(
        `${op}: pad should be at most half of kernel size, but got pad=${v} and kernel_size=${k[i]} (input ${fmtShape(x.shape)})`,
      );
    }
  });
  const batched = x.ndim === nd + 2;
  const xb = batched ? x : unsqueeze(x, 0);
  const x4 = nd === 1 ? unsqueeze(xb, 2) : xb;
  const [n, c, h, w] = x4.shape;
  const [kh, kw] = as2d(k, 1),
    [strideH, strideW] = as2d(s, 1),
    [padH, padW] = as2d(p, 0),
    [dilH, dilW] = as2d(d, 1);
  const ceil = !!spec.ceilMode;
  const oh = poolOutSize(h, kh, strideH, padH, dilH, ceil),
    ow = poolOutSize(w, kw, strideW, padW, dilW, ceil);
  if (oh < 1 || ow < 1) {
    const plane = nd === 1 ? `${c}x${w}` : `${c}x${h}x${w}`,
      outPlane = nd === 1 ? `${c}x${ow}` : `${c}x${oh}x${ow}`;
    throw new ShapeError(
      `Given input size: (${plane}). Calculated output size: (${outPlane}). Output size is too small (${op}: input ${fmtShape(x.shape)}, kernelSize ${fmtShape(k)}, stride ${fmtShape(s)}, padding ${fmtShape(p)}, dilation ${fmtShape(d)})`,
    );
  }
  return { x4, batched, a: { n, c, h, w, oh, ow, kh, kw, strideH, strideW, padH, padW, dilH, dilW } };
}

/** Undo the 2-D/batch lifting of `geometry` on a [n, c, oh, ow] result. */
function lower(y: Tensor, nd: 1 | 2, batched: boolean): Tensor {
  const r = nd === 1 ? squeeze(y, 2) : y;
  return batched ? r : squeeze(r, 0);
}

// ---------- max pooling ----------

/** Values (recorded) and flat h*w argmax indices of a 2-D max pool over x4 [n, c, h, w]. */
function maxPoolOp(x4: Tensor, a: Pool2dArgs): [Tensor, Tensor] {
  const xd = dense(x4);
  const [vs, is] = x4.backend.maxPool2d(xd, a);
  dropTemp(xd, x4);
  const shape = [a.n, a.c, a.oh, a.ow];
  const idx = wrap(is, shape);
  const y = record('MaxPool2DWithIndicesBackward0', wrap(vs, shape), [x4], (g) => [routeToIndices(g, idx, x4.shape)]);
  return [y, idx];
}
/** Gradient of a max pool: each output gradient added at its input's flat (h*w) index. */
function routeToIndices(g: Tensor, idx: Tensor, shape: readonly number[]): Tensor {
  const planes = shape[0] * shape[1],
    outPer = g.shape[2] * g.shape[3];
  const flat = scatterAddUnchecked(reshape(g, [planes, outPer]), 1, reshape(idx, [planes, outPer]), [
    planes,
    shape[2] * shape[3],
  ]);
  return reshape(flat, shape);
}

function maxPoolNd(
  op: string,
  nd: 1 | 2,
  x: Tensor,
  kernelSize: IntOrList,
  opts: MaxPoolOptions,
): Tensor | [Tensor, Tensor] {
  const { x4, batched, a } = geometry(op, nd, x, { kernel: kernelSize, ...opts });
  const [y, idx] = maxPoolOp(x4, a);
  const out = lower(y, nd, batched);
  return opts.returnIndices ? [out, lower(idx, nd, batched)] : out;
}

/**
 * `F.maxPool2d(x [N, C, H, W] or [C, H, W], kernelSize, { stride, padding, dilation, ceilMode, returnIndices })`.
 * With `returnIndices` it returns `[output, indices]`, indices int32 flat over H*W as in PyTorch.
 */
export function maxPool2d(
  x: Tensor,
  kernelSize: IntOrList,
  opts: MaxPoolOptions & { returnIndices: true },
): [Tensor, Tensor];
export function maxPool2d(x: Tensor, kernelSize: IntOrList, opts?: MaxPoolOptions & { returnIndices?: false }): Tensor;
export function maxPool2d(x: Tensor, kernelSize: IntOrList, opts?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function maxPool2d(x: Tensor, kernelSize: IntOrList, opts: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  return maxPoolNd('maxPool2d', 2, x, kernelSize, opts);
}
/** `F.maxPool1d(x [N, C, L] or [C, L], kernelSize, { stride, padding, dilation, ceilMode, returnIndices })` */
export function maxPool1d(
  x: Tensor,
  kernelSize: IntOrList,
  opts: MaxPoolOptions & { returnIndices: true },
): [Tensor, Tensor];
export function maxPool1d(x: Tensor, kernelSize: IntOrList, opts?: MaxPoolOptions & { returnIndices?: false }): Tensor;
export function maxPool1d(x: Tensor, kernelSize: IntOrList, opts?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function maxPool1d(x: Tensor, kernelSize: IntOrList, opts: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  return maxPoolNd('maxPool1d', 1, x, kernelSize, opts);
}

// ---------- average pooling ----------

function avgPoolOp(x4: Tensor, a: Pool2dArgs): Tensor {
  const xd = dense(x4);
  const out = wrap(x4.backend.avgPool2d(xd, a), [a.n, a.c, a.oh, a.ow]);
  dropTemp(xd, x4);
  return record('AvgPool2DBackward0', out, [x4], (g) => [avgPoolGrad(g, a)]);
}
/** the adjoint of avgPoolOp; linear, so its backward is the forward pool */
function avgPoolGrad(g: Tensor, a: Pool2dArgs): Tensor {
  const gd = dense(g);
  const out = wrap(g.backend.avgPool2dBackward(gd, a), [a.n, a.c, a.h, a.w]);
  dropTemp(gd, g);
  return record('AvgPool2DBackwardBackward0', out, [g], (gg) => [avgPoolOp(gg, a)]);
}

function avgPoolNd(op: string, nd: 1 | 2, x: Tensor, kernelSize: IntOrList, opts: AvgPoolOptions): Tensor {
  const { x4, batched, a } = geometry(op, nd, x, {
    kernel: kernelSize,
    stride: opts.stride,
    padding: opts.padding,
    ceilMode: opts.ceilMode,
  });
  const div = opts.divisorOverride ?? null;
  if (div !== null && (div === 0 || !Number.isInteger(div)))
    throw new ArgumentError(`${op}: divisor must be not zero (and an integer), got divisorOverride=${div}`);
  a.countIncludePad = opts.countIncludePad ?? true;
  a.divisor = div ?? 0;
  return lower(avgPoolOp(x4, a), nd, batched);
}

/** `F.avgPool2d(x, kernelSize, { stride, padding, ceilMode, countIncludePad = true, divisorOverride })` */
export function avgPool2d(x: Tensor, kernelSize: IntOrList, opts: AvgPoolOptions = {}): Tensor {
  return avgPoolNd('avgPool2d', 2, x, kernelSize, opts);
}
/** `F.avgPool1d(x [N, C, L] or [C, L], kernelSize, { stride, padding, ceilMode, countIncludePad = true })` */
export function avgPool1d(
  x: Tensor,
  kernelSize: IntOrList,
  opts: Omit<AvgPoolOptions, 'divisorOverride'> = {},
): Tensor {
  return avgPoolNd('avgPool1d', 1, x, kernelSize, opts);
}

// ---------- adaptive pooling ----------
// Window i of `out` over `inp` is [floor(i*inp/out), ceil((i+1)*inp/out)), as in PyTorch. When the
// size divides evenly the windows are a plain pool (one kernel); otherwise they vary in size.

const winStart = (i: number, inp: number, out: number) => Math.floor((i * inp) / out);
const winEnd = (i: number, inp: number, out: number) => Math.ceil(((i + 1) * inp) / out);

function adaptiveSetup(op: string, nd: 1 | 2, x: Tensor, outputSize: AdaptiveSize) {
  requireFloat(x, op);
  if (x.ndim !== nd + 1 && x.ndim !== nd + 2) {
    throw new ShapeError(
      `${op}: expected ${nd + 1}D (unbatched) or ${nd + 2}D (batched) input, but got input of size: ${fmtShape(x.shape)}`,
    );
  }
  const inSize = x.shape.slice(-nd);
  if (x.shape.slice(x.ndim === nd + 2 ? 1 : 0).some((s) => s === 0)) {
    throw new ShapeError(
      `${op}(): expected input to have non-zero size for non-batch dimensions, but input has sizes ${fmtShape(x.shape)}`,
    );
  }
  const raw = typeof outputSize === 'number' ? new Array<number | null>(nd).fill(outputSize) : [...outputSize];
  if (raw.length !== nd)
    throw new ArgumentError(`${op}: outputSize must be an int or ${nd} values, got ${JSON.stringify(outputSize)}`);
  const out = raw.map((v, i) => (v === null ? inSize[i] : v));
  if (out.some((v) => !Number.isInteger(v) || v < 1))
    throw new ArgumentError(`${op}: outputSize must be positive integers, got ${JSON.stringify(outputSize)}`);
  const batched = x.ndim === nd + 2;
  const xb = batched ? x : unsqueeze(x, 0);
  const x4 = nd === 1 ? unsqueeze(xb, 2) : xb;
  const [oh, ow] = as2d(out, 1);
  return { x4, batched, oh, ow };
}
/** the plain pool equivalent to an adaptive pool when both sizes divide evenly, else null */
function evenPool(x4: Tensor, oh: number, ow: number): Pool2dArgs | null {
  const [n, c, h, w] = x4.shape;
  if (h % oh || w % ow) return null;
  const kh = h / oh,
    kw = w / ow;
  return {
    n,
    c,
    h,
    w,
    oh,
    ow,
    kh,
    kw,
    strideH: kh,
    strideW: kw,
    padH: 0,
    padW: 0,
    dilH: 1,
    dilW: 1,
    countIncludePad: true,
    divisor: 0,
  };
}
/** [out, inp] averaging matrix: row i holds 1/len over window i */
function averager(out: number, inp: number, device: Tensor['device']): Tensor {
  const m = new Float32Array(out * inp);
  for (let i = 0; i < out; i++) {
    const s = winStart(i, inp, out),
      e = winEnd(i, inp, out);
    for (let j = s; j < e; j++) m[i * inp + j] = 1 / (e - s);
  }
  return Tensor.fromHost(m, [out, inp], 'float32', device);
}

function adaptiveAvgNd(op: string, nd: 1 | 2, x: Tensor, outputSize: AdaptiveSize): Tensor {
  const { x4, batched, oh, ow } = adaptiveSetup(op, nd, x, outputSize);
  const even = evenPool(x4, oh, ow);
  let y: Tensor;
  if (even) y = avgPoolOp(x4, even);
  else {
    // separable: the mean over a rectangle is the mean over rows of the means over columns
    const [, , h, w] = x4.shape;
    const colsAvg = w === ow ? x4 : matmul(x4, averager(ow, w, x.device).t());
    y = h === oh ? colsAvg : matmul(averager(oh, h, x.device), colsAvg);
  }
  return lower(y, nd, batched);
}
/** `F.adaptiveAvgPool2d(x, outputSize)`; `outputSize` an int or [oh, ow] (null keeps that input size) */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  return adaptiveAvgNd('adaptiveAvgPool2d', 2, x, outputSize);
}
/** `F.adaptiveAvgPool1d(x [N, C, L] or [C, L], outputSize)` */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number | readonly [number]): Tensor {
  return adaptiveAvgNd('adaptiveAvgPool1d', 1, x, outputSize);
}

/** Max over the adaptive windows along `dim` of x: values and absolute int32 positions along `dim`. */
function adaptiveMaxAlong(x: Tensor, dim: number, out: number): { values: Tensor; index: Tensor } {
  const inp = x.shape[dim];
  const values: Tensor[] = [],
    index: Tensor[] = [];
  for (let i = 0; i < out; i++) {
    const s = winStart(i, inp, out),
      e = winEnd(i, inp, out);
    // max(dim) picks the first maximum, the element PyTorch's kernel picks
    const r = max(narrow(x, dim, s, e - s), dim, { keepdim: true });
    values.push(r.values);
    index.push(s ? add(r.indices, s) : r.indices);
  }
  return { values: cat(values, dim), index: cat(index, dim) };
}

function adaptiveMaxNd(
  op: string,
  nd: 1 | 2,
  x: Tensor,
  outputSize: AdaptiveSize,
  returnIndices: boolean,
): Tensor | [Tensor, Tensor] {
  const { x4, batched, oh, ow } = adaptiveSetup(op, nd, x, outputSize);
  const even = evenPool(x4, oh, ow);
  let y: Tensor, idx: Tensor;
  if (even) [y, idx] = maxPoolOp(x4, even);
  else {
    // windows of varying size: max along W, then along H over the column winners. The first row
    // holding the maximum, at its first column, is the row-major first maximum, as in PyTorch.
    const w = x4.shape[3];
    const cols = adaptiveMaxAlong(x4, 3, ow); // [n, c, h, ow]
    const rows = adaptiveMaxAlong(cols.values, 2, oh); // [n, c, oh, ow]
    y = rows.values;
    idx = returnIndices ? add(mul(rows.index, w), gatherUnchecked(cols.index, 2, rows.index)) : rows.index;
  }
  const out = lower(y, nd, batched);
  return returnIndices ? [out, lower(idx, nd, batched)] : out;
}
/** `F.adaptiveMaxPool2d(x, outputSize, { returnIndices })`; indices int32 flat over H*W */
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, opts: { returnIndices: true }): [Tensor, Tensor];
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, opts?: { returnIndices?: false }): Tensor;
export function adaptiveMaxPool2d(
  x: Tensor,
  outputSize: AdaptiveSize,
  opts: { returnIndices?: boolean } = {},
): Tensor | [Tensor, Tensor] {
  return adaptiveMaxNd('adaptiveMaxPool2d', 2, x, outputSize, !!opts.returnIndices);
}
/** `F.adaptiveMaxPool1d(x [N, C, L] or [C, L], outputSize, { returnIndices })`; TextCNN's max over time is `adaptiveMaxPool1d(x, 1)` */
export function adaptiveMaxPool1d(
  x: Tensor,
  outputSize: number | readonly [number],
  opts: { returnIndices: true },
): [Tensor, Tensor];
export function adaptiveMaxPool1d(
  x: Tensor,
  outputSize: number | readonly [number],
  opts?: { returnIndices?: false },
): Tensor;
export function adaptiveMaxPool1d(
  x: Tensor,
  outputSize: number | readonly [number],
  opts: { returnIndices?: boolean } = {},
): Tensor | [Tensor, Tensor] {
  return adaptiveMaxNd('adaptiveMaxPool1d', 1, x, outputSize, !!opts.returnIndices);
}
