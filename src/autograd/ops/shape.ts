// Shape ops. Views (reshape of a compatible layout, transpose, permute, expand, narrow, select,
// squeeze) share storage as in PyTorch; cat/stack copy. expand is in broadcast.ts, beside sum, its
// adjoint; indexSelect/gather and their adjoints in indexing.ts.
import { ArgumentError, DTypeError, fmtShape, ShapeError } from '../../errors.js';
import { zeros } from '../../tensor/creation.js';
import type { Device } from '../../tensor/device.js';
import { contiguousStrides, normDim, numel } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { record } from '../node.js';
import { sameDevice } from './util.js';

interface Layout {
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
}
type ViewFn = (t: Tensor) => Layout;

/** A differentiable view: `fn` computes the layout from the source's own strides. */
export function viewOp(name: string, x: Tensor, fn: ViewFn, backward: (g: Tensor) => Tensor): Tensor {
  const l = fn(x);
  return record(name, x._view(l.shape, l.strides, l.offset), [x], (g) => [backward(g)]);
}
/** The adjoint of a slicing view: zeros of `shape` with g written into the viewed region. */
function embed(name: string, g: Tensor, shape: readonly number[], fn: ViewFn): Tensor {
  const z = zeros(shape, { device: g.device, dtype: g.dtype });
  const l = fn(z);
  if (numel(l.shape)) z.backend.copy(g, { storage: z.storage, dtype: z.dtype, ...l });
  return record(name, z, [g], (gg) => [
    viewOp(name.replace('Backward', ''), gg, fn, (g3) => embed(name, g3, shape, fn)),
  ]);
}

function inferShape(shape: readonly number[], n: number, x: Tensor): number[] {
  const out = [...shape];
  const neg = out.indexOf(-1);
  if (neg !== out.lastIndexOf(-1)) throw new ShapeError('only one dimension can be inferred (-1)');
  const known = out.reduce((a, s, i) => (i === neg ? a : a * s), 1);
  if (neg >= 0) {
    if (known === 0 || n % known !== 0)
      throw new ShapeError(
        `shape ${fmtShape(shape)} is invalid for input of size ${n} (input shape ${fmtShape(x.shape)})`,
      );
    out[neg] = n / known;
  }
  if (numel(out) !== n || out.some((s) => s < 0 || !Number.isInteger(s))) {
    throw new ShapeError(
      `shape ${fmtShape(shape)} is invalid for input of size ${n} (input shape ${fmtShape(x.shape)})`,
    );
  }
  return out;
}

/** Strides for viewing (shape, strides) as newShape without a copy, or null (PyTorch's computeStride). */
function viewStrides(
  shape: readonly number[],
  strides: readonly number[],
  newShape: readonly number[],
): number[] | null {
  if (numel(shape) === 0) return contiguousStrides(newShape);
  const out = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  let chunkBase = strides[strides.length - 1] ?? 1;
  let tensorNumel = 1,
    viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d];
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = strides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) {
    for (; viewD >= 0; viewD--) out[viewD] = 1;
  }
  return out;
}

