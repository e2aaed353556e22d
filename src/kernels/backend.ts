// The device boundary. Everything above `src/kernels/` talks to a device only through `Backend`.
// Kernels take strided views for elementwise work and contiguous buffers for the rest; every
// element is 4 bytes (float32 → f32, int32 → i32, bool → i32 holding 0/1), which keeps WGSL simple.

import type { BinaryOp, UnaryOp } from './ops-table.js';

export type DType = 'float32' | 'int32' | 'bool';
export type DeviceType = 'cpu' | 'webgpu';
export type HostArray = Float32Array | Int32Array;

/** A block of device memory. Tensors that are views of each other share one Storage. */
export interface Storage {
  readonly device: DeviceType;
  readonly dtype: DType;
  /** length in elements */
  readonly length: number;
  /** tensors referring to it; freed when it drops to zero */
  refs: number;
  released: boolean;
  /** Float32Array/Int32Array on cpu, GPUBuffer on webgpu */
  readonly handle: unknown;
}

/**
 * A check of tensor values an op cannot make without reading them back (an index or class target
 * in range, a probability in [0, 1]); see Backend.checkValues.
 */
export interface ValueCheck {
  /** names the check (op and shapes): checks with equal keys build the same error */
  readonly key: string;
  readonly lo: number;
  readonly hi: number;
  /** a value allowed although outside [lo, hi] (an ignoreIndex) */
  readonly except?: number;
  /** the typed error for the first offending value and its flat position */
  readonly error: (value: number, position: number) => Error;
}

/** A strided window on a storage: what elementwise kernels read and write. */
export interface View {
  readonly storage: Storage;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
}

/** the elementwise ops: the keys of the one table that defines each op for every device */
export type { BinaryOp, UnaryOp };

export type ReduceOp = 'sum' | 'max' | 'min' | 'argmax' | 'argmin';

export interface MatmulArgs {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** a is stored [batch, k, m] instead of [batch, m, k] */
  transA: boolean;
  /** b is stored [batch, n, k] instead of [batch, k, n] */
  transB: boolean;
  /** element stride between batches; 0 broadcasts one matrix over the batch */
  strideA: number;
  strideB: number;
  /** optional bias of length n added to every row (F.linear) */
  bias?: View;
}

export interface Conv2dArgs {
  n: number;
  cIn: number;
  h: number;
  w: number;
  cOut: number;
  kh: number;
  kw: number;
  oh: number;
  ow: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilH: number;
  dilW: number;
  groups: number;
}

export interface Pool2dArgs {
  n: number;
  c: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilH: number;
  dilW: number;
  /** avg pool: divide by the full window including padding */
  countIncludePad?: boolean;
  /** avg pool divisor override, 0 if unset */
  divisor?: number;
}

export interface AdamArgs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: decoupled weight decay */
  decoupled: boolean;
  amsgrad: boolean;
  maximize: boolean;
  /** 1 - beta1^t, 1 - beta2^t */
  bc1: number;
  bc2: number;
}
export interface SgdArgs {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
  /** first step with momentum: buf = grad (PyTorch), no dampening */
  firstStep: boolean;
}
export interface RmspropArgs {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

/** A batch-norm input: contiguous x seen as [outer, c, inner] (N, channels, spatial), normalised per channel. */
export interface NormArgs {
  outer: number;
  c: number;
  inner: number;
  eps: number;
}
/** Running statistics a training batch norm updates in place: r = (1 - momentum) r + momentum · batch
 *  (the variance's batch term unbiased, M / (M - 1) with M = outer · inner). Dense float32 [c]. */
export interface RunningStats {
  mean: View;
  var: View;
  momentum: number;
}
/** What batchNormForward applies after the affine in the same pass (eval BatchNorm + ReLU, ResNet's
 *  bn → add → relu): first `+ residual` (dense, x's shape), then `max(·, 0)` when `relu`. */
export interface NormEpilogue {
  residual?: View | null;
  relu?: boolean;
}

/**
 * What a device must implement: its memory and its kernels. Devices register by name in
 * registry.ts; everything above src/kernels/ sees only this interface.
 */
export interface Backend extends MemoryBackend, ComputeBackend {}

/** A device's memory: storages, host transfers, copies, and the queue that orders them. */
export interface MemoryBackend {
  readonly device: DeviceType;

  alloc(length: number, dtype: DType): Storage;
  release(s: Storage): void;
  upload(data: HostArray, dtype: DType): Storage;
  /** `length` elements from `offset` of a storage, as a host copy */
  read(s: Storage, offset: number, length: number): Promise<HostArray>;
  /** elementwise copy between two views of equal shape; converts dtype when they differ */
  copy(src: View, dst: View): void;

  /** make queued work run (webgpu submits; cpu is synchronous) */
  flush(): void;
  memory(): { pooledBytes: number };
}

/**
 * A device's kernels. Outputs are freshly allocated contiguous storages unless the method writes
 * into a given view. Inputs named "contiguous" must be dense, row-major, offset included in the view.
 */
export interface ComputeBackend {
  /** kernels launched so far (tests count them to prove frozen work is skipped) */
  dispatches: number;

  fill(dst: View, value: number): void;

