// The CPU device: every kernel in plain TypeScript. It is the reference the WebGPU kernels are
// tested against and the fallback where no adapter exists.
import type {
  AdamArgs,
  Backend,
  BinaryOp,
  Conv2dArgs,
  DType,
  HostArray,
  MatmulArgs,
  NormArgs,
  NormEpilogue,
  Pool2dArgs,
  ReduceOp,
  RmspropArgs,
  RunningStats,
  SgdArgs,
  Storage,
  UnaryOp,
  ValueCheck,
  View,
} from '../backend.js';
import { conv2dBackwardInput, conv2dBackwardWeight, conv2dForward } from './conv.js';
import { binaryDense, binaryStrided, unaryDense, unaryStrided } from './elementwise.js';
import { ceBackward, ceForward } from './loss.js';
import { bnBackwardInput, bnBackwardSums, bnForward, bnStats } from './norm.js';
import { matmulHost } from './matmul.js';
import { elementOffsets, isContiguous, numel } from './strided.js';
import * as indexOps from './index-ops.js';
import * as optimSteps from './optim-steps.js';
import * as poolOps from './pool.js';
import { type Arr, data, dense, make, reader } from './views.js';

export class CpuBackend implements Backend {
  readonly device = 'cpu' as const;
  dispatches = 0;

