// Index arithmetic for strided views on the CPU device.
import type { View } from '../backend.js';

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i];
  }
  return st;
}

export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== acc) return false;
    acc *= shape[i];
  }
  return true;
}

/** Storage index of every element of `v` in row-major order of `shape`. */
export function elementOffsets(v: View, shape: readonly number[] = v.shape): Int32Array {
  const n = numel(shape);
  const out = new Int32Array(n);
  const nd = shape.length;
  if (isContiguous(shape, v.strides)) {
    for (let i = 0; i < n; i++) out[i] = v.offset + i;
    return out;
  }
  const idx = new Array<number>(nd).fill(0);
  let off = v.offset;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      off += v.strides[d];
      if (idx[d] < shape[d]) break;
      off -= v.strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}
