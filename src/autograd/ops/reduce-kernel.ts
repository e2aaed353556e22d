// The reduction kernels behind every reduction op, outside autograd. The kernels reduce rows of a
// dense [rows, cols] layout or the middle dim of [outer, size, inner]: a dense input is reduced in
// passes over its blocks of adjacent reduced dims, innermost first (no copy); otherwise it is permuted
// to put reduced dims last (a copy only when that permutation is not free).
import type { ReduceOp, Storage, View } from '../../kernels/backend.js';
import { ArgumentError, fmtShape } from '../../errors.js';
import { normDims, numel } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { dense, wrap } from './util.js';

export type Dims = number | number[] | null | undefined;
export interface ReduceOptions {
  keepdim?: boolean;
}

/** Which dims a reduction removes and the shapes it gives, with and without keepdim. */
export function plan(x: Tensor, dims: Dims) {
  const rd = normDims(dims, x.ndim);
  const kept = Array.from({ length: x.ndim }, (_, i) => i).filter((i) => !rd.includes(i));
  const keepShape = x.shape.map((s, i) => (rd.includes(i) ? 1 : s));
  const outShape = kept.map((i) => x.shape[i]);
  // a 0-d tensor reduced over its dim 0 (or -1) reduces one element, as in PyTorch
  return { rd, kept, keepShape, outShape, rows: numel(outShape), cols: numel(rd.map((i) => x.shape[i] ?? 1)) };
}

export function reduceRaw(op: ReduceOp, x: Tensor, dims: Dims, keepdim: boolean): Tensor {
  const p = plan(x, dims);
  if (p.cols === 0 && op !== 'sum') {
    throw new ArgumentError(
      `${op}(): cannot reduce over a zero-size dimension (input shape ${fmtShape(x.shape)}, dims ${fmtShape(p.rd)})`,
    );
  }
  const identity = p.kept.every((d, i) => d === i);
  if (!identity && x.isContiguous()) {
    const r = reduceByBlocks(op, x, p.rd);
    if (r) return wrap(r, keepdim ? p.keepShape : p.outShape);
  }
  const xp = identity
    ? x
    : x._view(
        p.kept.concat(p.rd).map((d) => x.shape[d]),
        p.kept.concat(p.rd).map((d) => x.strides[d]),
        x.offset,
      );
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
    const outer = live.slice(0, j).reduce((a, b) => a * b.size, 1),
      inner = live.slice(j + 1).reduce((a, b) => a * b.size, 1);
    if (outer * inner < 64 && live[j].size > 1024) return null;
    passes.push({ outer, size: live[j].size, inner });
    live.splice(j, 1);
  }
  let cur: Storage | null = null;
  const be = x.backend;
  for (const q of passes) {
    const src: View = cur
      ? { storage: cur, shape: [q.outer * q.size * q.inner], strides: [1], offset: 0, dtype: cur.dtype }
      : x;
    const next = q.inner === 1 ? be.reduce(op, src, q.outer, q.size) : be.reduceAxis(op, src, q.outer, q.size, q.inner);
    if (cur) be.release(cur);
    cur = next;
  }
  return cur;
}