  /** @internal a storage around a host array (the split-out kernels build results with it) */
  wrap(arr: Arr, dtype: DType): Storage {
    return { device: 'cpu', dtype, length: arr.length, refs: 0, released: false, handle: arr };
  }
  alloc(length: number, dtype: DType): Storage {
    return this.wrap(make(length, dtype), dtype);
  }
  release(s: Storage): void {
    s.released = true;
  }
  upload(src: HostArray, dtype: DType): Storage {
    const arr = make(src.length, dtype);
    arr.set(src);
    return this.wrap(arr, dtype);
  }
  async read(s: Storage, offset: number, length: number): Promise<HostArray> {
    return (s.handle as Arr).slice(offset, offset + length);
  }
  copy(src: View, dst: View): void {
    this.dispatches++;
    const n = numel(dst.shape);
    const r = reader(src, dst.shape);
    const d = data(dst);
    const toInt = dst.dtype !== 'float32' && src.dtype === 'float32';
    const toBool = dst.dtype === 'bool' && src.dtype !== 'bool';
    const offs = elementOffsets(dst);
    for (let i = 0; i < n; i++) {
      const x = r(i);
      d[offs[i]] = toBool ? +(x !== 0) : toInt ? Math.trunc(x) : x;
    }
  }
  fill(dst: View, value: number): void {
    this.dispatches++;
    const d = data(dst);
    const offs = elementOffsets(dst);
    for (let i = 0; i < offs.length; i++) d[offs[i]] = value;
  }
  unary(op: UnaryOp, x: View, outDtype: DType, p0 = 0, p1 = 0): Storage {
    this.dispatches++;
    const n = numel(x.shape);
    const out = make(n, outDtype);
    if (op === 'cast' && outDtype !== 'float32') {
      // float → int truncates; float → bool tests nonzero (0.5 and NaN are true)
      const r = reader(x);
      if (outDtype === 'bool') for (let i = 0; i < n; i++) out[i] = +(r(i) !== 0);
      else for (let i = 0; i < n; i++) out[i] = Math.trunc(r(i));
    } else if (isContiguous(x.shape, x.strides)) unaryDense(op, data(x), x.offset, out, n, p0, p1);
    else unaryStrided(op, reader(x), out, n, p0, p1);
    return this.wrap(out, outDtype);
  }
  binary(op: BinaryOp, a: View, b: View, shape: readonly number[], outDtype: DType): Storage {
    this.dispatches++;
    const n = numel(shape);
    const out = make(n, outDtype);
    const intDiv = a.dtype !== 'float32' && b.dtype !== 'float32';
    if (isContiguous(shape, a.strides) && isContiguous(shape, b.strides))
      binaryDense(op, intDiv, data(a), a.offset, data(b), b.offset, out, n);
    else binaryStrided(op, intDiv, reader(a, shape), reader(b, shape), out, n);
    return this.wrap(out, outDtype);
  }
  where(c: View, a: View, b: View, shape: readonly number[], outDtype: DType): Storage {
    this.dispatches++;
    const n = numel(shape);
    const out = make(n, outDtype);
    const rc = reader(c, shape),
      ra = reader(a, shape),
      rb = reader(b, shape);
    for (let i = 0; i < n; i++) out[i] = rc(i) ? ra(i) : rb(i);
    return this.wrap(out, outDtype);
  }
  reduce(op: ReduceOp, x: View, rows: number, cols: number): Storage {
    this.dispatches++;
    const src = dense(x);
    const isArg = op === 'argmax' || op === 'argmin';
    const out = make(rows, isArg ? 'int32' : x.dtype);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      if (op === 'sum') {
        let s = 0;
        for (let c = 0; c < cols; c++) s += src[base + c];
        out[r] = s;
      } else {
        const isMax = op === 'max' || op === 'argmax';
        let best = isMax ? -Infinity : Infinity,
          bi = 0;
        for (let c = 0; c < cols; c++) {
          const v = src[base + c];
          if (v !== v) {
            best = NaN;
            bi = c;
            break;
          } // NaN propagates, as in PyTorch
          if (isMax ? v > best : v < best) {
            best = v;
            bi = c;
          }
        }
        out[r] = isArg ? bi : best;
      }
    }
    return this.wrap(out, isArg ? 'int32' : x.dtype);
  }
  reduceAxis(op: ReduceOp, x: View, outer: number, size: number, inner: number): Storage {
    this.dispatches++;
    const src = dense(x);
    const isArg = op === 'argmax' || op === 'argmin';
    const out = make(outer * inner, isArg ? 'int32' : x.dtype);
    const isMax = op === 'max' || op === 'argmax';
    for (let o = 0; o < outer; o++) {
      const base = o * size * inner;
      for (let i = 0; i < inner; i++) {
        if (op === 'sum') {
          let s = 0;
          for (let k = 0; k < size; k++) s += src[base + k * inner + i];
          out[o * inner + i] = s;
          continue;
        }
        let best = isMax ? -Infinity : Infinity,
          bi = 0;
        for (let k = 0; k < size; k++) {
          const v = src[base + k * inner + i];
          if (v !== v) {
            best = NaN;
            bi = k;
            break;
          } // NaN propagates, as in PyTorch
          if (isMax ? v > best : v < best) {
            best = v;
            bi = k;
          }
        }
        out[o * inner + i] = isArg ? bi : best;
      }
    }
    return this.wrap(out, isArg ? 'int32' : x.dtype);
  }
  matmul(a: View, b: View, args: MatmulArgs): Storage {
    this.dispatches++;
    // operands arrive as stored (a transposed operand is a strided view): index the storage
    return this.wrap(
      matmulHost(
        data(a) as Float32Array,
        a.offset,
        data(b) as Float32Array,
        b.offset,
        args,
        args.bias ? (dense(args.bias) as Float32Array) : null,
      ),
      'float32',
    );
  }
  indexSelect(x: View, index: View, outer: number, size: number, inner: number): Storage {
    return indexOps.indexSelect(this, x, index, outer, size, inner);
  }
  indexAdd(src: View, index: View, outer: number, size: number, inner: number): Storage {
    return indexOps.indexAdd(this, src, index, outer, size, inner);
  }
  gather(x: View, index: View, outer: number, size: number, k: number, inner: number): Storage {
    return indexOps.gather(this, x, index, outer, size, k, inner);
  }
  scatterAdd(src: View, index: View, outer: number, size: number, k: number, inner: number): Storage {
    return indexOps.scatterAdd(this, src, index, outer, size, k, inner);
  }
  // im2col + GEMM, in conv.ts
  conv2d(x: View, w: View, bias: View | null, a: Conv2dArgs): Storage {
    this.dispatches++;
    return this.wrap(
      conv2dForward(dense(x) as Float32Array, dense(w) as Float32Array, bias ? (dense(bias) as Float32Array) : null, a),
      'float32',
    );
  }
  conv2dBackwardInput(gy: View, w: View, a: Conv2dArgs): Storage {
    this.dispatches++;
    return this.wrap(conv2dBackwardInput(dense(gy) as Float32Array, dense(w) as Float32Array, a), 'float32');
  }
  conv2dBackwardWeight(gy: View, x: View, a: Conv2dArgs): Storage {
    this.dispatches++;
    return this.wrap(conv2dBackwardWeight(dense(gy) as Float32Array, dense(x) as Float32Array, a), 'float32');
  }
  maxPool2d(x: View, a: Pool2dArgs): [Storage, Storage] {
    return poolOps.maxPool2d(this, x, a);
  }
  avgPool2d(x: View, a: Pool2dArgs): Storage {
    return poolOps.avgPool2d(this, x, a);
  }
  avgPool2dBackward(gy: View, a: Pool2dArgs): Storage {
    return poolOps.avgPool2dBackward(this, gy, a);
  }
  // batch norm, in norm.ts
  batchNormStats(x: View, a: NormArgs, running: RunningStats | null): Storage {
    this.dispatches++;
    const r = running && {
      mean: dense(running.mean) as Float32Array,
      var: dense(running.var) as Float32Array,
      momentum: running.momentum,
    };
    return this.wrap(bnStats(dense(x) as Float32Array, a, r), 'float32');
  }
  batchNormForward(
    x: View,
    mean: View,
    var_: View,
    weight: View | null,
    bias: View | null,
    a: NormArgs,
    epilogue: NormEpilogue = {},
  ): Storage {
    this.dispatches++;
    const f = (v: View | null | undefined) => (v ? (dense(v) as Float32Array) : null);
    return this.wrap(
      bnForward(f(x)!, f(mean)!, f(var_)!, f(weight), f(bias), a, f(epilogue.residual), !!epilogue.relu),
      'float32',
    );
  }
  batchNormBackwardSums(g: View, x: View, mean: View, var_: View, a: NormArgs): Storage {
    this.dispatches++;
    const f = (v: View) => dense(v) as Float32Array;
    return this.wrap(bnBackwardSums(f(g), f(x), f(mean), f(var_), a), 'float32');
  }
  batchNormBackwardInput(
    g: View,
    x: View | null,
    mean: View | null,
    var_: View,
    weight: View | null,
    sums: View | null,
    a: NormArgs,
  ): Storage {
    this.dispatches++;
    const f = (v: View | null) => (v ? (dense(v) as Float32Array) : null);
    return this.wrap(bnBackwardInput(f(g)!, f(x), f(mean), f(var_)!, f(weight), f(sums), a), 'float32');
  }
  // softmax cross-entropy, in loss.ts
  crossEntropyForward(x: View, target: View, rows: number, c: number, ignoreIndex: number, check: ValueCheck): Storage {
    this.checkValues(target, check);
    this.dispatches++;
    return this.wrap(ceForward(dense(x) as Float32Array, dense(target) as Int32Array, rows, c, ignoreIndex), 'float32');
  }
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
  ): Storage {
    this.dispatches++;
    const G = data(g).subarray(g.offset) as Float32Array;
    const s = divisor ? data(divisor)[divisor.offset] : 1;
    return this.wrap(
      ceBackward(
        dense(x) as Float32Array,
        dense(target) as Int32Array,
        dense(lse) as Float32Array,
        G,
        gStride,
        s,
        rows,
        c,
        ignoreIndex,
      ),
      'float32',
    );
  }
  sgdStep(param: View, grad: View, buf: View | null, a: SgdArgs): void {
    return optimSteps.sgdStep(this, param, grad, buf, a);
  }
  adamStep(param: View, grad: View, m: View, v: View, vmax: View | null, a: AdamArgs): void {
    return optimSteps.adamStep(this, param, grad, m, v, vmax, a);
  }
  rmspropStep(param: View, grad: View, sq: View, buf: View | null, gavg: View | null, a: RmspropArgs): void {
    return optimSteps.rmspropStep(this, param, grad, sq, buf, gavg, a);
  }
  checkValues(x: View, check: ValueCheck): void {
    const X = dense(x);
    for (let i = 0; i < X.length; i++) {
      const v = X[i];
      // written so that NaN fails, as on webgpu
      if (!(v >= check.lo && v <= check.hi) && v !== check.except) throw check.error(v, i);
    }
  }
  flush(): void {}
  memory() {
    return { pooledBytes: 0 };
  }
}
