// The Tensor: a strided view on a reference-counted storage on one device. Differentiable methods
// (`add`, `matmul`, `sum`, ...) are installed on the prototype by src/autograd (declaration merging
// keeps them typed), so this layer knows nothing of the ops above it.
import { AutogradError, DeviceError, DisposedError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import type { Backend, DType, HostArray, Storage, View } from '../kernels/backend.js';
import { backendFor, type Device } from './device.js';
import { releaseStorage, retainStorage, track, untrack } from './memory.js';
import { formatTensor } from './print.js';
import { contiguousStrides, isContiguous, numel } from './shape.js';

/** What the tensor layer needs to know of an autograd node. */
export interface GradNode {
  readonly name: string;
  readonly inputs: readonly (Tensor | null)[];
  /** hooks registered on the (non-leaf) tensor this node produced */
  hooks: ((g: Tensor) => Tensor | void)[];
  retainOutput: Tensor | null;
}

const finalizer = new FinalizationRegistry<Storage>((s) => {
  if (!s.released) releaseStorage(s);
});

let nextId = 1;
/** The id the next tensor will get (the engine uses it to tell its own tensors apart). */
export const peekNextId = () => nextId;

export class Tensor implements View {
  readonly id = nextId++;
  /** @internal */ _storage: Storage;
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
  readonly dtype: DType;
  grad: Tensor | null = null;
  gradFn: GradNode | null = null;
  /** @internal */ _requiresGrad = false;
  /** @internal */ _retainGrad = false;
  /** @internal */ _hooks: ((g: Tensor) => Tensor | void)[] = [];
  /** @internal */ _disposed = false;
  /** @internal set by Parameter */ _isParameter = false;

  constructor(storage: Storage, shape: readonly number[], strides?: readonly number[], offset = 0) {
    this._storage = storage;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.offset = offset;
    this.dtype = storage.dtype;
    retainStorage(storage);
    finalizer.register(this, storage, this);
    track(this);
  }

  /** A new contiguous tensor from host values (copied) on `device`. */
  static fromHost(data: HostArray, shape: readonly number[], dtype: DType, device: Device): Tensor {
    if (data.length !== numel(shape))
      throw new ShapeError(`fromHost: ${data.length} values for shape ${fmtShape(shape)}`);
    return new Tensor(backendFor(device).upload(data, dtype), shape);
  }
  /** A new uninitialised contiguous tensor. */
  static empty(shape: readonly number[], dtype: DType, device: Device): Tensor {
    return new Tensor(backendFor(device).alloc(numel(shape), dtype), shape);
  }

  get storage(): Storage {
    if (this._disposed)
      throw new DisposedError(
        `tensor of shape ${fmtShape(this.shape)} (${this.dtype}, ${this.device}) was used after dispose()`,
      );
    return this._storage;
  }
  get device(): Device {
    return this._storage.device;
  }
  get backend(): Backend {
    return backendFor(this.device);
  }
  get ndim(): number {
    return this.shape.length;
  }
  dim(): number {
    return this.shape.length;
  }
  numel(): number {
    return numel(this.shape);
  }
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return [...this.shape];
    return this.shape[dim < 0 ? dim + this.ndim : dim];
  }
  get isDisposed(): boolean {
    return this._disposed;
  }
  isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }
  isFloatingPoint(): boolean {
    return this.dtype === 'float32';
  }
  get isLeaf(): boolean {
    return this.gradFn === null;
  }
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  set requiresGrad(v: boolean) {
    if (v && this.dtype !== 'float32') {
      throw new DTypeError(
        `only floating point tensors can require gradients (this one is ${this.dtype}, shape ${fmtShape(this.shape)})`,
      );
    }
    if (!this.isLeaf && !v) {
      throw new AutogradError(
        `you can only change requiresGrad flags of leaf variables; use detach() on the output of ${this.gradFn!.name}`,
      );
    }
    this._requiresGrad = v;
  }
  requiresGrad_(v = true): this {
    this.requiresGrad = v;
    return this;
  }
  /** Keep `.grad` for this non-leaf tensor after backward. */
  retainGrad(): this {
    if (this.gradFn) {
      this._retainGrad = true;
      this.gradFn.retainOutput = this;
    }
    return this;
  }
  /** `fn(grad)` runs when this tensor's gradient is computed; a returned tensor replaces it. */
  registerHook(fn: (g: Tensor) => Tensor | void): { remove(): void } {
    if (!this._requiresGrad)
      throw new AutogradError("cannot register a hook on a tensor that doesn't require gradient");
    const list = this.gradFn ? this.gradFn.hooks : this._hooks;
    list.push(fn);
    return {
      remove: () => {
        const i = list.indexOf(fn);
        if (i >= 0) list.splice(i, 1);
      },
    };
  }

  /** @internal A view sharing this tensor's storage. */
  _view(shape: readonly number[], strides: readonly number[], offset: number): Tensor {
    return new Tensor(this.storage, shape, strides, offset);
  }
  /** A tensor sharing storage, cut from the graph. */
  detach(): Tensor {
    return this._view(this.shape, this.strides, this.offset);
  }
  /** @internal Raw dense copy on the same device, outside autograd. */
  _contiguousRaw(): Tensor {
    const out = Tensor.empty(this.shape, this.dtype, this.device);
    this.backend.copy(this, out);
    return out;
  }

  /** Values as a flat typed array (Float32Array, Int32Array, or Uint8Array for bool). */
  async data(): Promise<Float32Array | Int32Array | Uint8Array> {
    const storage = this.storage;
    const n = this.numel();
    let src: Tensor = this;
    if (!this.isContiguous()) src = this._contiguousRaw();
    try {
      const host = await backendFor(this.device).read(src.storage, src.offset, n);
      return this.dtype === 'bool' ? Uint8Array.from(host) : host;
    } finally {
      if (src !== this) src.dispose();
      void storage;
    }
  }
  /** Synchronous values, cpu tensors only. */
  dataSync(): Float32Array | Int32Array | Uint8Array {
    if (this.device !== 'cpu')
      throw new DeviceError(`dataSync() needs a cpu tensor; this one is on ${this.device}: use await t.data()`);
    const src = this.isContiguous() ? this : this._contiguousRaw();
    const arr = (src.storage.handle as HostArray).slice(src.offset, src.offset + this.numel());
    if (src !== this) src.dispose();
    return this.dtype === 'bool' ? Uint8Array.from(arr) : arr;
  }
  async item(): Promise<number> {
    if (this.numel() !== 1)
      throw new DTypeError(
        `a Tensor with ${this.numel()} elements cannot be converted to a number (shape ${fmtShape(this.shape)})`,
      );
    return (await this.data())[0];
  }
  async tolist(): Promise<unknown> {
    const d = await this.data();
    return nest(d, this.shape, this.dtype);
  }
  /** Copy to another device. cpu → webgpu is synchronous; reading back from webgpu is not. */
  async toAsync(device: Device): Promise<Tensor> {
    if (device === this.device) return this;
    const d = await this.data();
    return Tensor.fromHost(d instanceof Uint8Array ? Int32Array.from(d) : d, this.shape, this.dtype, device);
  }
  /** @internal Device transfer outside autograd. */
  _transfer(device: Device): Tensor {
    if (device === this.device) return this;
    if (this.device !== 'cpu') {
      throw new DeviceError(
        `moving a ${this.device} tensor to ${device} reads it back, which is asynchronous: use await t.toAsync('${device}')`,
      );
    }
    const host = this.dataSync();
    return Tensor.fromHost(host instanceof Uint8Array ? Int32Array.from(host) : host, this.shape, this.dtype, device);
  }

  /**
   * @internal Make this tensor view `src`'s storage (shape, strides, offset) instead of its own, in
   * place. `Module.to(device)` moves parameters this way, so the same Parameter objects (held by an
   * optimizer built before) keep working. `src` keeps its own reference; dispose it as usual.
   */
  _adoptStorage(src: Tensor): void {
    if (src.dtype !== this.dtype)
      throw new DTypeError(
        `_adoptStorage: dtype ${src.dtype} does not match ${this.dtype} (shape ${fmtShape(this.shape)})`,
      );
    const old = this.storage;
    const next = src.storage;
    retainStorage(next);
    finalizer.unregister(this);
    this._storage = next;
    this.shape = src.shape;
    this.strides = src.strides;
    this.offset = src.offset;
    finalizer.register(this, next, this);
    releaseStorage(old);
  }

  /** Free the device memory now (shared with views until the last one is disposed). */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    finalizer.unregister(this);
    untrack(this);
    releaseStorage(this._storage);
    this.grad = null;
    this.gradFn = null;
  }

  toString(): string {
    if (this._disposed) return `tensor(<disposed>, shape=${fmtShape(this.shape)})`;
    if (this.device !== 'cpu') {
      return `tensor(<${this.numel()} values on ${this.device}: await t.format() prints them>, shape=${fmtShape(this.shape)}, dtype=${this.dtype}${this.suffix()})`;
    }
    return formatTensor(this.dataSync(), this.shape, this.dtype, this.suffix());
  }
  /** `String(t)` for any device: reads the values back first. */
  async format(): Promise<string> {
    return formatTensor(await this.data(), this.shape, this.dtype, this.suffix());
  }
  /** @internal */ suffix(): string {
    let s = '';
    if (this.device !== 'cpu') s += `, device='${this.device}'`;
    if (this.gradFn) s += `, grad_fn=<${this.gradFn.name}>`;
    else if (this._requiresGrad) s += ', requires_grad=True';
    return s;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function nest(d: ArrayLike<number>, shape: readonly number[], dtype: DType): unknown {
  const conv = dtype === 'bool' ? (x: number) => x !== 0 : (x: number) => x;
  if (shape.length === 0) return conv(d[0]);
  let i = 0;
  const rec = (k: number): unknown[] => {
    const out: unknown[] = [];
    for (let j = 0; j < shape[k]; j++) out.push(k === shape.length - 1 ? conv(d[i++]) : rec(k + 1));
    return out;
  };
  return rec(0);
}
