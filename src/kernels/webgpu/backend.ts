// The WebGPU device: implements `Backend` by recording WGSL dispatches on the runtime.
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
import { isContiguous, numel } from '../cpu/strided.js';
import { fmtShape, ShapeError } from '../../errors.js';
import { convBackwardInput, convBackwardWeight, convForward } from './conv.js';
import {
  binaryExpr,
  elementwiseSource,
  EW_PARAMS,
  ewGroups,
  layoutKey,
  MAX_DIMS,
  planElementwise,
  unaryExpr,
} from './elementwise.js';
import { encodeMatmul } from './matmul/index.js';
import { defaultMatmulChoice, prepareMatmulChoice, sizeClass, type MatmulChoice } from './autotune.js';
import { RED_WG, REDUCE_AXIS_PARAMS, REDUCE_PARAMS, reduceAxisSource, reduceSource } from './reduce.js';
import * as poolLaunch from './pool-launch.js';
import * as normLaunch from './norm-launch.js';
import * as optimLaunch from './optim-launch.js';
import { buf, dtypeKey } from './launch.js';
import * as indexLaunch from './index-launch.js';
import * as lossLaunch from './loss-launch.js';
import type { Runtime } from './runtime.js';
import { grid1d } from './wgsl.js';

const _dense = (v: View) => isContiguous(v.shape, v.strides);
/** an absent operand's strides */
const NONE: number[] = [];

export class WebGPUBackend implements Backend {
  readonly device = 'webgpu' as const;
  /** the matmul kernel per size class and the tile fallback: the adapter's default until
   *  `prepareMatmul` loads (or tunes) this adapter's choice */
  matmulChoice: MatmulChoice;
  constructor(readonly rt: Runtime) {
    this.matmulChoice = defaultMatmulChoice(rt.info);
  }
  /** The cached tuned matmul choice, or tune now (see autotune.ts; FINETORCH_AUTOTUNE=0: defaults). */
  async prepareMatmul(): Promise<void> {
    this.matmulChoice = await prepareMatmulChoice(this.rt);
  }

  get dispatches() {
    return this.rt.dispatches;
  }
  set dispatches(v: number) {
    this.rt.dispatches = v;
  }

  private wrap(handle: GPUBuffer, length: number, dtype: DType): Storage {
    return { device: 'webgpu', dtype, length, refs: 0, released: false, handle };
  }
  alloc(length: number, dtype: DType): Storage {
    return this.wrap(this.rt.createBuffer(length * 4), length, dtype);
  }
  release(s: Storage): void {
    if (s.released) return;
    s.released = true;
    this.rt.releaseBuffer(s.handle as GPUBuffer);
  }
  upload(data: HostArray, dtype: DType): Storage {
    const s = this.alloc(data.length, dtype);
    const host =
      dtype === 'float32'
        ? data instanceof Float32Array
          ? data
          : Float32Array.from(data)
        : data instanceof Int32Array
          ? data
          : Int32Array.from(data);
    this.rt.upload(s.handle as GPUBuffer, host);
    return s;
  }
  async read(s: Storage, offset: number, length: number): Promise<HostArray> {
    const bytes = await this.rt.read(s.handle as GPUBuffer, offset * 4, length * 4);
    return s.dtype === 'float32' ? new Float32Array(bytes) : new Int32Array(bytes);
  }

