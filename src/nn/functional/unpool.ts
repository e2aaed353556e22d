// Max unpooling, the partial inverse of max pooling (PyTorch's max_unpool1d/2d): zeros of the output
// size with each input value written at its flat (h*w) index per plane. Composed from scatterAdd;
// an index named twice (overlapping pool windows) receives the mean of its values — the value itself
// when they agree, as they do after max pooling (PyTorch's CPU kernel keeps the last write, CUDA an
// arbitrary one). The gradient is PyTorch's: each input takes the output gradient at its index.
// Indices outside the output plane are an IndexError (on webgpu at the next readback).
import { clamp, div, noGrad, record, reshape } from '../../autograd/index.js';
import { gatherUnchecked, scatterAddUnchecked } from '../../autograd/ops/indexing.js';
import { checkValues, requireFloat } from '../../autograd/ops/util.js';
import { ArgumentError, DTypeError, fmtShape, IndexError, ShapeError } from '../../errors.js';
import { onesLike } from '../../tensor/creation.js';
import { scope } from '../../tensor/memory.js';
import type { Tensor } from '../../tensor/tensor.js';
import { expandInts, type IntOrList } from './window-args.js';

export interface MaxUnpoolOptions {
  /** defaults to kernelSize */
  stride?: IntOrList | null;
  padding?: IntOrList;
  /** the spatial output size ([oh, ow], or [n, c, oh, ow]); needed where pooling floored the size */
  outputSize?: readonly number[] | null;
}

/** PyTorch's _unpool_output_size: (in - 1) * stride + kernel - 2 * padding, or a checked outputSize. */
function unpoolOutSize(
  op: string,
  inSize: number[],
  k: number[],
  s: number[],
  p: number[],
  outputSize?: readonly number[] | null,
): number[] {
  const nd = k.length;
  const dflt = inSize.map((v, d) => (v - 1) * s[d] + k[d] - 2 * p[d]);
  if (outputSize === undefined || outputSize === null) return dflt;
  const out = outputSize.length === nd + 2 ? outputSize.slice(2) : [...outputSize];
  if (out.length !== nd) {
    throw new ArgumentError(
      `${op}: output_size should be a sequence containing ${nd} or ${nd + 2} elements, but it has a length of '${outputSize.length}'`,
    );
  }
  out.forEach((v, d) => {
    const lo = dflt[d] - s[d],
      hi = dflt[d] + s[d];
    if (!(lo < v && v < hi) || !Number.isInteger(v))
      throw new ArgumentError(
        `${op}: invalid output_size "${JSON.stringify(outputSize)}" (dim ${d} must be between ${lo} and ${hi})`,
      );
  });
  return out;
}

function maxUnpoolNd(
  op: string,
  nd: 1 | 2,
  x: Tensor,
  indices: Tensor,
  kernelSize: IntOrList,
  opts: MaxUnpoolOptions,
): Tensor {
  requireFloat(x, op);
  if (indices.dtype !== 'int32')
    throw new DTypeError(`${op}: elements in indices should be type int32 but got: ${indices.dtype}`);
  if (x.ndim !== nd + 1 && x.ndim !== nd + 2) {
    throw new ShapeError(
      `${op}: expected ${nd + 1}D (unbatched) or ${nd + 2}D (batched) input, but got input of size: ${fmtShape(x.shape)}`,
    );
  }
  if (indices.ndim !== x.ndim || indices.shape.some((v, i) => v !== x.shape[i])) {
    throw new ShapeError(
      `${op}: Expected shape of indices to be same as that of the input tensor (${fmtShape(x.shape)}) but got indices tensor with shape: ${fmtShape(indices.shape)}`,
    );
  }
  if (indices.device !== x.device)
    throw new ArgumentError(`${op}: indices are on ${indices.device}, the input on ${x.device}`);
  const k = expandInts(kernelSize, nd, 'kernelSize', op);
  const st = opts.stride === undefined || opts.stride === null ? k : expandInts(opts.stride, nd, 'stride', op);
  const p = expandInts(opts.padding ?? 0, nd, 'padding', op);
  const out = unpoolOutSize(op, x.shape.slice(-nd), k, st, p, opts.outputSize);
  const batched = x.ndim === nd + 2;
  const lead = batched ? x.shape.slice(0, 2) : [1, x.shape[0]];
  const planes = lead[0] * lead[1],
    inPer = x.shape.slice(-nd).reduce((a, b) => a * b, 1),
    outPer = out.reduce((a, b) => a * b, 1);
  checkValues(indices, {
    key: `${op}|${out.join('x')}|${fmtShape(indices.shape)}`,
    lo: 0,
    hi: outPer - 1,
    error: (v) =>
      new IndexError(
        `Found an invalid max index: ${v} (output volumes are of size ${out.join('x')}) (${op}, indices ${fmtShape(indices.shape)})`,
      ),
  });
  const idx = reshape(indices, [planes, inPer]);
  const y = noGrad(() =>
    scope(() => {
      const src = reshape(x.detach(), [planes, inPer]);
      const sum = scatterAddUnchecked(src, 1, idx, [planes, outPer]);
      const hits = scatterAddUnchecked(onesLike(src), 1, idx, [planes, outPer]);
      return div(sum, clamp(hits, { min: 1 }));
    }),
  );
  const shape = [...(batched ? lead : [lead[1]]), ...out];
  return record('MaxUnpool2DBackward0', reshape(y, shape), [x], (g) => [
    reshape(gatherUnchecked(reshape(g, [planes, outPer]), 1, idx), x.shape),
  ]);
}

/**
 * `F.maxUnpool2d(x [N, C, H, W] or [C, H, W], indices, kernelSize, { stride, padding, outputSize })`:
 * the inverse of `F.maxPool2d(..., { returnIndices: true })` with non-maximal positions zero.
 */
export function maxUnpool2d(x: Tensor, indices: Tensor, kernelSize: IntOrList, opts: MaxUnpoolOptions = {}): Tensor {
  return maxUnpoolNd('maxUnpool2d', 2, x, indices, kernelSize, opts);
}
/** `F.maxUnpool1d(x [N, C, L] or [C, L], indices, kernelSize, { stride, padding, outputSize })` */
export function maxUnpool1d(x: Tensor, indices: Tensor, kernelSize: IntOrList, opts: MaxUnpoolOptions = {}): Tensor {
  return maxUnpoolNd('maxUnpool1d', 1, x, indices, kernelSize, opts);
}
