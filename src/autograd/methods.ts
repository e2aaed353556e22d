// Installs the differentiable methods on Tensor.prototype (declaration merging types them), so
// src/tensor stays below src/autograd. One line per method; the op lives in ./ops.
import { ArgumentError } from '../errors.js';
import type { DType } from '../kernels/backend.js';
import { onesLike } from '../tensor/creation.js';
import { isDeviceName, type Device } from '../tensor/device.js';
import { Tensor } from '../tensor/tensor.js';
import { backward, setEngineOps, type BackwardOptions } from './engine.js';
import { isGradEnabled, noGrad } from './grad-mode.js';
import * as broadcast from './ops/broadcast.js';
import * as elementwise from './ops/elementwise.js';
import * as indexing from './ops/indexing.js';
import * as linalg from './ops/linalg.js';
import * as mm from './ops/mm.js';
import * as reduce from './ops/reduce.js';
import * as shape from './ops/shape.js';
import * as softmax from './ops/softmax.js';
import type { TensorOrScalar } from './ops/util.js';

type Dims = reduce.Dims;
type RO = reduce.ReduceOptions;

declare module '../tensor/tensor.js' {
  interface Tensor {
    backward(gradient?: Tensor | null, opts?: BackwardOptions): void;
    add(o: TensorOrScalar, opts?: { alpha?: number }): Tensor;
    sub(o: TensorOrScalar, opts?: { alpha?: number }): Tensor;
    mul(o: TensorOrScalar): Tensor;
    div(o: TensorOrScalar): Tensor;
    pow(o: TensorOrScalar): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    reciprocal(): Tensor;
    square(): Tensor;
    erf(): Tensor;
    silu(): Tensor;
    gelu(opts?: { approximate?: 'none' | 'tanh' }): Tensor;
    leakyRelu(negativeSlope?: number): Tensor;
    clamp(opts: { min?: number | null; max?: number | null }): Tensor;
    clamp(min: number | null, max?: number | null): Tensor;
    maximum(o: Tensor): Tensor;
    minimum(o: Tensor): Tensor;
    eq(o: TensorOrScalar): Tensor;
    ne(o: TensorOrScalar): Tensor;
    lt(o: TensorOrScalar): Tensor;
    le(o: TensorOrScalar): Tensor;
    gt(o: TensorOrScalar): Tensor;
    ge(o: TensorOrScalar): Tensor;
    logicalNot(): Tensor;
    where(cond: Tensor, other: TensorOrScalar): Tensor;
    sum(dims?: Dims, opts?: RO): Tensor;
    mean(dims?: Dims, opts?: RO): Tensor;
    amax(dims?: Dims, opts?: RO): Tensor;
    amin(dims?: Dims, opts?: RO): Tensor;
    max(): Tensor;
    max(dim: number, opts?: RO): { values: Tensor; indices: Tensor };
    min(): Tensor;
    min(dim: number, opts?: RO): { values: Tensor; indices: Tensor };
    argmax(dim?: number | null, opts?: RO): Tensor;
    argmin(dim?: number | null, opts?: RO): Tensor;
    var(dims?: Dims, opts?: reduce.VarOptions): Tensor;
    std(dims?: Dims, opts?: reduce.VarOptions): Tensor;
    logsumexp(dims: Dims, opts?: RO): Tensor;
    softmax(dim: number): Tensor;
    logSoftmax(dim: number): Tensor;
    matmul(o: Tensor): Tensor;
    mm(o: Tensor): Tensor;
    bmm(o: Tensor): Tensor;
    reshape(shape: readonly number[]): Tensor;
    view(shape: readonly number[]): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    unflatten(dim: number, sizes: readonly number[]): Tensor;
    squeeze(dim?: number | number[]): Tensor;
    unsqueeze(dim: number): Tensor;
    transpose(d0: number, d1: number): Tensor;
    permute(dims: readonly number[]): Tensor;
    t(): Tensor;
    expand(shape: readonly number[]): Tensor;
    expandAs(o: Tensor): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    slice(dim: number, start?: number, end?: number, step?: number): Tensor;
    select(dim: number, index: number): Tensor;
    indexSelect(dim: number, index: Tensor): Tensor;
    gather(dim: number, index: Tensor): Tensor;
    split(sizeOrSections: number | readonly number[], dim?: number): Tensor[];
    chunk(chunks: number, dim?: number): Tensor[];
    contiguous(): Tensor;
    clone(): Tensor;
    to(target: Device | DType | { device?: Device; dtype?: DType }): Tensor;
    float(): Tensor;
    int(): Tensor;
    bool(): Tensor;
    /** in place, outside autograd (init, optimizers, loading weights) */
    copy_(src: Tensor): this;
    fill_(v: number): this;
    zero_(): this;
    mul_(v: number | Tensor): this;
    add_(v: Tensor | number, opts?: { alpha?: number }): this;
    clamp_(min: number | null, max?: number | null): this;
  }
}

const P = Tensor.prototype as unknown as Record<string, unknown>;
const m = (name: string, fn: (this: Tensor, ...a: never[]) => unknown) => {
  P[name] = fn;
};

m('backward', function (g?: Tensor | null, o?: BackwardOptions) {
  backward(this, g, o);
});
for (const op of ['add', 'sub'] as const)
  m(op, function (o: TensorOrScalar, opt?: { alpha?: number }) {
    return elementwise[op](this, o, opt);
  });
