// Shape arithmetic: broadcasting, dims, strides.
import { ArgumentError, fmtShape, ShapeError } from '../errors.js';
export { contiguousStrides, isContiguous, numel } from '../kernels/cpu/strided.js';

export function broadcastShapes(a: readonly number[], b: readonly number[], op = 'op'): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1,
      y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new ShapeError(
        `${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast (dim ${i - n}: ${x} vs ${y})`,
      );
    }
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/** Normalise a possibly negative dim against ndim; `extra` allows dim == ndim (unsqueeze). */
export function normDim(dim: number, ndim: number, extra = 0): number {
  const n = ndim + extra;
  const lo = -Math.max(n, 1),
    hi = Math.max(n, 1) - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    throw new ArgumentError(`Dimension out of range (expected to be in range of [${lo}, ${hi}], but got ${dim})`);
  }
  return dim < 0 ? dim + Math.max(n, 1) : dim;
}

export function normDims(dims: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (dims === undefined || dims === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : [...dims];
  const out = list.map((d) => normDim(d, ndim));
  if (new Set(out).size !== out.length)
    throw new ArgumentError(`dim ${fmtShape(list)} appears multiple times in the list of dims`);
  return out.sort((x, y) => x - y);
}

export function checkShape(shape: readonly number[], what = 'shape'): number[] {
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0)
      throw new ArgumentError(`${what} ${fmtShape(shape)}: sizes must be non-negative integers`);
  }
  return [...shape];
}
