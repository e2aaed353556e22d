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
import { accumulateSource, IDX_WG, INDEX_PARAMS, NAN_BITS, pickSource } from './indexing.js';
import { CHECK_FLOAT_PARAMS, CHECK_INT_PARAMS, CHECK_WG, checkValuesSource, orderedKey } from './error-flag.js';
import { encodeMatmul } from './matmul/index.js';
import { defaultMatmulChoice, prepareMatmulChoice, sizeClass, type MatmulChoice } from './autotune.js';
import {
  applyGroups,
  applyLayout,
  BN_BACKWARD_INPUT_PARAMS,
  BN_FORWARD_PARAMS,
  BN_STATS_PARAMS,
  BN_SUMS_PARAMS,
  bnBackwardInputSource,
  bnForwardSource,
  bnStatsSource,
  bnSumsSource,
  epilogueKey,
  innerLanes,
  normOptions,
  statsVec,
} from './norm.js';
import {
  CE_BACKWARD_PARAMS,
  CE_FORWARD_PARAMS,
  crossEntropyBackwardSource,
  crossEntropyForwardSource,
  LOSS_WG,
} from './loss.js';
import { ADAM_PARAMS, adamSource, OPT_WG, RMSPROP_PARAMS, rmspropSource, SGD_PARAMS, sgdSource } from './optim.js';
import { avgPoolBackwardSource, avgPoolSource, maxPoolSource, POOL_PARAMS, POOL_WG } from './pool.js';
import { RED_WG, REDUCE_AXIS_PARAMS, REDUCE_PARAMS, reduceAxisSource, reduceSource } from './reduce.js';
import type { Runtime } from './runtime.js';
import { grid1d } from './wgsl.js';