export function view(x: Tensor, shape: readonly number[]): Tensor {
  const s = inferShape(shape, x.numel(), x);
  const st = viewStrides(x.shape, x.strides, s);
  if (!st) {
    throw new ShapeError(
      `view size ${fmtShape(s)} is not compatible with input tensor's size ${fmtShape(x.shape)} and stride ${fmtShape(x.strides)}; use reshape() instead`,
    );
  }
  return viewOp(
    'ViewBackward0',
    x,
    (t) => ({ shape: s, strides: viewStrides(t.shape, t.strides, s)!, offset: t.offset }),
    (g) => reshape(g, x.shape),
  );
}
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = inferShape(shape, x.numel(), x);
  if (s.length === x.ndim && s.every((v, i) => v === x.shape[i])) return x;
  if (viewStrides(x.shape, x.strides, s)) return view(x, s);
  return view(contiguous(x), s);
}
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const a = normDim(startDim, x.ndim),
    b = normDim(endDim, x.ndim);
  if (a > b)
    throw new ArgumentError(`flatten() has invalid args: startDim ${startDim} cannot come after endDim ${endDim}`);
  const shape = [...x.shape.slice(0, a), numel(x.shape.slice(a, b + 1)), ...x.shape.slice(b + 1)];
  return reshape(x, shape);
}
export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const d = normDim(dim, x.ndim);
  const inner = inferShape(sizes, x.shape[d], x);
  return reshape(x, [...x.shape.slice(0, d), ...inner, ...x.shape.slice(d + 1)]);
}
export function squeeze(x: Tensor, dim?: number | number[]): Tensor {
  const dims =
    dim === undefined
      ? x.shape.map((_, i) => i)
      : (typeof dim === 'number' ? [dim] : dim).map((d) => normDim(d, x.ndim));
  const drop = new Set(dims.filter((d) => x.shape[d] === 1));
  if (!drop.size) return x;
  const keep = (_: number, i: number) => !drop.has(i);
  return viewOp(
    'SqueezeBackward0',
    x,
    (t) => ({ shape: t.shape.filter(keep), strides: t.strides.filter(keep), offset: t.offset }),
    (g) => reshape(g, x.shape),
  );
}
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normDim(dim, x.ndim, 1);
  return viewOp(
    'UnsqueezeBackward0',
    x,
    (t) => {
      const shape = [...t.shape],
        strides = [...t.strides];
      const st = d < t.ndim ? t.strides[d] * t.shape[d] : 1;
      shape.splice(d, 0, 1);
      strides.splice(d, 0, st);
      return { shape, strides, offset: t.offset };
    },
    (g) => squeeze(g, d),
  );
}
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim)
    throw new ShapeError(`permute: number of dims ${dims.length} doesn't match tensor of shape ${fmtShape(x.shape)}`);
  const p = dims.map((d) => normDim(d, x.ndim));
  if (new Set(p).size !== p.length) throw new ArgumentError(`permute: repeated dim in ${fmtShape(dims)}`);
  const inv = new Array<number>(p.length);
  p.forEach((d, i) => {
    inv[d] = i;
  });
  return viewOp(
    'PermuteBackward0',
    x,
    (t) => ({ shape: p.map((d) => t.shape[d]), strides: p.map((d) => t.strides[d]), offset: t.offset }),
    (g) => permute(g, inv),
  );
}
export function transpose(x: Tensor, d0: number, d1: number): Tensor {
  if (x.ndim === 0) return x;
  const a = normDim(d0, x.ndim),
    b = normDim(d1, x.ndim);
  const p = x.shape.map((_, i) => i);
  [p[a], p[b]] = [p[b], p[a]];
  return viewOp(
    'TransposeBackward0',
    x,
    (t) => ({ shape: p.map((d) => t.shape[d]), strides: p.map((d) => t.strides[d]), offset: t.offset }),
    (g) => transpose(g, a, b),
  );
}
export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new ShapeError(`t() expects a tensor with <= 2 dimensions, but got shape ${fmtShape(x.shape)}`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}

/** `x.narrow(dim, start, length)`: a view of `length` entries from `start` along `dim`. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normDim(dim, x.ndim);
  if (start < 0) start += x.shape[d];
  if (start < 0 || length < 0 || start + length > x.shape[d]) {
    throw new ArgumentError(
      `narrow: start (${start}) + length (${length}) exceeds dimension size (${x.shape[d]}) of dim ${dim} (shape ${fmtShape(x.shape)})`,
    );
  }
  return slice(x, d, start, start + length);
}
/** `x[..., start:end:step, ...]` along `dim`, as a view. */
export function slice(x: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  const d = normDim(dim, x.ndim);
  const size = x.shape[d];
  if (step <= 0) throw new ArgumentError('slice step must be positive');
  const clampI = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const s0 = clampI(start),
    e0 = clampI(end ?? size);
  const len = Math.max(0, Math.ceil((e0 - s0) / step));
  const fn: ViewFn = (t) => {
    const shape = [...t.shape],
      strides = [...t.strides];
    shape[d] = len;
    strides[d] = t.strides[d] * step;
    return { shape, strides, offset: t.offset + s0 * t.strides[d] };
  };
  return viewOp('SliceBackward0', x, fn, (g) => embed('SliceBackward0', g, x.shape, fn));
}
/** `x[index]` along `dim`: the dim is removed. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normDim(dim, x.ndim);
  const i = index < 0 ? index + x.shape[d] : index;
  if (i < 0 || i >= x.shape[d])
    throw new ArgumentError(`select: index ${index} is out of bounds for dimension ${dim} with size ${x.shape[d]}`);
  const fn: ViewFn = (t) => ({
    shape: t.shape.filter((_, k) => k !== d),
    strides: t.strides.filter((_, k) => k !== d),
    offset: t.offset + i * t.strides[d],
  });
  return viewOp('SelectBackward0', x, fn, (g) => embed('SelectBackward0', g, x.shape, fn));
}

export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  return record('CloneBackward0', x._contiguousRaw(), [x], (g) => [g]);
}
export function clone(x: Tensor): Tensor {
  return record('CloneBackward0', x._contiguousRaw(), [x], (g) => [g]);
}
/** Device transfer; the gradient travels back. */
export function to(x: Tensor, device: Device): Tensor {
  if (x.device === device) return x;
  return record('ToCopyBackward0', x._transfer(device), [x], (g) => [to(g, x.device)]);
}

