// Creating tensors: from values, filled, ranges and random draws.
import { ArgumentError, DTypeError } from '../errors.js';
import type { DType } from '../kernels/backend.js';
import { defaultDevice, type Device } from './device.js';
import { defaultGenerator, type Generator } from './random.js';
import { checkShape, numel } from './shape.js';
import { Tensor } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}
export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

export type NestedArray = number | boolean | NestedArray[];

function finish(t: Tensor, o: TensorOptions): Tensor {
  if (o.requiresGrad) t.requiresGrad = true;
  return t;
}
function hostArray(n: number, dtype: DType): Float32Array | Int32Array {
  return dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
}

/** `torch.tensor`: nested arrays (numbers → float32, booleans → bool) or a typed array. */
export function tensor(
  data: NestedArray | Float32Array | Int32Array | Uint8Array | Float64Array,
  o: TensorOptions = {},
): Tensor {
  const device = o.device ?? defaultDevice();
  if (ArrayBuffer.isView(data)) {
    const dtype = o.dtype ?? (data instanceof Int32Array ? 'int32' : data instanceof Uint8Array ? 'bool' : 'float32');
    const host = hostArray(data.length, dtype);
    host.set(dtype === 'bool' ? Array.from(data, (x) => +(x !== 0)) : (data as ArrayLike<number>));
    return finish(Tensor.fromHost(host, [data.length], dtype, device), o);
  }
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const inferred: DType = typeof probe === 'boolean' ? 'bool' : 'float32';
  const dtype = o.dtype ?? inferred;
  const host = hostArray(numel(shape), dtype);
  let k = 0;
  const walk = (v: NestedArray, dim: number, path: number[]) => {
    if (dim === shape.length) {
      if (Array.isArray(v)) throw new ArgumentError(`tensor(): ragged nested array at index [${path.join(', ')}]`);
      const x = typeof v === 'boolean' ? +v : v;
      if (typeof x !== 'number')
        throw new ArgumentError(`tensor(): expected a number at [${path.join(', ')}], got ${typeof v}`);
      host[k++] = dtype === 'bool' ? +(x !== 0) : x;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new ArgumentError(
        `tensor(): expected a sequence of length ${shape[dim]} at dim ${dim} (index [${path.join(', ')}])`,
      );
    }
    v.forEach((c, i) => walk(c, dim + 1, [...path, i]));
  };
  walk(data, 0, []);
  return finish(Tensor.fromHost(host, shape, dtype, device), o);
}

export function full(shape: readonly number[], value: number, o: TensorOptions = {}): Tensor {
  const s = checkShape(shape);
  const t = Tensor.empty(s, o.dtype ?? 'float32', o.device ?? defaultDevice());
  if (t.numel()) t.backend.fill(t, t.dtype === 'bool' ? +(value !== 0) : value);
  return finish(t, o);
}
export const zeros = (shape: readonly number[], o: TensorOptions = {}) => full(shape, 0, o);
export const ones = (shape: readonly number[], o: TensorOptions = {}) => full(shape, 1, o);
export const empty = (shape: readonly number[], o: TensorOptions = {}) =>
  finish(Tensor.empty(checkShape(shape), o.dtype ?? 'float32', o.device ?? defaultDevice()), o);
const like = (t: Tensor, o: TensorOptions): TensorOptions => ({ dtype: t.dtype, device: t.device, ...o });
export const zerosLike = (t: Tensor, o: TensorOptions = {}) => zeros(t.shape, like(t, o));
export const onesLike = (t: Tensor, o: TensorOptions = {}) => ones(t.shape, like(t, o));
export const fullLike = (t: Tensor, v: number, o: TensorOptions = {}) => full(t.shape, v, like(t, o));
export const emptyLike = (t: Tensor, o: TensorOptions = {}) => empty(t.shape, like(t, o));

/** `arange(end)`, `arange(start, end, step?)`; int32 when every argument is an integer. */
export function arange(a: number, b?: number, step = 1, o: TensorOptions = {}): Tensor {
  const [start, end] = b === undefined ? [0, a] : [a, b];
  if (step === 0) throw new ArgumentError('arange: step must be nonzero');
  if ((end - start) / step < 0)
    throw new ArgumentError(
      `arange: upper bound and larger bound inconsistent with step sign (start=${start}, end=${end}, step=${step})`,
    );
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = o.dtype ?? ([start, end, step].every(Number.isInteger) ? 'int32' : 'float32');
  const host = hostArray(n, dtype);
  for (let i = 0; i < n; i++) host[i] = start + i * step;
  return finish(Tensor.fromHost(host, [n], dtype, o.device ?? defaultDevice()), o);
}
export function linspace(start: number, end: number, steps: number, o: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0)
    throw new ArgumentError(`linspace: number of steps must be non-negative, got ${steps}`);
  const host = new Float32Array(steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // PyTorch fills the second half from the end so the last value is exactly `end`
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) host[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
  return finish(Tensor.fromHost(host, [steps], 'float32', o.device ?? defaultDevice()), { ...o, dtype: 'float32' });
}
export function eye(n: number, m = n, o: TensorOptions = {}): Tensor {
  const dtype = o.dtype ?? 'float32';
  const host = hostArray(n * m, dtype);
  for (let i = 0; i < Math.min(n, m); i++) host[i * m + i] = 1;
  return finish(Tensor.fromHost(host, [n, m], dtype, o.device ?? defaultDevice()), o);
}
function random(shape: readonly number[], o: RandomOptions, draw: (g: Generator) => number): Tensor {
  const s = checkShape(shape);
  const dtype = o.dtype ?? 'float32';
  if (dtype !== 'float32') throw new DTypeError(`rand/randn produce float32, not ${dtype}`);
  const g = o.generator ?? defaultGenerator;
  const host = new Float32Array(numel(s));
  for (let i = 0; i < host.length; i++) host[i] = draw(g);
  return finish(Tensor.fromHost(host, s, 'float32', o.device ?? defaultDevice()), o);
}
export const rand = (shape: readonly number[], o: RandomOptions = {}) => random(shape, o, (g) => g.uniform());
export const randn = (shape: readonly number[], o: RandomOptions = {}) => random(shape, o, (g) => g.normal());
/** integers in [low, high) as int32 */
export function randint(low: number, high: number, shape: readonly number[], o: RandomOptions = {}): Tensor {
  if (high <= low) throw new ArgumentError(`randint: expected low < high, got low=${low}, high=${high}`);
  const s = checkShape(shape);
  const g = o.generator ?? defaultGenerator;
  const host = new Int32Array(numel(s));
  for (let i = 0; i < host.length; i++) host[i] = g.int(low, high);
  return Tensor.fromHost(host, s, o.dtype ?? 'int32', o.device ?? defaultDevice());
}
/** a random permutation of 0..n-1 (int32) */
export function randperm(n: number, o: RandomOptions = {}): Tensor {
  const g = o.generator ?? defaultGenerator;
  const host = new Int32Array(n);
  for (let i = 0; i < n; i++) host[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.int(0, i + 1);
    [host[i], host[j]] = [host[j], host[i]];
  }
  return Tensor.fromHost(host, [n], 'int32', o.device ?? defaultDevice());
}
