// Ops that pick or add along a dim through an int32 index: indexSelect, gather and their adjoints
// indexAdd and scatterAdd (each pair is the other's backward). The user-facing ops check every index
// value (checkIndexRange: a host scan on cpu, an extra dispatch on webgpu). The *Unchecked forms skip
// that for indices already checked or made by our own kernels: the backward of these ops (same index
// as the checked forward), embedding's and max-pool's backward, argmax positions, pad's source map.
// An index out of range there would be a bug of ours, not a user error.
import { DTypeError, fmtShape, ShapeError } from '../../errors.js';
import { normDim, numel } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { record } from '../node.js';
import { reshape, slice } from './shape.js';
import { checkIndexRange, dense, sameDevice, wrap } from './util.js';

function checkIndex(index: Tensor, op: string) {
  if (index.dtype !== 'int32')
    throw new DTypeError(`${op}: index must be an int32 tensor, got ${index.dtype} (shape ${fmtShape(index.shape)})`);
}
function split3(shape: readonly number[], d: number) {
  return { outer: numel(shape.slice(0, d)), size: shape[d], inner: numel(shape.slice(d + 1)) };
}

export const indexSelect = (x: Tensor, dim: number, index: Tensor) => indexSelectImpl(x, dim, index, true);
/** indexSelect of an index known to be in range (see the header) */
export const indexSelectUnchecked = (x: Tensor, dim: number, index: Tensor) => indexSelectImpl(x, dim, index, false);
function indexSelectImpl(x: Tensor, dim: number, index: Tensor, checked: boolean): Tensor {
  checkIndex(index, 'indexSelect');
  sameDevice('indexSelect', x, index);
  if (index.ndim > 1) throw new ShapeError(`indexSelect: index must be 1-D, got shape ${fmtShape(index.shape)}`);
  const d = x.ndim ? normDim(dim, x.ndim) : 0;
  if (!x.ndim && index.numel() !== 1)
    throw new ShapeError(
      `indexSelect: the index of a 0-d input must have one value, got shape ${fmtShape(index.shape)}`,
    );
  const shape = x.ndim ? [...x.shape] : [1];
  const { outer, size, inner } = split3(shape, d);
  if (checked) checkIndexRange('indexSelect', index, size, `dimension ${x.ndim ? d : 0} of input ${fmtShape(x.shape)}`);
  const xd = dense(x),
    id = dense(index);
  const k = index.numel();
  const out = wrap(x.backend.indexSelect(xd, id, outer, size, inner), [...shape.slice(0, d), k, ...shape.slice(d + 1)]);
  if (xd !== x) xd.dispose();
  if (id !== index) id.dispose();
  // a 0-d x is indexed as [1] and gives a 0-d result (PyTorch); its gradient is viewed back as 0-d
  return record('IndexSelectBackward0', x.ndim ? out : reshape(out, []), [x], (g) => [
    x.ndim ? indexAddUnchecked(g, d, index, x.shape) : reshape(indexAddUnchecked(reshape(g, [k]), 0, index, [1]), []),
  ]);
}
/** zeros of `shape` with rows of `src` added at `index` along `dim` (the adjoint of indexSelect) */
export const indexAdd = (src: Tensor, dim: number, index: Tensor, shape: readonly number[]) =>
  indexAddImpl(src, dim, index, shape, true);
/** indexAdd of an index known to be in range (see the header) */
export const indexAddUnchecked = (src: Tensor, dim: number, index: Tensor, shape: readonly number[]) =>
  indexAddImpl(src, dim, index, shape, false);
function indexAddImpl(src: Tensor, dim: number, index: Tensor, shape: readonly number[], checked: boolean): Tensor {
  const d = normDim(dim, shape.length);
  const { outer, size, inner } = split3(shape, d);
  if (checked) checkIndexRange('indexAdd', index, size, `dimension ${d} of output ${fmtShape(shape)}`);
  const sd = dense(src),
    id = dense(index);
  const out = wrap(src.backend.indexAdd(sd, id, outer, size, inner), shape);
  if (sd !== src) sd.dispose();
  if (id !== index) id.dispose();
  return record('IndexAddBackward0', out, [src], (g) => [indexSelectUnchecked(g, d, index)]);
}
/**
 * out[..., j, ...] = x[..., index[..., j, ...], ...] along `dim`. As in PyTorch the index may be smaller
 * than x in the other dims: x is then read through a slice of the index's extent (a view, whose
 * backward embeds the gradient into zeros of x's shape).
 */
export const gather = (x: Tensor, dim: number, index: Tensor) => gatherImpl(x, dim, index, true);
/** gather of an index known to be in range (see the header) */
export const gatherUnchecked = (x: Tensor, dim: number, index: Tensor) => gatherImpl(x, dim, index, false);
function gatherImpl(x: Tensor, dim: number, index: Tensor, checked: boolean): Tensor {
  checkIndex(index, 'gather');
  sameDevice('gather', x, index);
  const d = normDim(dim, x.ndim);
  if (index.ndim !== x.ndim || index.shape.some((s, i) => i !== d && s > x.shape[i])) {
    throw new ShapeError(
      `gather: index shape ${fmtShape(index.shape)} must not be larger than input shape ${fmtShape(x.shape)} apart from dim ${d} (and have as many dims)`,
    );
  }
  if (checked)
    checkIndexRange('gather', index, x.ndim ? x.shape[d] : 1, `dimension ${d} of input ${fmtShape(x.shape)}`);
  const smaller = index.shape.findIndex((s, i) => i !== d && s < x.shape[i]);
  // the slice keeps dim d, so the index checked above needs no second check
  if (smaller >= 0) return gatherImpl(slice(x, smaller, 0, index.shape[smaller]), d, index, false);
  const { outer, size, inner } = split3(x.shape, d);
  const xd = dense(x),
    id = dense(index);
  const out = wrap(x.backend.gather(xd, id, outer, size, index.shape[d], inner), index.shape);
  if (xd !== x) xd.dispose();
  if (id !== index) id.dispose();
  return record('GatherBackward0', out, [x], (g) => [scatterAddUnchecked(g, d, index, x.shape)]);
}
/** zeros of `shape`, then out[..., index[i], ...] += src[i] along dim (the adjoint of gather) */
export const scatterAdd = (src: Tensor, dim: number, index: Tensor, shape: readonly number[]) =>
  scatterAddImpl(src, dim, index, shape, true);
/** scatterAdd of an index known to be in range (see the header) */
export const scatterAddUnchecked = (src: Tensor, dim: number, index: Tensor, shape: readonly number[]) =>
  scatterAddImpl(src, dim, index, shape, false);
function scatterAddImpl(src: Tensor, dim: number, index: Tensor, shape: readonly number[], checked: boolean): Tensor {
  const d = normDim(dim, shape.length);
  const { outer, size, inner } = split3(shape, d);
  if (checked) checkIndexRange('scatterAdd', index, size, `dimension ${d} of output ${fmtShape(shape)}`);
  const sd = dense(src),
    id = dense(index);
  const out = wrap(src.backend.scatterAdd(sd, id, outer, size, index.shape[d], inner), shape);
  if (sd !== src) sd.dispose();
  if (id !== index) id.dispose();
  return record('ScatterAddBackward0', out, [src], (g) => [gatherUnchecked(g, d, index)]);
}
