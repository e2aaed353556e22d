// PyTorch-style printing: `tensor([[1., 2.],\n        [3., 4.]])`, 4 decimals, scientific notation
// when magnitudes span too much, summarised with `...` past 1000 elements.
import type { DType } from '../kernels/backend.js';

function formatter(values: ArrayLike<number>, dtype: DType): (x: number) => string {
  if (dtype === 'bool') return (x) => (x ? 'True' : 'False');
  if (dtype === 'int32') return (x) => String(x);
  let allInt = true,
    maxAbs = 0,
    minAbs = Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v !== Math.round(v)) allInt = false;
    const a = Math.abs(v);
    if (a > maxAbs) maxAbs = a;
    if (a > 0 && a < minAbs) minAbs = a;
  }
  const special = (x: number) => (Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf');
  const sci = maxAbs >= 1e8 || (minAbs !== Infinity && (maxAbs / minAbs > 1000 || minAbs < 1e-4) && !allInt);
  if (sci) return (x) => (Number.isFinite(x) ? x.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2') : special(x));
  if (allInt) return (x) => (Number.isFinite(x) ? `${x.toFixed(0)}.` : special(x));
  return (x) => (Number.isFinite(x) ? x.toFixed(4) : special(x));
}

export function formatTensor(
  values: ArrayLike<number>,
  shape: readonly number[],
  dtype: DType,
  suffix: string,
): string {
  const fmt = formatter(values, dtype);
  const n = values.length;
  const summarise = n > 1000;
  const strs: string[] = [];
  for (let i = 0; i < n; i++) strs.push(fmt(values[i]));
  const width = Math.max(1, ...strs.map((s) => s.length));
  const pad = (s: string) => s.padStart(width);
  const indent = 'tensor('.length;
  let dtypeSuffix = '';
  if (dtype === 'int32') dtypeSuffix = ', dtype=torch.int32';
  if (shape.length === 0) return `tensor(${strs[0]}${dtypeSuffix}${suffix})`;
  if (n === 0) return `tensor([], size=(${shape.join(', ')})${dtypeSuffix}${suffix})`;
  const strides: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i];
  }
  const rec = (dim: number, base: number): string => {
    const size = shape[dim];
    const idx =
      summarise && size > 6 ? [0, 1, 2, -1, size - 3, size - 2, size - 1] : Array.from({ length: size }, (_, i) => i);
    if (dim === shape.length - 1) {
      return `[${idx.map((i) => (i < 0 ? '...' : pad(strs[base + i]))).join(', ')}]`;
    }
    const sep = `,${'\n'.repeat(shape.length - 1 - dim)}${' '.repeat(indent + dim + 1)}`;
    return `[${idx.map((i) => (i < 0 ? '...' : rec(dim + 1, base + i * strides[dim]))).join(sep)}]`;
  };
  return `tensor(${rec(0, 0)}${dtypeSuffix}${suffix})`;
}
