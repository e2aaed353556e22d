// Host arrays behind the cpu device's storages and views: making them, reading a view's elements in
// row-major order, and a dense copy (or subarray) of a view, shared by the cpu kernels.
import type { DType, Storage, View } from '../backend.js';
import { elementOffsets, isContiguous, numel } from './strided.js';

/** what the split-out cpu kernels need of the backend: its dispatch count and storage wrapping */
export interface CpuContext {
  dispatches: number;
  wrap(arr: Arr, dtype: DType): Storage;
}

export type Arr = Float32Array | Int32Array;

export function make(length: number, dtype: DType): Arr {
  return dtype === 'float32' ? new Float32Array(length) : new Int32Array(length);
}
export const data = (v: View | Storage): Arr => ('storage' in v ? v.storage.handle : v.handle) as Arr;
/** row-major element reader for a view */
export function reader(v: View, shape: readonly number[] = v.shape): (i: number) => number {
  const d = data(v);
  if (isContiguous(shape, v.strides)) {
    const o = v.offset;
    return (i) => d[o + i];
  }
  const offs = elementOffsets(v, shape);
  return (i) => d[offs[i]];
}
/** contiguous input as a subarray (views passed to non-elementwise kernels are dense) */
export function dense(v: View): Arr {
  const d = data(v);
  const n = numel(v.shape);
  if (isContiguous(v.shape, v.strides)) return d.subarray(v.offset, v.offset + n);
  const out = make(n, v.dtype);
  const r = reader(v);
  for (let i = 0; i < n; i++) out[i] = r(i);
  return out;
}