  unary(op: UnaryOp, x: View, outDtype: DType, p0?: number, p1?: number): Storage;
  /** `a` and `b` already broadcast to `shape` (stride 0 on expanded dims) */
  binary(op: BinaryOp, a: View, b: View, shape: readonly number[], outDtype: DType): Storage;
  where(cond: View, a: View, b: View, shape: readonly number[], outDtype: DType): Storage;
  /** contiguous x seen as [rows, cols]; reduces each row; argmax/argmin give int32 */
  reduce(op: ReduceOp, x: View, rows: number, cols: number): Storage;
  /** contiguous x seen as [outer, size, inner]; reduces the middle dim → [outer, inner] (a reduction over a
   *  leading or middle dim without a permuted copy); argmax/argmin give int32 positions along it */
  reduceAxis(op: ReduceOp, x: View, outer: number, size: number, inner: number): Storage;
  /** contiguous a, b; out [batch, m, n] */
  matmul(a: View, b: View, args: MatmulArgs): Storage;

  /** contiguous x seen as [outer, size, inner]; picks `index` (int32, contiguous) along the middle dim */
  indexSelect(x: View, index: View, outer: number, size: number, inner: number): Storage;
  /** out [outer, size, inner] zeros, then out[o, index[i], r] += src[o, i, r] */
  indexAdd(src: View, index: View, outer: number, size: number, inner: number): Storage;
  /** contiguous x [outer, size, inner], index [outer, k, inner] → out[o, j, r] = x[o, index[o,j,r], r] */
  gather(x: View, index: View, outer: number, size: number, k: number, inner: number): Storage;
  /** out [outer, size, inner] zeros, out[o, index[o,j,r], r] += src[o, j, r] */
  scatterAdd(src: View, index: View, outer: number, size: number, k: number, inner: number): Storage;

  conv2d(x: View, w: View, bias: View | null, a: Conv2dArgs): Storage;
  conv2dBackwardInput(gy: View, w: View, a: Conv2dArgs): Storage;
  conv2dBackwardWeight(gy: View, x: View, a: Conv2dArgs): Storage;
  /** values and flat (h*w) argmax indices (int32) */
  maxPool2d(x: View, a: Pool2dArgs): [Storage, Storage];
  avgPool2d(x: View, a: Pool2dArgs): Storage;
  avgPool2dBackward(gy: View, a: Pool2dArgs): Storage;

  /** per-channel mean and biased variance of x: out [2, c] (means, then variances); updates `running` in place */
  batchNormStats(x: View, a: NormArgs, running: RunningStats | null): Storage;
  /** y = (x - mean[ch]) / sqrt(var[ch] + eps) · weight[ch] + bias[ch]; mean, var, weight, bias dense [c];
   *  then the optional epilogue (+ residual, relu) */
  batchNormForward(
    x: View,
    mean: View,
    var_: View,
    weight: View | null,
    bias: View | null,
    a: NormArgs,
    epilogue?: NormEpilogue,
  ): Storage;
  /** out [2, c]: Σ g and Σ g · x̂ per channel, x̂ = (x - mean) / sqrt(var + eps) */
  batchNormBackwardSums(g: View, x: View, mean: View, var_: View, a: NormArgs): Storage;
  /**
   * The input gradient. With `sums` (batch statistics, from batchNormBackwardSums):
   * dx = w · rstd · (g - Σg / M - x̂ · Σ(g·x̂) / M), M = outer · inner. Without (fixed statistics):
   * dx = w · rstd · g, and x and mean may be null. rstd = 1 / sqrt(var + eps); w = 1 without weight.
   */
  batchNormBackwardInput(
    g: View,
    x: View | null,
    mean: View | null,
    var_: View,
    weight: View | null,
    sums: View | null,
    a: NormArgs,
  ): Storage;

  /**
   * Softmax cross-entropy of dense logits x [rows, c] against int32 class indices [rows]: out [3, rows]
   * = loss (logsumexp − x[t]; 0 where t = ignoreIndex, NaN where t is out of range), weight (0 where
   * ignored, else 1), logsumexp. A target out of range raises `check` as checkValues does.
   */
  crossEntropyForward(x: View, target: View, rows: number, c: number, ignoreIndex: number, check: ValueCheck): Storage;
  /**
   * Its input gradient [rows, c]: (exp(x − lse[r]) − [j = t[r]]) · g[r · gStride] / divisor[0] (no
   * divisor: 1); 0 on rows whose target is ignored or out of range.
   */
  crossEntropyBackward(
    x: View,
    target: View,
    lse: View,
    g: View,
    gStride: number,
    divisor: View | null,
    rows: number,
    c: number,
    ignoreIndex: number,
  ): Storage;

  /** fused optimizer updates, in place on contiguous storages */
  sgdStep(param: View, grad: View, buf: View | null, a: SgdArgs): void;
  adamStep(param: View, grad: View, m: View, v: View, vmax: View | null, a: AdamArgs): void;
  rmspropStep(param: View, grad: View, sq: View, buf: View | null, gavg: View | null, a: RmspropArgs): void;

  /**
   * Values of dense x outside [check.lo, check.hi] (other than check.except; NaN included) are an
   * error: cpu throws check.error for the first at once, webgpu raises a device-side flag that the
   * next readback throws (webgpu/error-flag.ts), so the values are never read back here.
   */
  checkValues(x: View, check: ValueCheck): void;
}

export const bytesPerElement = 4;