export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!tensors.length) throw new ArgumentError('cat: expected a non-empty list of tensors');
  const dev = sameDevice('cat', ...tensors);
  const ref = tensors.find((t) => !(t.ndim === 1 && t.numel() === 0)) ?? tensors[0];
  const d = normDim(dim, ref.ndim);
  const parts = tensors.filter((t) => !(t.ndim === 1 && t.numel() === 0 && ref.ndim !== 1));
  for (const t of parts) {
    if (t.ndim !== ref.ndim || t.shape.some((s, i) => i !== d && s !== ref.shape[i])) {
      throw new ShapeError(
        `cat: sizes of tensors must match except in dimension ${d}; got ${parts.map((p) => fmtShape(p.shape)).join(' and ')}`,
      );
    }
    if (t.dtype !== ref.dtype)
      throw new DTypeError(`cat: expected all tensors to have dtype ${ref.dtype}, got ${t.dtype}`);
  }
  const shape = [...ref.shape];
  shape[d] = parts.reduce((a, t) => a + t.shape[d], 0);
  const out = Tensor.empty(shape, ref.dtype, dev);
  const offsets: number[] = [];
  let off = 0;
  for (const t of parts) {
    offsets.push(off);
    if (t.numel()) {
      const sh = [...shape];
      sh[d] = t.shape[d];
      out.backend.copy(t, {
        storage: out.storage,
        dtype: out.dtype,
        shape: sh,
        strides: out.strides,
        offset: off * out.strides[d],
      });
    }
    off += t.shape[d];
  }
  return record('CatBackward0', out, parts, (g, n) =>
    parts.map((t, i) => (n[i] ? narrow(g, d, offsets[i], t.shape[d]) : null)),
  );
}
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!tensors.length) throw new ArgumentError('stack: expected a non-empty list of tensors');
  const d = normDim(dim, tensors[0].ndim, 1);
  for (const t of tensors) {
    if (t.shape.join() !== tensors[0].shape.join())
      throw new ShapeError(
        `stack expects each tensor to be equal size, but got ${fmtShape(tensors[0].shape)} and ${fmtShape(t.shape)}`,
      );
  }
  return cat(
    tensors.map((t) => unsqueeze(t, d)),
    d,
  );
}
/** `split(x, size)` into chunks of `size`, or `split(x, [sizes])`; views. */
export function split(x: Tensor, sizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  const d = normDim(dim, x.ndim);
  const n = x.shape[d];
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    if (sizeOrSections <= 0) throw new ArgumentError(`split: size must be positive, got ${sizeOrSections}`);
    sizes = [];
    for (let s = 0; s < n; s += sizeOrSections) sizes.push(Math.min(sizeOrSections, n - s));
    if (!sizes.length) sizes = [0];
  } else {
    sizes = [...sizeOrSections];
    if (sizes.reduce((a, b) => a + b, 0) !== n)
      throw new ShapeError(
        `split: sizes ${fmtShape(sizes)} do not sum to ${n} (dim ${d} of shape ${fmtShape(x.shape)})`,
      );
  }
  let off = 0;
  return sizes.map((s) => {
    const r = narrow(x, d, off, s);
    off += s;
    return r;
  });
}
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const d = normDim(dim, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[d] / chunks)), d);
}
