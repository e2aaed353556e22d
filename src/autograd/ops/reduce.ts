// Reductions over one or several dims, built on the kernels of reduce-kernel.ts; sum, with expand its
// adjoint, is in broadcast.ts.
import { normDim } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { record } from '../node.js';
import { isGradEnabled, noGrad } from '../grad-mode.js';
import { expand, sum, unreduce } from './broadcast.js';
import { add, div, eq, exp, log, mul, sqrt, sub, where, abs } from './elementwise.js';
import { plan, reduceRaw, type Dims, type ReduceOptions } from './reduce-kernel.js';
import { gatherUnchecked } from './indexing.js';
import { reshape, squeeze } from './shape.js';
import { castRaw } from './util.js';

export type { Dims, ReduceOptions };

export function mean(x: Tensor, dims?: Dims, opts: ReduceOptions = {}): Tensor {
  const n = plan(x, dims).cols;
  const xf = x.dtype === 'float32' ? x : castRaw(x, 'float32');
  return mul(sum(xf, dims, opts), 1 / n);
}

function extreme(op: 'max' | 'min', x: Tensor, dims: Dims, keepdim: boolean): Tensor {
  const out = reduceRaw(op, x, dims, keepdim);
  return record(op === 'max' ? 'AmaxBackward0' : 'AminBackward0', out, [x], (g) => {
    // ties share the gradient evenly, as PyTorch's amax/amin do
    const mask = castRaw(eq(x, unreduce(out.detach(), x, dims, keepdim)), 'float32');
    const count = sum(mask, dims, { keepdim: true });
    return [div(mul(unreduce(g, x, dims, keepdim), mask), count)];
  });
}
export const amax = (x: Tensor, dims?: Dims, opts: ReduceOptions = {}) => extreme('max', x, dims, !!opts.keepdim);
export const amin = (x: Tensor, dims?: Dims, opts: ReduceOptions = {}) => extreme('min', x, dims, !!opts.keepdim);

export function argmax(x: Tensor, dim?: number | null, opts: ReduceOptions = {}): Tensor {
  return argReduce('argmax', x, dim, !!opts.keepdim);
}
export function argmin(x: Tensor, dim?: number | null, opts: ReduceOptions = {}): Tensor {
  return argReduce('argmin', x, dim, !!opts.keepdim);
}
function argReduce(op: 'argmax' | 'argmin', x: Tensor, dim: number | null | undefined, keepdim: boolean): Tensor {
  if (dim === undefined || dim === null) {
    const flat = reshape(x.detach(), [-1]);
    const r = reduceRaw(op, flat, 0, false);
    return keepdim
      ? reshape(
          r,
          x.shape.map(() => 1),
        )
      : r;
  }
  return reduceRaw(op, x, normDim(dim, x.ndim), keepdim);
}

/** `max(x)` → the largest value; `max(x, dim)` → `{ values, indices }` as in PyTorch. */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, opts?: ReduceOptions): { values: Tensor; indices: Tensor };
export function max(x: Tensor, dim?: number, opts: ReduceOptions = {}): Tensor | { values: Tensor; indices: Tensor } {
  return dim === undefined ? amax(x) : valuesIndices('argmax', x, dim, !!opts.keepdim);
}
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, opts?: ReduceOptions): { values: Tensor; indices: Tensor };
export function min(x: Tensor, dim?: number, opts: ReduceOptions = {}): Tensor | { values: Tensor; indices: Tensor } {
  return dim === undefined ? amin(x) : valuesIndices('argmin', x, dim, !!opts.keepdim);
}
function valuesIndices(op: 'argmax' | 'argmin', x: Tensor, dim: number, keepdim: boolean) {
  const d = normDim(dim, x.ndim);
  const idx = reduceRaw(op, x, d, true);
  // values through gather, so the gradient routes to the chosen element only
  const values = gatherUnchecked(x, d, idx);
  if (keepdim) return { values, indices: idx };
  return { values: squeeze(values, d), indices: squeeze(idx, d) };
}

export interface VarOptions extends ReduceOptions {
  correction?: number;
  unbiased?: boolean;
}
export function variance(x: Tensor, dims?: Dims, opts: VarOptions = {}): Tensor {
  const correction = opts.correction ?? (opts.unbiased === false ? 0 : 1);
  const n = plan(x, dims).cols;
  const v = () => {
    const d = sub(x, mean(x, dims, { keepdim: true }));
    return div(sum(mul(d, d), dims, opts), Math.max(0, n - correction));
  };
  // PyTorch 1.13's var_backward over all elements (or of a 0-d tensor) with n == correction: 2 / 0 is
  // taken as inf and not multiplied by x - mean (0), so the gradient is g · inf (±inf, NaN where g is 0)
  // rather than the 0 · inf = NaN of the composed ops. Over explicit dims of a ≥1-d tensor it is NaN.
  if (n === correction && (x.ndim === 0 || dims === undefined || dims === null)) {
    const out = noGrad(v);
    return record('VarBackward0', out, [x], (g) => [expand(reshape(mul(g, Infinity), []), x.shape)]);
  }
  return v();
}
export function std(x: Tensor, dims?: Dims, opts: VarOptions = {}): Tensor {
  const v = variance(x, dims, opts);
  const out = noGrad(() => sqrt(v));
  // d sqrt(v) = g / 2 sqrt(v), taken as 0 where the spread is 0 (PyTorch), not g / 0
  return record('StdBackward0', out, [v], (g) => {
    const s = isGradEnabled() ? sqrt(v) : out; // a differentiable copy under createGraph
    return [where(eq(s, 0), 0, div(g, mul(s, 2)))];
  });
}
/** log(sum(exp(x))) computed stably: the max is subtracted first */
export function logsumexp(x: Tensor, dims: Dims, opts: ReduceOptions = {}): Tensor {
  const p = plan(x, dims);
  // over a zero-size dim there is no max to shift by: log(0) = -inf, as in PyTorch
  if (p.cols === 0) return log(sum(exp(x), dims, opts));
  // an infinite max would make x - m NaN: shift by 0 then (the result is ±inf as it should be)
  const m = noGrad(() => {
    const m0 = amax(x, dims, { keepdim: true });
    const r = where(eq(abs(m0), Infinity), 0, m0);
    m0.dispose();
    return r;
  });
  const out = add(log(sum(exp(sub(x, m)), dims, { keepdim: true })), m);
  if (opts.keepdim) return out;
  return reshape(out, p.outShape);
}
// `torch.var` (a reserved word can still be an export name)
export { variance as var };