const buf = (v: View | Storage): GPUBuffer => ('storage' in v ? v.storage.handle : v.handle) as GPUBuffer;
const _dense = (v: View) => isContiguous(v.shape, v.strides);
const dt = (d: DType) => (d === 'float32' ? 'f' : d === 'int32' ? 'i' : 'b');
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
    const key = `ew:${name}:${inputs.map((v) => dt(v.dtype)).join('')}>${dt(out.dtype)}:${layoutKey(plan.layout)}${intDiv ? ':idiv' : ''}`;
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
      `reduce:${op}:${dt(x.dtype)}:${perRow}`,
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
      `reduce_axis:${op}:${dt(x.dtype)}`,
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
  private pick(
    mode: 'select' | 'gather',
    x: View,
    index: View,
    outer: number,
    size: number,
    k: number,
    inner: number,
  ): Storage {
    const total = outer * k * inner;
    const out = this.alloc(total, x.dtype);
    if (total === 0) return out;
    this.rt.dispatch(
      `pick:${mode}:${dt(x.dtype)}`,
      () => pickSource(mode, x.dtype),
      [buf(x), buf(index), out.handle as GPUBuffer],
      (u, f, i) =>
        INDEX_PARAMS.write(u, f, i, {
          total,
          outer,
          size,
          k,
          inner,
          offData: x.offset,
          offIndex: index.offset,
          missing: x.dtype === 'float32' ? NAN_BITS : 0,
        }),
      grid1d(total, IDX_WG),
    );
    return out;
  }
  private accumulate(
    mode: 'select' | 'gather',
    src: View,
    index: View,
    outer: number,
    size: number,
    k: number,
    inner: number,
  ): Storage {
    const out = this.alloc(outer * size * inner, 'float32');
    this.fill({ storage: out, shape: [out.length], strides: [1], offset: 0, dtype: 'float32' }, 0);
    const total = outer * k * inner;
    if (total === 0) return out;
    this.rt.dispatch(
      `accumulate:${mode}`,
      () => accumulateSource(mode),
      [buf(src), buf(index), out.handle as GPUBuffer],
      (u, f, i) =>
        INDEX_PARAMS.write(u, f, i, {
          total,
          outer,
          size,
          k,
          inner,
          offData: src.offset,
          offIndex: index.offset,
          missing: 0,
        }),
      grid1d(total, IDX_WG),
    );
    return out;
  }
  indexSelect(x: View, index: View, outer: number, size: number, inner: number): Storage {
    return this.pick('select', x, index, outer, size, numel(index.shape), inner);
  }
  indexAdd(src: View, index: View, outer: number, size: number, inner: number): Storage {
    return this.accumulate('select', src, index, outer, size, numel(index.shape), inner);
  }
  gather(x: View, index: View, outer: number, size: number, k: number, inner: number): Storage {
    return this.pick('gather', x, index, outer, size, k, inner);
  }
  scatterAdd(src: View, index: View, outer: number, size: number, k: number, inner: number): Storage {
    return this.accumulate('gather', src, index, outer, size, k, inner);
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
  private poolParams(total: number, a: Pool2dArgs, offX: number) {
    return (u: Uint32Array, f: Float32Array, i: Int32Array) =>
      POOL_PARAMS.write(u, f, i, {
        total,
        h: a.h,
        w: a.w,
        oh: a.oh,
        ow: a.ow,
        kh: a.kh,
        kw: a.kw,
        sh: a.strideH,
        sw: a.strideW,
        ph: a.padH,
        pw: a.padW,
        dh: a.dilH,
        dw: a.dilW,
        countIncludePad: !!a.countIncludePad,
        divisorOverride: a.divisor ?? 0,
        offX,
      });
  }
  maxPool2d(x: View, a: Pool2dArgs): [Storage, Storage] {
    const total = a.n * a.c * a.oh * a.ow;
    const out = this.alloc(total, 'float32'),
      idx = this.alloc(total, 'int32');
    if (total)
      this.rt.dispatch(
        'maxpool2d',
        maxPoolSource,
        [buf(x), out.handle as GPUBuffer, idx.handle as GPUBuffer],
        this.poolParams(total, a, x.offset),
        grid1d(total, POOL_WG),
      );
    return [out, idx];
  }
  avgPool2d(x: View, a: Pool2dArgs): Storage {
    const total = a.n * a.c * a.oh * a.ow;
    const out = this.alloc(total, 'float32');
    if (total)
      this.rt.dispatch(
        'avgpool2d',
        avgPoolSource,
        [buf(x), out.handle as GPUBuffer],
        this.poolParams(total, a, x.offset),
        grid1d(total, POOL_WG),
      );
    return out;
  }
  avgPool2dBackward(gy: View, a: Pool2dArgs): Storage {
    const total = a.n * a.c * a.h * a.w;
    const out = this.alloc(total, 'float32');
    if (total)
      this.rt.dispatch(
        'avgpool2d_bw',
        avgPoolBackwardSource,
        [buf(gy), out.handle as GPUBuffer],
        this.poolParams(total, a, gy.offset),
        grid1d(total, POOL_WG),
      );
    return out;
  }
  // batch norm: WGSL in norm.ts
  batchNormStats(x: View, a: NormArgs, running: RunningStats | null): Storage {
    const out = this.alloc(2 * a.c, 'float32');
    if (!a.c) return out;
    const buffers = [buf(x), out.handle as GPUBuffer, ...(running ? [buf(running.mean), buf(running.var)] : [])];
    const vec = statsVec(a.inner, [x.offset]);
    const o = normOptions;
    this.rt.dispatch(
      `bn_stats:${running ? 'run' : ''}:v${vec}:${o.wg}${o.serial ? 's' : 't'}`,
      () => bnStatsSource(!!running, vec),
      buffers,
      (u, f, i) =>
        BN_STATS_PARAMS.write(u, f, i, {
          outer: a.outer,
          c: a.c,
          inner: a.inner,
          offX: x.offset,
          lanes: innerLanes(a.inner / vec),
          momentum: running ? running.momentum : 0,
          offRM: running ? running.mean.offset : 0,
          offRV: running ? running.var.offset : 0,
        }),
      [a.c, 1, 1],
    );
    return out;
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
    const total = a.outer * a.c * a.inner;
    const out = this.alloc(total, 'float32');
    if (!total) return out;
    const res = epilogue.residual ?? null;
    const ep = { residual: !!res, relu: !!epilogue.relu };
    const l = applyLayout(a.outer, a.c, a.inner, x.offset % 4 === 0 && (!res || res.offset % 4 === 0));
    const key = `bn_fwd:${l.kind === 'flat' ? 'flat' : `planes${l.vec}`}${epilogueKey(ep)}`;
    // an absent weight or bias is flagged; its binding holds the (read-only) input
    const buffers = [
      buf(x),
      buf(mean),
      buf(var_),
      buf(weight ?? x),
      buf(bias ?? x),
      ...(res ? [buf(res)] : []),
      out.handle as GPUBuffer,
    ];
    this.rt.dispatch(
      key,
      () => bnForwardSource(l, ep),
      buffers,
      (u, f, i) =>
        BN_FORWARD_PARAMS.write(u, f, i, {
          outer: a.outer,
          c: a.c,
          inner: a.inner,
          offX: x.offset,
          offMean: mean.offset,
          offVar: var_.offset,
          offW: weight ? weight.offset : 0,
          offB: bias ? bias.offset : 0,
          eps: a.eps,
          hasW: !!weight,
          hasB: !!bias,
          offR: res ? res.offset : 0,
        }),
      applyGroups(l, a.outer, a.c, a.inner),
    );
    return out;
  }
  batchNormBackwardSums(g: View, x: View, mean: View, var_: View, a: NormArgs): Storage {
    const out = this.alloc(2 * a.c, 'float32');
    if (!a.c) return out;
    const vec = statsVec(a.inner, [g.offset, x.offset]);
    const o = normOptions;
    this.rt.dispatch(
      `bn_sums:v${vec}:${o.wg}${o.serial ? 's' : 't'}`,
      () => bnSumsSource(vec),
      [buf(g), buf(x), buf(mean), buf(var_), out.handle as GPUBuffer],
      (u, f, i) =>
        BN_SUMS_PARAMS.write(u, f, i, {
          outer: a.outer,
          c: a.c,
          inner: a.inner,
          offG: g.offset,
          lanes: innerLanes(a.inner / vec),
          eps: a.eps,
          offX: x.offset,
          offMean: mean.offset,
          offVar: var_.offset,
        }),
      [a.c, 1, 1],
    );
    return out;
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
    const total = a.outer * a.c * a.inner;
    const out = this.alloc(total, 'float32');
    if (!total) return out;
    const batch = !!(sums && x && mean);
    const l = applyLayout(a.outer, a.c, a.inner, g.offset % 4 === 0 && (!batch || x!.offset % 4 === 0));
    const key = `bn_bwd:${batch ? 'batch' : 'fixed'}:${l.kind === 'flat' ? 'flat' : `planes${l.vec}`}`;
    const w = buf(weight ?? var_);
    const buffers = batch
      ? [buf(g), buf(x!), buf(mean!), buf(var_), w, buf(sums!), out.handle as GPUBuffer]
      : [buf(g), buf(var_), w, out.handle as GPUBuffer];
    this.rt.dispatch(
      key,
      () => bnBackwardInputSource(l, batch),
      buffers,
      (u, f, i) =>
        BN_BACKWARD_INPUT_PARAMS.write(u, f, i, {
          outer: a.outer,
          c: a.c,
          inner: a.inner,
          offG: g.offset,
          offX: x ? x.offset : 0,
          offMean: mean ? mean.offset : 0,
          offVar: var_.offset,
          offW: weight ? weight.offset : 0,
          offSums: sums ? sums.offset : 0,
          eps: a.eps,
          hasW: !!weight,
        }),
      applyGroups(l, a.outer, a.c, a.inner),
    );
    return out;
  }
  // softmax cross-entropy: WGSL in loss.ts
  crossEntropyForward(x: View, target: View, rows: number, c: number, ignoreIndex: number, check: ValueCheck): Storage {
    const out = this.alloc(3 * rows, 'float32');
    if (rows) {
      const flag = this.rt.errorFlag,
        site = flag.site(check, false);
      this.rt.dispatch(
        'ce_fwd',
        crossEntropyForwardSource,
        [buf(x), buf(target), out.handle as GPUBuffer, flag.buffer],
        (u, f, i) =>
          CE_FORWARD_PARAMS.write(u, f, i, {
            rows,
            c,
            offX: x.offset,
            offT: target.offset,
            ignoreIndex,
            nan: NaN,
            site,
          }),
        grid1d(rows, LOSS_WG),
      );
    }
    return out;
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
    const out = this.alloc(rows * c, 'float32');
    if (rows * c) {
      this.rt.dispatch(
        'ce_bwd',
        crossEntropyBackwardSource,
        [buf(x), buf(target), buf(lse), buf(g), buf(divisor ?? g), out.handle as GPUBuffer],
        (u, f, i) =>
          CE_BACKWARD_PARAMS.write(u, f, i, {
            rows,
            c,
            offX: x.offset,
            offT: target.offset,
            ignoreIndex,
            offLse: lse.offset,
            offG: g.offset,
            gStride,
            offD: divisor ? divisor.offset : 0,
            divided: !!divisor,
          }),
        grid1d(rows * c, LOSS_WG),
      );
    }
    return out;
  }
  /** the optimizer kernels take four elements per invocation when every state starts at element 0 */
  private optVec(n: number, views: (View | null)[]): boolean {
    return n % 4 === 0 && views.every((v) => !v || v.offset === 0);
  }
  sgdStep(param: View, grad: View, b: View | null, a: SgdArgs): void {
    const n = numel(param.shape);
    const vec = this.optVec(n, [param, grad, b]);
    const buffers = b ? [buf(param), buf(grad), buf(b)] : [buf(param), buf(grad)];
    this.rt.dispatch(
      `sgd:${b ? 'm' : ''}${vec ? ':v4' : ''}`,
      () => sgdSource(!!b, vec),
      buffers,
      (u, f, i) =>
        SGD_PARAMS.write(u, f, i, {
          n: vec ? n / 4 : n,
          lr: a.lr,
          momentum: a.momentum,
          dampening: a.dampening,
          weightDecay: a.weightDecay,
          nesterov: a.nesterov,
          maximize: a.maximize,
          firstStep: a.firstStep,
        }),
      grid1d(vec ? n / 4 : n, OPT_WG),
    );
  }
  adamStep(param: View, grad: View, m: View, v: View, vmax: View | null, a: AdamArgs): void {
    const n = numel(param.shape);
    const vec = this.optVec(n, [param, grad, m, v, vmax]);
    const buffers = [buf(param), buf(grad), buf(m), buf(v), ...(vmax ? [buf(vmax)] : [])];
    this.rt.dispatch(
      `adam:${vmax ? 'ams' : ''}${vec ? ':v4' : ''}`,
      () => adamSource(!!vmax, vec),
      buffers,
      (u, f, i) =>
        ADAM_PARAMS.write(u, f, i, {
          n: vec ? n / 4 : n,
          lr: a.lr,
          beta1: a.beta1,
          beta2: a.beta2,
          eps: a.eps,
          weightDecay: a.weightDecay,
          decoupled: a.decoupled,
          maximize: a.maximize,
          bc1: a.bc1,
          bc2: a.bc2,
        }),
      grid1d(vec ? n / 4 : n, OPT_WG),
    );
  }
  rmspropStep(param: View, grad: View, sq: View, b: View | null, gavg: View | null, a: RmspropArgs): void {
    const n = numel(param.shape);
    const vec = this.optVec(n, [param, grad, sq, b, gavg]);
    const buffers = [buf(param), buf(grad), buf(sq), ...(b ? [buf(b)] : []), ...(gavg ? [buf(gavg)] : [])];
    this.rt.dispatch(
      `rmsprop:${b ? 'm' : ''}${gavg ? 'c' : ''}${vec ? ':v4' : ''}`,
      () => rmspropSource(!!b, !!gavg, vec),
      buffers,
      (u, f, i) =>
        RMSPROP_PARAMS.write(u, f, i, {
          n: vec ? n / 4 : n,
          lr: a.lr,
          alpha: a.alpha,
          eps: a.eps,
          weightDecay: a.weightDecay,
          momentum: a.momentum,
          maximize: a.maximize,
        }),
      grid1d(vec ? n / 4 : n, OPT_WG),
    );
  }
  checkValues(x: View, check: ValueCheck): void {
    const n = numel(x.shape);
    if (!n) return;
    const float = x.dtype === 'float32';
    const flag = this.rt.errorFlag;
    const site = flag.site(check, float);
    this.rt.dispatch(
      `check:${float ? 'f' : 'i'}`,
      () => checkValuesSource(float),
      [buf(x), flag.buffer],
      (u, f, i) => {
        const hasAllowed = check.except !== undefined,
          e = check.except ?? 0;
        if (float) {
          const allowed = hasAllowed ? new Uint32Array(new Float32Array([e === 0 ? 0 : e]).buffer)[0] : 0;
          CHECK_FLOAT_PARAMS.write(u, f, i, {
            n,
            offset: x.offset,
            lo: orderedKey(check.lo),
            hi: orderedKey(check.hi),
            allowed,
            hasAllowed,
            site,
          });
        } else {
          CHECK_INT_PARAMS.write(u, f, i, {
            n,
            offset: x.offset,
            lo: check.lo,
            hi: check.hi,
            allowed: e,
            hasAllowed,
            site,
          });
        }
      },
      grid1d(n, CHECK_WG),
    );
  }
  flush(): void {
    this.rt.flush();
  }
  memory() {
    return { pooledBytes: this.rt.pooledBytes };
  }
}
