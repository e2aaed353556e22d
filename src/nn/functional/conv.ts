// F.conv2d and F.conv1d with PyTorch's argument rules and errors. conv1d runs through the 2-D
// kernels with height 1 (a view, no copy).
//
// Differentiability: the forward and both backward kernels are recorded ops whose own backwards are
// again these three convolutions (they are bilinear, each the adjoint of another), so gradients of
// any order are exact, e.g. a gradient penalty through a conv. Inputs whose `needs[i]` is false get
// no kernel: a frozen weight costs no weight-gradient convolution.
import { record, reshape, squeeze, sum, unsqueeze } from '../../autograd/index.js';
import { dense, dropTemp, requireFloat, sameDevice, wrap } from '../../autograd/ops/util.js';
import { ArgumentError, fmtShape, ShapeError } from '../../errors.js';
import type { Conv2dArgs } from '../../kernels/backend.js';
import type { Tensor } from '../../tensor/tensor.js';
import { pad } from './misc.js';
import { as2d, expandInts, type IntOrList } from './window-args.js';

export interface ConvOptions {
  stride?: IntOrList;
  /** an int, one int per spatial dim, 'valid' (no padding) or 'same' (output size = input size, stride 1 only) */
  padding?: IntOrList | 'same' | 'valid';
  dilation?: IntOrList;
  groups?: number;
}

// ---------- the three kernels as recorded ops ----------

/** x [n, cIn, h, w], w [cOut, cIn/groups, kh, kw], bias [cOut] → [n, cOut, oh, ow] */
function convOp(x: Tensor, w: Tensor, bias: Tensor | null, a: Conv2dArgs): Tensor {
  const xd = dense(x),
    wd = dense(w),
    bd = bias ? dense(bias) : null;
  const out = wrap(x.backend.conv2d(xd, wd, bd, a), [a.n, a.cOut, a.oh, a.ow]);
  dropTemp(xd, x);
  dropTemp(wd, w);
  if (bias && bd) dropTemp(bd, bias);
  return record('ConvolutionBackward0', out, [x, w, bias], (g, need) => [
    need[0] ? convInputGrad(g, w, a) : null,
    need[1] ? convWeightGrad(g, x, a) : null,
    need[2] ? sum(g, [0, 2, 3]) : null,
  ]);
}

/** gx = the adjoint of convOp in x: linear in gy and in w */
function convInputGrad(gy: Tensor, w: Tensor, a: Conv2dArgs): Tensor {
  const gd = dense(gy),
    wd = dense(w);
  const out = wrap(gy.backend.conv2dBackwardInput(gd, wd, a), [a.n, a.cIn, a.h, a.w]);
  dropTemp(gd, gy);
  dropTemp(wd, w);
  return record('ConvolutionBackwardBackward0', out, [gy, w], (gg, need) => [
    need[0] ? convOp(gg, w, null, a) : null,
    need[1] ? convWeightGrad(gy, gg, a) : null,
  ]);
}

/** gw = the adjoint of convOp in w: linear in gy and in x */
function convWeightGrad(gy: Tensor, x: Tensor, a: Conv2dArgs): Tensor {
  const gd = dense(gy),
    xd = dense(x);
  const out = wrap(gy.backend.conv2dBackwardWeight(gd, xd, a), [a.cOut, a.cIn / a.groups, a.kh, a.kw]);
  dropTemp(gd, gy);
  dropTemp(xd, x);
  return record('ConvolutionBackwardBackward0', out, [gy, x], (gg, need) => [
    need[0] ? convOp(x, gg, null, a) : null,
    need[1] ? convInputGrad(gy, gg, a) : null,
  ]);
}

// ---------- the public ops ----------

/** `F.conv2d(x [N, C, H, W] or [C, H, W], weight [O, C/groups, kH, kW], bias?, { stride, padding, dilation, groups })` */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvOptions = {}): Tensor {
  return convNd('conv2d', 2, x, weight, bias, opts);
}

/** `F.conv1d(x [N, C, L] or [C, L], weight [O, C/groups, K], bias?, { stride, padding, dilation, groups })` */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvOptions = {}): Tensor {
  return convNd('conv1d', 1, x, weight, bias, opts);
}

