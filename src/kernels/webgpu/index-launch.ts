// The index launchers of the WebGPU device (kernels in indexing.ts): reads along a dim at given indices
// (indexSelect, gather; an out-of-range index reads NaN, the error flag reports it) and the accumulating
// writes that are their gradients (indexAdd, scatterAdd; an out-of-range index adds nothing).
import type { Storage, View } from '../backend.js';
import { accumulateSource, IDX_WG, INDEX_PARAMS, NAN_BITS, pickSource } from './indexing.js';
import { numel } from '../cpu/strided.js';
import { buf, dtypeKey, type LaunchContext } from './launch.js';
import { grid1d } from './wgsl.js';

function pick(
  be: LaunchContext,
  mode: 'select' | 'gather',
  x: View,
  index: View,
  outer: number,
  size: number,
  k: number,
  inner: number,
): Storage {
  const total = outer * k * inner;
  const out = be.alloc(total, x.dtype);
  if (total === 0) return out;
  be.rt.dispatch(
    `pick:${mode}:${dtypeKey(x.dtype)}`,
    () => pickSource(mode, x.dtype),
    [buf(x), buf(index), out.handle as GPUBuffer],
    (u, f, i) =>
      INDEX_PARAMS.write(u, f, i, {
        total,
        outer,
        size,
        k,
        inner,
        offData: x.offset,
        offIndex: index.offset,
        missing: x.dtype === 'float32' ? NAN_BITS : 0,
      }),
    grid1d(total, IDX_WG),
  );
  return out;
}

function accumulate(
  be: LaunchContext,
  mode: 'select' | 'gather',
  src: View,
  index: View,
  outer: number,
  size: number,
  k: number,
  inner: number,
): Storage {
  const out = be.alloc(outer * size * inner, 'float32');
  be.fill({ storage: out, shape: [out.length], strides: [1], offset: 0, dtype: 'float32' }, 0);
  const total = outer * k * inner;
  if (total === 0) return out;
  be.rt.dispatch(
    `accumulate:${mode}`,
    () => accumulateSource(mode),
    [buf(src), buf(index), out.handle as GPUBuffer],
    (u, f, i) =>
      INDEX_PARAMS.write(u, f, i, {
        total,
        outer,
        size,
        k,
        inner,
        offData: src.offset,
        offIndex: index.offset,
        missing: 0,
      }),
    grid1d(total, IDX_WG),
  );
  return out;
}

export function indexSelect(
  be: LaunchContext,
  x: View,
  index: View,
  outer: number,
  size: number,
  inner: number,
): Storage {
  return pick(be, 'select', x, index, outer, size, numel(index.shape), inner);
}

export function indexAdd(
  be: LaunchContext,
  src: View,
  index: View,
  outer: number,
  size: number,
  inner: number,
): Storage {
  return accumulate(be, 'select', src, index, outer, size, numel(index.shape), inner);
}

export function gather(
  be: LaunchContext,
  x: View,
  index: View,
  outer: number,
  size: number,
  k: number,
  inner: number,
): Storage {
  return pick(be, 'gather', x, index, outer, size, k, inner);
}

export function scatterAdd(
  be: LaunchContext,
  src: View,
  index: View,
  outer: number,
  size: number,
  k: number,
  inner: number,
): Storage {
  return accumulate(be, 'gather', src, index, outer, size, k, inner);
}
