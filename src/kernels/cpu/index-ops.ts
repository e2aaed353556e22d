// The cpu device's index ops: reads along a dim at given indices (indexSelect, gather) and the
// accumulating writes that are their gradients (indexAdd, scatterAdd). Index ranges are checked before
// (Backend.checkValues, by the autograd op), so these trust their indices.
import type { Storage, View } from '../backend.js';
import { type CpuContext, dense, make } from './views.js';

export function indexSelect(be: CpuContext, x: View, index: View, outer: number, size: number, inner: number): Storage {
  be.dispatches++;
  const X = dense(x),
    I = dense(index);
  const k = I.length;
  const out = make(outer * k * inner, x.dtype);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < k; j++) {
      const src = (o * size + I[j]) * inner,
        dst = (o * k + j) * inner;
      for (let r = 0; r < inner; r++) out[dst + r] = X[src + r];
    }
  return be.wrap(out, x.dtype);
}

export function indexAdd(be: CpuContext, src: View, index: View, outer: number, size: number, inner: number): Storage {
  be.dispatches++;
  const S = dense(src),
    I = dense(index);
  const k = I.length;
  const out = new Float32Array(outer * size * inner);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < k; j++) {
      const dst = (o * size + I[j]) * inner,
        s = (o * k + j) * inner;
      for (let r = 0; r < inner; r++) out[dst + r] += S[s + r];
    }
  return be.wrap(out, 'float32');
}

export function gather(
  be: CpuContext,
  x: View,
  index: View,
  outer: number,
  size: number,
  k: number,
  inner: number,
): Storage {
  be.dispatches++;
  const X = dense(x),
    I = dense(index);
  const out = make(outer * k * inner, x.dtype);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < k; j++)
      for (let r = 0; r < inner; r++) {
        const t = (o * k + j) * inner + r;
        out[t] = X[(o * size + I[t]) * inner + r];
      }
  return be.wrap(out, x.dtype);
}

export function scatterAdd(
  be: CpuContext,
  src: View,
  index: View,
  outer: number,
  size: number,
  k: number,
  inner: number,
): Storage {
  be.dispatches++;
  const S = dense(src),
    I = dense(index);
  const out = new Float32Array(outer * size * inner);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < k; j++)
      for (let r = 0; r < inner; r++) {
        const t = (o * k + j) * inner + r;
        out[(o * size + I[t]) * inner + r] += S[t];
      }
  return be.wrap(out, 'float32');
}