for (const op of ['mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
  m(op, function (o: never) {
    return (elementwise[op] as (a: Tensor, b: unknown) => Tensor)(this, o);
  });
}
for (const op of [
  'neg',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'abs',
  'sign',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'relu',
  'reciprocal',
  'square',
  'erf',
  'silu',
  'logicalNot',
] as const) {
  m(op, function () {
    return (elementwise[op] as (a: Tensor) => Tensor)(this);
  });
}
m('gelu', function (o?: { approximate?: 'none' | 'tanh' }) {
  return elementwise.gelu(this, o);
});
m('leakyRelu', function (s?: number) {
  return elementwise.leakyRelu(this, s);
});
m('clamp', function (a: number | null | { min?: number | null; max?: number | null }, b?: number | null) {
  return elementwise.clamp(this, typeof a === 'object' && a !== null ? a : { min: a, max: b });
});
m('where', function (cond: Tensor, other: TensorOrScalar) {
  return elementwise.where(cond, this, other);
});
m('sum', function (d?: Dims, o?: RO) {
  return broadcast.sum(this, d, o);
});
for (const op of ['mean', 'amax', 'amin', 'logsumexp'] as const)
  m(op, function (d?: Dims, o?: RO) {
    return reduce[op](this, d as never, o);
  });
m('var', function (d?: Dims, o?: reduce.VarOptions) {
  return reduce.variance(this, d, o);
});
m('std', function (d?: Dims, o?: reduce.VarOptions) {
  return reduce.std(this, d, o);
});
m('max', function (d?: number, o?: RO) {
  return d === undefined ? reduce.max(this) : reduce.max(this, d, o);
});
m('min', function (d?: number, o?: RO) {
  return d === undefined ? reduce.min(this) : reduce.min(this, d, o);
});
m('argmax', function (d?: number | null, o?: RO) {
  return reduce.argmax(this, d, o);
});
m('argmin', function (d?: number | null, o?: RO) {
  return reduce.argmin(this, d, o);
});
m('softmax', function (d: number) {
  return softmax.softmax(this, d);
});
m('logSoftmax', function (d: number) {
  return softmax.logSoftmax(this, d);
});
m('matmul', function (o: Tensor) {
  return linalg.matmul(this, o);
});
m('mm', function (o: Tensor) {
  return mm.mm(this, o);
});
m('bmm', function (o: Tensor) {
  return mm.bmm(this, o);
});
for (const op of [
  'reshape',
  'view',
  'flatten',
  'unflatten',
  'squeeze',
  'unsqueeze',
  'transpose',
  'permute',
  't',
  'narrow',
  'slice',
  'select',
  'split',
  'chunk',
  'contiguous',
  'clone',
] as const) {
  m(op, function (...a: never[]) {
    return (shape[op] as (x: Tensor, ...r: unknown[]) => unknown)(this, ...a);
  });
}
m('indexSelect', function (d: number, i: Tensor) {
  return indexing.indexSelect(this, d, i);
});
m('gather', function (d: number, i: Tensor) {
  return indexing.gather(this, d, i);
});
m('expand', function (s: readonly number[]) {
  return broadcast.expand(this, s);
});
m('expandAs', function (o: Tensor) {
  return broadcast.expandAs(this, o);
});
m('to', function (target: Device | DType | { device?: Device; dtype?: DType }) {
  const o =
    typeof target === 'string' ? (isDeviceName(target) ? { device: target } : { dtype: target as DType }) : target;
  let r: Tensor = this;
  if (o.device) r = shape.to(r, o.device);
  if (o.dtype) r = elementwise.toDtype(r, o.dtype);
  return r;
});
m('float', function () {
  return elementwise.toDtype(this, 'float32');
});
m('int', function () {
  return elementwise.toDtype(this, 'int32');
});
m('bool', function () {
  return elementwise.toDtype(this, 'bool');
});

// ---- in-place, outside autograd ----
function checkInPlace(t: Tensor, op: string) {
  if (t.requiresGrad && t.isLeaf && isGradEnabled()) {
    throw new ArgumentError(
      `a leaf Variable that requires grad is being used in an in-place operation (${op}); wrap it in torch.noGrad`,
    );
  }
}

/** write `src` (broadcast) into t's view */
function writeInto(t: Tensor, src: Tensor) {
  const v = broadcast.expand(src.detach(), t.shape);
  const s2 = v.dtype === t.dtype ? v : v.to(t.dtype);
  t.backend.copy(s2, t);
  if (v !== src) v.dispose();
}
m('copy_', function (src: Tensor) {
  checkInPlace(this, 'copy_');
  const s = src.device === this.device ? src : src._transfer(this.device);
  writeInto(this, s);
  if (s !== src) s.dispose();
  return this;
});
m('fill_', function (v: number) {
  checkInPlace(this, 'fill_');
  this.backend.fill(this, v);
  return this;
});
m('zero_', function () {
  checkInPlace(this, 'zero_');
  this.backend.fill(this, 0);
  return this;
});
function inPlace(t: Tensor, op: string, f: () => Tensor) {
  checkInPlace(t, op);
  const r = noGrad(f);
  writeInto(t, r);
  r.dispose();
  return t;
}
m('mul_', function (v: number | Tensor) {
  return inPlace(this, 'mul_', () => elementwise.mul(this.detach(), v));
});
m('add_', function (v: Tensor | number, o?: { alpha?: number }) {
  return inPlace(this, 'add_', () => elementwise.add(this.detach(), v, o));
});
m('clamp_', function (lo: number | null, hi?: number | null) {
  return inPlace(this, 'clamp_', () => elementwise.clamp(this.detach(), { min: lo, max: hi }));
});

setEngineOps({
  add: (a, b) => elementwise.add(a, b),
  onesLike: (t) => onesLike(t),
  clone: (t) => shape.clone(t),
});
