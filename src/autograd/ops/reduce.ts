// Reductions over one or several dims. The kernels reduce rows of a dense [rows, cols] layout or the
// middle dim of [outer, size, inner]: a dense input is reduced in passes over its blocks of adjacent
// reduced dims, innermost first (no copy); otherwise it is permuted to put reduced dims last (a copy
// only when that permutation is not free).
import type { ReduceOp, Storage, View } from '../../kernels/backend.js';
import { ArgumentError, fmtShape } from '../../errors.js';
import { normDim, normDims, numel } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { record } from '../node.js';
import { isGradEnabled, noGrad } from '../grad-mode.js';
import { add, div, eq, exp, log, mul, sqrt, sub, where, abs } from './elementwise.js';
import { expand, gather, permute, reshape, squeeze } from './shape.js';
import { castRaw, dense, wrap } from './util.js';

export type Dims = number | number[] | null | undefined;
export interface ReduceOptions { keepdim?: boolean }

function plan(x: Tensor, dims: Dims) {
  const rd = normDims(dims, x.ndim);
  const kept = Array.from({ length: x.ndim }, (_, i) => i).filter((i) => !rd.includes(i));
  const keepShape = x.shape.map((s, i) => (rd.includes(i) ? 1 : s));
  const outShape = kept.map((i) => x.shape[i]);
  // a 0-d tensor reduced over its dim 0 (or -1) reduces one element, as in PyTorch
  return { rd, kept, keepShape, outShape, rows: numel(outShape), cols: numel(rd.map((i) => x.shape[i] ?? 1)) };
}

function reduceRaw(op: ReduceOp, x: Tensor, dims: Dims, keepdim: boolean): Tensor {
  const p = plan(x, dims);
  if (p.cols === 0 && op !== 'sum') {
    throw new ArgumentError(`${op}(): cannot reduce over a zero-size dimension (input shape ${fmtShape(x.shape)}, dims ${fmtShape(p.rd)})`);
  }
  const identity = p.kept.every((d, i) => d === i);
  if (!identity && x.isContiguous()) {
    const r = reduceByBlocks(op, x, p.rd);
    if (r) return wrap(r, keepdim ? p.keepShape : p.outShape);
  }
  const xp = identity ? x : x._view(p.kept.concat(p.rd).map((d) => x.shape[d]), p.kept.concat(p.rd).map((d) => x.strides[d]), x.offset);
  const xd = dense(xp);
  const s = x.backend.reduce(op, xd, p.rows, p.cols);
  if (xd !== xp) xd.dispose();
  if (xp !== x) xp.dispose();
  return wrap(s, keepdim ? p.keepShape : p.outShape);
}

/**
 * A dense x reduced over `rd` without a permuted copy: adjacent dims merged into blocks, then one
 * pass per reduced block from the innermost out (rows of [outer, size] when nothing follows the
 * block, else the middle of [outer, size, inner]). Null when a pass would leave the device few,
 * very long loops (few outputs, a long reduced extent): the permuted copy and a row reduction with a
 * workgroup per row are faster then.
 */
function reduceByBlocks(op: ReduceOp, x: Tensor, rd: readonly number[]): Storage | null {
  const blocks: { size: number; reduced: boolean }[] = [];
  x.shape.forEach((size, d) => {
    const reduced = rd.includes(d);
    const last = blocks[blocks.length - 1];
    if (last && last.reduced === reduced) last.size *= size;
    else blocks.push({ size, reduced });
  });
  const passes: { outer: number; size: number; inner: number }[] = [];
  const live = [...blocks];
  for (let j = live.length - 1; j >= 0; j--) {
    if (!live[j].reduced) continue;
    const outer = live.slice(0, j).reduce((a, b) => a * b.size, 1), inner = live.slice(j + 1).reduce((a, b) => a * b.size, 1);
    if (outer * inner < 64 && live[j].size > 1024) return null;
    passes.push({ outer, size: live[j].size, inner });
    live.splice(j, 1);
  }
  let cur: Storage | null = null;
  const be = x.backend;
  for (const q of passes) {
    const src: View = cur ? { storage: cur, shape: [q.outer * q.size * q.inner], strides: [1], offset: 0, dtype: cur.dtype } : x;
    const next = q.inner === 1 ? be.reduce(op, src, q.outer, q.size) : be.reduceAxis(op, src, q.outer, q.size, q.inner);
    if (cur) be.release(cur);
    cur = next;
  }
  return cur;
}

/** Broadcast a reduced gradient back over the input's shape. */
function unreduce(g: Tensor, x: Tensor, dims: Dims, keepdim: boolean): Tensor {
  const p = plan(x, dims);
  return expand(keepdim ? g : reshape(g, p.keepShape), x.shape);
}

export function sum(x: Tensor, dims?: Dims, opts: ReduceOptions = {}): Tensor {
  const keepdim = !!opts.keepdim;
  const src = x.dtype === 'bool' ? castRaw(x, 'int32') : x;
  return record('SumBackward1', reduceRaw('sum', src, dims, keepdim), [x], (g) => [unreduce(g, x, dims, keepdim)]);
}
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
    return keepdim ? reshape(r, x.shape.map(() => 1)) : r;
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
  const values = gather(x, d, idx);
  if (keepdim) return { values, indices: idx };
  return { values: squeeze(values, d), indices: squeeze(idx, d) };
}

export interface VarOptions extends ReduceOptions { correction?: number; unbiased?: boolean }
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
export { permute };
// `torch.var` (a reserved word can still be an export name)
export { variance as var };
