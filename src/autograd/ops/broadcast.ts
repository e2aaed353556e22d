// Broadcasting and its adjoint. expand's backward sums the gradient back (sumTo) and sum's backward
// expands it, so the pair lives in one module: imports among the ops then point one way
// (shape ← broadcast ← elementwise ← reduce) and no module reads another half-evaluated.
import { fmtShape, ShapeError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { record } from '../node.js';
import { plan, reduceRaw, type Dims, type ReduceOptions } from './reduce-kernel.js';
import { reshape, viewOp } from './shape.js';
import { castRaw } from './util.js';

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.ndim)
    throw new ShapeError(
      `expand: the number of sizes provided (${shape.length}) must be greater or equal to the number of dimensions in the tensor (${x.ndim}, shape ${fmtShape(x.shape)})`,
    );
  const lead = shape.length - x.ndim;
  const target = shape.map((s, i) => (s === -1 && i >= lead ? x.shape[i - lead] : s));
  for (let i = 0; i < x.ndim; i++) {
    const s = x.shape[i],
      want = target[i + lead];
    if (s !== want && s !== 1)
      throw new ShapeError(
        `expand: the expanded size of the tensor (${want}) must match the existing size (${s}) at non-singleton dimension ${i + lead}; target ${fmtShape(shape)}, tensor ${fmtShape(x.shape)}`,
      );
  }
  if (lead === 0 && target.every((s, i) => s === x.shape[i])) return x;
  return viewOp(
    'ExpandBackward0',
    x,
    (t) => ({
      shape: target,
      strides: target.map((s, i) => (i < lead || (t.shape[i - lead] === 1 && s !== 1) ? 0 : t.strides[i - lead])),
      offset: t.offset,
    }),
    (g) => sumTo(g, x.shape),
  );
}
export const expandAs = (x: Tensor, other: Tensor) => expand(x, other.shape);

/** Broadcast a reduced gradient back over the input's shape. */
export function unreduce(g: Tensor, x: Tensor, dims: Dims, keepdim: boolean): Tensor {
  const p = plan(x, dims);
  return expand(keepdim ? g : reshape(g, p.keepShape), x.shape);
}

export function sum(x: Tensor, dims?: Dims, opts: ReduceOptions = {}): Tensor {
  const keepdim = !!opts.keepdim;
  const src = x.dtype === 'bool' ? castRaw(x, 'int32') : x;
  return record('SumBackward1', reduceRaw('sum', src, dims, keepdim), [x], (g) => [unreduce(g, x, dims, keepdim)]);
}

/** Reduce a broadcast gradient back to `shape`. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((s, i) => s === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  const s = dims.length ? sum(g, dims, { keepdim: true }) : g;
  return reshape(s, shape);
}