  /** one elementwise dispatch over `shape`: inputs are views, output a view (usually fresh); layouts in elementwise.ts */
  private ew(name: string, expr: string, inputs: View[], out: View, p0 = 0, p1 = 0, intDiv = false) {
    const shape = out.shape;
    if (shape.length > MAX_DIMS)
      throw new ShapeError(
        `webgpu: ${name} supports at most ${MAX_DIMS} dims, got ${fmtShape(shape)} (${shape.length} dims; the cpu device has no limit)`,
      );
    const n = numel(shape);
    if (n === 0) return;
    const plan = planElementwise(shape, [...inputs, out]);
    const key = `ew:${name}:${inputs.map((v) => dtypeKey(v.dtype)).join('')}>${dtypeKey(out.dtype)}:${layoutKey(plan.layout)}${intDiv ? ':idiv' : ''}`;
    const buffers = [...inputs.map(buf), buf(out)];
    const k = inputs.length;
    this.rt.dispatch(
      key,
      () =>
        elementwiseSource(
          expr,
          inputs.map((v) => v.dtype),
          out.dtype,
          plan.layout,
          intDiv,
        ),
      buffers,
      (u, f, i) =>
        EW_PARAMS.write(u, f, i, {
          n: plan.layout.kind === 'vec4' ? n / 4 : n,
          rank: plan.shape.length,
          offA: k > 0 ? inputs[0].offset : 0,
          offB: k > 1 ? inputs[1].offset : 0,
          offC: k > 2 ? inputs[2].offset : 0,
          offO: out.offset,
          p0,
          p1,
          shape: plan.shape,
          stridesA: k > 0 ? plan.strides[0] : NONE,
          stridesB: k > 1 ? plan.strides[1] : NONE,
          stridesC: k > 2 ? plan.strides[2] : NONE,
          stridesO: plan.strides[k],
        }),
      ewGroups(plan),
    );
  }
  private fresh(shape: readonly number[], dtype: DType): [Storage, View] {
    const s = this.alloc(numel(shape), dtype);
    const strides: number[] = [];
    let acc = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      strides[i] = acc;
      acc *= shape[i];
    }
    return [s, { storage: s, shape, strides, offset: 0, dtype }];
  }

  copy(src: View, dst: View): void {
    if (buf(src) === buf(dst)) {
      // a kernel may not read and write one buffer through two bindings: stage through a copy
      const [tmp, tv] = this.fresh(src.shape, src.dtype);
      this.ew('copy', 'a', [src], tv);
      this.ew('copy', 'a', [tv], dst);
      this.release(tmp);
      return;
    }
    this.ew('copy', 'a', [src], dst);
  }
  fill(dst: View, value: number): void {
    this.ew('fill', 'p0', [], dst, value);
  }
  unary(op: UnaryOp, x: View, outDtype: DType, p0 = 0, p1 = 0): Storage {
    const [s, v] = this.fresh(x.shape, outDtype);
    // float → int truncates; float → bool tests nonzero (0.5 and NaN are true), in storeAs
    const expr = op === 'cast' && outDtype === 'int32' && x.dtype === 'float32' ? 'trunc(a)' : unaryExpr(op);
    if (!expr) throw new Error(`webgpu: unknown unary op ${op}`);
    this.ew(op, expr, [x], v, p0, p1);
    return s;
  }
  binary(op: BinaryOp, a: View, b: View, shape: readonly number[], outDtype: DType): Storage {
    const [s, v] = this.fresh(shape, outDtype);
    const expr = binaryExpr(op);
    if (!expr) throw new Error(`webgpu: unknown binary op ${op}`);
    this.ew(op, expr, [a, b], v, 0, 0, op === 'div' && a.dtype !== 'float32' && b.dtype !== 'float32');
    return s;
  }
  where(c: View, a: View, b: View, shape: readonly number[], outDtype: DType): Storage {
    const [s, v] = this.fresh(shape, outDtype);
    this.ew('where', 'select(c, b, a != 0.0)', [c, a, b], v);
    return s;
  }
  reduce(op: ReduceOp, x: View, rows: number, cols: number): Storage {
    const isArg = op === 'argmax' || op === 'argmin';
    const out = this.alloc(rows, isArg ? 'int32' : x.dtype);
    if (rows === 0) return out;
    const perRow = rows >= 256 || cols <= 32 ? 'thread' : 'workgroup';
    const groups = perRow === 'thread' ? grid1d(rows, RED_WG) : grid1d(rows, 1);
    this.rt.dispatch(
      `reduce:${op}:${dtypeKey(x.dtype)}:${perRow}`,
      () => reduceSource(op, x.dtype, perRow),
      [buf(x), out.handle as GPUBuffer],
      (u, f, i) => REDUCE_PARAMS.write(u, f, i, { rows, cols, offset: x.offset }),
      groups,
    );
    return out;
  }
  reduceAxis(op: ReduceOp, x: View, outer: number, size: number, inner: number): Storage {
    const isArg = op === 'argmax' || op === 'argmin';
    const n = outer * inner;
    const out = this.alloc(n, isArg ? 'int32' : x.dtype);
    if (n === 0) return out;
    this.rt.dispatch(
      `reduce_axis:${op}:${dtypeKey(x.dtype)}`,
      () => reduceAxisSource(op, x.dtype),
      [buf(x), out.handle as GPUBuffer],
      (u, f, i) => REDUCE_AXIS_PARAMS.write(u, f, i, { total: n, size, offset: x.offset, inner }),
      grid1d(n, RED_WG),
    );
    return out;
  }
  matmul(a: View, b: View, g: MatmulArgs): Storage {
    const out = this.alloc(g.batch * g.m * g.n, 'float32');
    const ch = this.matmulChoice;
    encodeMatmul(this.rt, a, b, g, out.handle as GPUBuffer, ch.config[sizeClass(g)], ch.tile);
    return out;
  }
  indexSelect(x: View, index: View, outer: number, size: number, inner: number): Storage {
    return indexLaunch.indexSelect(this, x, index, outer, size, inner);
  }
  indexAdd(src: View, index: View, outer: number, size: number, inner: number): Storage {
    return indexLaunch.indexAdd(this, src, index, outer, size, inner);
  }
  gather(x: View, index: View, outer: number, size: number, k: number, inner: number): Storage {
    return indexLaunch.gather(this, x, index, outer, size, k, inner);
  }
  scatterAdd(src: View, index: View, outer: number, size: number, k: number, inner: number): Storage {
    return indexLaunch.scatterAdd(this, src, index, outer, size, k, inner);
  }
  // the planning (padded copies, tiled kernels, 1×1 convolutions as matmuls, fallbacks) lives in conv.ts
  private readonly convMatmul = (a: View, b: View, g: MatmulArgs) => this.matmul(a, b, g).handle as GPUBuffer;
  conv2d(x: View, w: View, bias: View | null, g: Conv2dArgs): Storage {
    return this.wrap(convForward(this.rt, x, w, bias, g, this.convMatmul), g.n * g.cOut * g.oh * g.ow, 'float32');
  }
  conv2dBackwardInput(gy: View, w: View, g: Conv2dArgs): Storage {
    return this.wrap(convBackwardInput(this.rt, gy, w, g, this.convMatmul), g.n * g.cIn * g.h * g.w, 'float32');
  }
  conv2dBackwardWeight(gy: View, x: View, g: Conv2dArgs): Storage {
    return this.wrap(
      convBackwardWeight(this.rt, gy, x, g, this.convMatmul),
      g.cOut * (g.cIn / g.groups) * g.kh * g.kw,
      'float32',
    );
  }
  maxPool2d(x: View, a: Pool2dArgs): [Storage, Storage] {
    return poolLaunch.maxPool2d(this, x, a);
  }
  avgPool2d(x: View, a: Pool2dArgs): Storage {
    return poolLaunch.avgPool2d(this, x, a);
  }
  avgPool2dBackward(gy: View, a: Pool2dArgs): Storage {
    return poolLaunch.avgPool2dBackward(this, gy, a);
  }
  batchNormStats(x: View, a: NormArgs, running: RunningStats | null): Storage {
    return normLaunch.batchNormStats(this, x, a, running);
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
    return normLaunch.batchNormForward(this, x, mean, var_, weight, bias, a, epilogue);
  }
  batchNormBackwardSums(g: View, x: View, mean: View, var_: View, a: NormArgs): Storage {
    return normLaunch.batchNormBackwardSums(this, g, x, mean, var_, a);
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
    return normLaunch.batchNormBackwardInput(this, g, x, mean, var_, weight, sums, a);
  }
  crossEntropyForward(x: View, target: View, rows: number, c: number, ignoreIndex: number, check: ValueCheck): Storage {
    return lossLaunch.crossEntropyForward(this, x, target, rows, c, ignoreIndex, check);
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
    return lossLaunch.crossEntropyBackward(this, x, target, lse, g, gStride, divisor, rows, c, ignoreIndex);
  }
  /** the optimizer kernels take four elements per invocation when every state starts at element 0 */
  sgdStep(param: View, grad: View, b: View | null, a: SgdArgs): void {
    return optimLaunch.sgdStep(this, param, grad, b, a);
  }
  adamStep(param: View, grad: View, m: View, v: View, vmax: View | null, a: AdamArgs): void {
    return optimLaunch.adamStep(this, param, grad, m, v, vmax, a);
  }
  rmspropStep(param: View, grad: View, sq: View, b: View | null, gavg: View | null, a: RmspropArgs): void {
    return optimLaunch.rmspropStep(this, param, grad, sq, b, gavg, a);
  }
  checkValues(x: View, check: ValueCheck): void {
    return lossLaunch.checkValues(this, x, check);
  }
  flush(): void {
    this.rt.flush();
  }
  memory() {
    return { pooledBytes: this.rt.pooledBytes };
  }
}