function convNd(op: string, nd: 1 | 2, x: Tensor, weight: Tensor, bias: Tensor | null, opts: ConvOptions): Tensor {
  sameDevice(op, x, weight, bias);
  requireFloat(x, op);
  requireFloat(weight, op);
  if (bias) requireFloat(bias, op);
  if (weight.ndim !== nd + 2) {
    throw new ShapeError(
      `${op}: expected a ${nd + 2}-D weight [out_channels, in_channels/groups, ${nd === 2 ? 'kH, kW' : 'kW'}], got weight of size ${fmtShape(weight.shape)}`,
    );
  }
  if (x.ndim !== nd + 1 && x.ndim !== nd + 2) {
    throw new ShapeError(
      `Expected ${nd + 1}D (unbatched) or ${nd + 2}D (batched) input to ${op}, but got input of size: ${fmtShape(x.shape)}`,
    );
  }
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1)
    throw new ArgumentError(`${op}: non-positive groups is not supported (groups=${groups})`);
  const stride = expandInts(opts.stride ?? 1, nd, 'stride', op);
  const dilation = expandInts(opts.dilation ?? 1, nd, 'dilation', op);
  if (stride.some((s) => s <= 0))
    throw new ArgumentError(`${op}: non-positive stride is not supported (stride=${fmtShape(stride)})`);
  if (dilation.some((d) => d <= 0))
    throw new ArgumentError(`${op}: dilation should be greater than zero (dilation=${fmtShape(dilation)})`);

  const batched = x.ndim === nd + 2;
  const xb = batched ? x : unsqueeze(x, 0);
  const cOut = weight.shape[0],
    cg = weight.shape[1];
  if (cOut % groups !== 0) {
    throw new ShapeError(
      `Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${fmtShape(weight.shape)} instead`,
    );
  }
  if (xb.shape[1] !== cg * groups) {
    throw new ShapeError(
      `Given groups=${groups}, weight of size ${fmtShape(weight.shape)}, expected input${fmtShape(xb.shape)} to have ${cg * groups} channels, but got ${xb.shape[1]} channels instead`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== cOut)) {
    throw new ShapeError(
      `Given weight of size ${fmtShape(weight.shape)}, expected bias to be 1-dimensional with ${cOut} elements, but got bias of size ${fmtShape(bias.shape)} instead`,
    );
  }

  // effective (dilated) kernel extent per spatial dim
  const span = weight.shape.slice(2).map((k, i) => dilation[i] * (k - 1) + 1);
  let padding: number[];
  let extra = new Array<number>(nd).fill(0); // 'same' with an odd total: PyTorch pads the extra one on the right
  const p = opts.padding ?? 0;
  if (p === 'valid') padding = new Array<number>(nd).fill(0);
  else if (p === 'same') {
    if (stride.some((s) => s !== 1))
      throw new ArgumentError(
        `padding='same' is not supported for strided convolutions (${op}, stride=${fmtShape(stride)})`,
      );
    padding = span.map((s) => Math.floor((s - 1) / 2));
    extra = span.map((s, i) => s - 1 - 2 * padding[i]);
  } else if (typeof p === 'string') {
    throw new ArgumentError(`${op}: invalid padding string '${p}', should be one of 'valid' or 'same'`);
  } else {
    padding = expandInts(p, nd, 'padding', op);
    if (padding.some((v) => v < 0))
      throw new ArgumentError(`${op}: negative padding is not supported (padding=${fmtShape(padding)})`);
  }
  const inSize = xb.shape.slice(2);
  const padded = inSize.map((s, i) => s + 2 * padding[i] + extra[i]);
  if (padded.some((v, i) => v < span[i])) {
    throw new ShapeError(
      `Calculated padded input size per channel: (${padded.join(' x ')}). Kernel size: (${span.join(' x ')}). Kernel size can't be greater than actual input size (${op}: input ${fmtShape(x.shape)}, weight ${fmtShape(weight.shape)}, padding ${fmtShape(padding)}, dilation ${fmtShape(dilation)})`,
    );
  }

  let x4 = nd === 1 ? unsqueeze(xb, 2) : xb;
  const w4 = nd === 1 ? unsqueeze(weight, 2) : weight;
  if (extra.some((e) => e > 0)) x4 = pad(x4, nd === 1 ? [0, extra[0]] : [0, extra[1], 0, extra[0]]);
  const [strideH, strideW] = as2d(stride, 1);
  const [padH, padW] = as2d(padding, 0);
  const [dilH, dilW] = as2d(dilation, 1);
  const [n, cIn, h, w] = x4.shape;
  const [, , kh, kw] = w4.shape;
  const a: Conv2dArgs = {
    n,
    cIn,
    h,
    w,
    cOut,
    kh,
    kw,
    oh: Math.floor((h + 2 * padH - dilH * (kh - 1) - 1) / strideH) + 1,
    ow: Math.floor((w + 2 * padW - dilW * (kw - 1) - 1) / strideW) + 1,
    strideH,
    strideW,
    padH,
    padW,
    dilH,
    dilW,
    groups,
  };
  let y = convOp(x4, w4, bias, a);
  if (nd === 1) y = reshape(y, [n, cOut, a.ow]);
  return batched ? y : squeeze(y, 0);
}
