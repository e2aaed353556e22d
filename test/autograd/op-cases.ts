// The op table and case runner shared by the PyTorch-fixture op tests (ops.test.ts: the hand-written
// families of tools/reference/ops.py; edge-sweep.test.ts: the generated sweep of edge_sweep.py). OPS
// maps a case's op name and arguments (finetorch's names, from the fixture metadata) to the call;
// runCase feeds the inputs in the layout the case asks for, compares outputs and input gradients.
import { expect } from 'vitest';
import { expectClose, onDevice, torch, type Device } from '../harness.js';

type Tensor = torch.Tensor;
export type Args = Record<string, any>; // the fixture arguments: JSON from the metadata, shaped per op
type Result = Tensor | Tensor[] | { values: Tensor; indices: Tensor };
const F = torch.nn.functional;

const scalarOr = (fn: (a: Tensor | number, b: Tensor | number) => Tensor) => (xs: Tensor[], a: Args) =>
  a.scalar === undefined ? fn(xs[0], xs[1]) : a.left ? fn(a.scalar, xs[0]) : fn(xs[0], a.scalar);
const compare = (fn: (a: Tensor, b: Tensor | number) => Tensor) => (xs: Tensor[], a: Args) =>
  fn(xs[0], a.scalar ?? xs[1]);
const red = (o: Args) => ({ keepdim: o.keepdim });
const weightArg = (xs: Tensor[], a: Args) => (a.weight ? xs[2] : undefined);

export const OPS: Record<string, (xs: Tensor[], a: Args) => Result> = {
  // elementwise
  add: (xs, a) => (a.scalar !== undefined ? torch.add(a.scalar, xs[0]) : torch.add(xs[0], xs[1], { alpha: a.alpha })),
  sub: (xs, a) =>
    a.scalar !== undefined
      ? a.left
        ? torch.sub(a.scalar, xs[0])
        : xs[0].sub(a.scalar)
      : torch.sub(xs[0], xs[1], { alpha: a.alpha }),
  mul: scalarOr(torch.mul),
  div: scalarOr(torch.div),
  pow: scalarOr(torch.pow),
  maximum: (xs) => torch.maximum(xs[0], xs[1]),
  minimum: (xs) => xs[0].minimum(xs[1]),
  neg: (xs) => torch.neg(xs[0]),
  exp: (xs) => torch.exp(xs[0]),
  log: (xs) => xs[0].log(),
  sqrt: (xs) => torch.sqrt(xs[0]),
  rsqrt: (xs) => torch.rsqrt(xs[0]),
  abs: (xs) => xs[0].abs(),
  sign: (xs) => torch.sign(xs[0]),
  reciprocal: (xs) => torch.reciprocal(xs[0]),
  sin: (xs) => torch.sin(xs[0]),
  cos: (xs) => xs[0].cos(),
  clamp: (xs, a) => torch.clamp(xs[0], { min: a.min, max: a.max }),
  where: (xs, a) => torch.where(xs[0], a.x ?? xs[1], a.y ?? xs[xs.length - 1]),
  eq: compare(torch.eq),
  ne: compare(torch.ne),
  lt: compare(torch.lt),
  le: compare(torch.le),
  gt: compare(torch.gt),
  ge: compare(torch.ge),
  // reductions
  sum: (xs, a) => torch.sum(xs[0], a.dims, red(a)),
  mean: (xs, a) => xs[0].mean(a.dims, red(a)),
  amax: (xs, a) => torch.amax(xs[0], a.dims, red(a)),
  amin: (xs, a) => torch.amin(xs[0], a.dims, red(a)),
  max: (xs, a) => (a.dim === undefined ? torch.max(xs[0]) : torch.max(xs[0], a.dim, red(a))),
  min: (xs, a) => (a.dim === undefined ? xs[0].min() : xs[0].min(a.dim, red(a))),
  argmax: (xs, a) => torch.argmax(xs[0], a.dim, red(a)),
  argmin: (xs, a) => xs[0].argmin(a.dim, red(a)),
  var: (xs, a) => torch.var(xs[0], a.dims, { keepdim: a.keepdim, unbiased: a.unbiased }),
  std: (xs, a) => xs[0].std(a.dims, { keepdim: a.keepdim, unbiased: a.unbiased }),
  logsumexp: (xs, a) => torch.logsumexp(xs[0], a.dims, red(a)),
  // linear algebra
  matmul: (xs) => torch.matmul(xs[0], xs[1]),
  linear: (xs) => F.linear(xs[0], xs[1], xs[2]),
  // shapes
  reshape: (xs, a) => xs[0].reshape(a.shape),
  view: (xs, a) => xs[0].view(a.shape),
  flatten: (xs, a) => xs[0].flatten(a.startDim, a.endDim),
  unflatten: (xs, a) => xs[0].unflatten(a.dim, a.sizes),
  squeeze: (xs, a) => xs[0].squeeze(a.dim),
  unsqueeze: (xs, a) => xs[0].unsqueeze(a.dim),
  transpose: (xs, a) => xs[0].transpose(a.d0, a.d1),
  permute: (xs, a) => xs[0].permute(a.dims),
  t: (xs) => xs[0].t(),
  expand: (xs, a) => xs[0].expand(a.shape),
  narrow: (xs, a) => xs[0].narrow(a.dim, a.start, a.length),
  select: (xs, a) => xs[0].select(a.dim, a.index),
  slice: (xs, a) => xs[0].slice(a.dim, a.start, a.end, a.step),
  indexSelect: (xs, a) => torch.indexSelect(xs[0], a.dim, xs[1]),
  gather: (xs, a) => xs[0].gather(a.dim, xs[1]),
  cat: (xs, a) => torch.cat(xs, a.dim),
  stack: (xs, a) => torch.stack(xs, a.dim),
  split: (xs, a) => xs[0].split(a.size, a.dim),
  chunk: (xs, a) => torch.chunk(xs[0], a.chunks, a.dim),
  // activations
  relu: (xs) => F.relu(xs[0]),
  leakyRelu: (xs, a) => F.leakyRelu(xs[0], a.negativeSlope),
  elu: (xs, a) => F.elu(xs[0], a.alpha),
  gelu: (xs, a) => F.gelu(xs[0], { approximate: a.approximate }),
  sigmoid: (xs) => torch.sigmoid(xs[0]),
  tanh: (xs) => xs[0].tanh(),
  silu: (xs) => F.silu(xs[0]),
  softplus: (xs, a) => F.softplus(xs[0], { beta: a.beta, threshold: a.threshold }),
  hardtanh: (xs, a) => F.hardtanh(xs[0], a.minVal, a.maxVal),
  softmax: (xs, a) => F.softmax(xs[0], a.dim),
  logSoftmax: (xs, a) => xs[0].logSoftmax(a.dim),
  // losses
  crossEntropy: (xs, a) =>
    F.crossEntropy(xs[0], xs[1], {
      weight: weightArg(xs, a),
      ignoreIndex: a.ignoreIndex,
      reduction: a.reduction,
      labelSmoothing: a.labelSmoothing,
    }),
  nllLoss: (xs, a) =>
    F.nllLoss(xs[0], xs[1], { weight: weightArg(xs, a), ignoreIndex: a.ignoreIndex, reduction: a.reduction }),
  mseLoss: (xs, a) => F.mseLoss(xs[0], xs[1], { reduction: a.reduction }),
  l1Loss: (xs, a) => F.l1Loss(xs[0], xs[1], { reduction: a.reduction }),
  smoothL1Loss: (xs, a) => F.smoothL1Loss(xs[0], xs[1], { reduction: a.reduction, beta: a.beta }),
  huberLoss: (xs, a) => F.huberLoss(xs[0], xs[1], { reduction: a.reduction, delta: a.delta }),
  binaryCrossEntropy: (xs, a) =>
    F.binaryCrossEntropy(xs[0], xs[1], { weight: weightArg(xs, a), reduction: a.reduction }),
  binaryCrossEntropyWithLogits: (xs, a) =>
    F.binaryCrossEntropyWithLogits(xs[0], xs[1], {
      weight: weightArg(xs, a),
      posWeight: a.posWeight ? xs[xs.length - 1] : undefined,
      reduction: a.reduction,
    }),
  // the rest of the public op set (network ops with small sizes; checked by the sweep)
  erf: (xs) => torch.erf(xs[0]),
  square: (xs) => xs[0].square(),
  logicalAnd: (xs) => torch.logicalAnd(xs[0], xs[1]),
  logicalOr: (xs) => torch.logicalOr(xs[0], xs[1]),
  logicalNot: (xs) => torch.logicalNot(xs[0]),
  conv2d: (xs, a) => F.conv2d(xs[0], xs[1], xs[2] ?? null, a),
  conv1d: (xs, a) => F.conv1d(xs[0], xs[1], xs[2] ?? null, a),
  maxPool2d: (xs, { kernelSize, ...a }) => F.maxPool2d(xs[0], kernelSize, a),
  maxPool1d: (xs, { kernelSize, ...a }) => F.maxPool1d(xs[0], kernelSize, a),
  avgPool2d: (xs, { kernelSize, ...a }) => F.avgPool2d(xs[0], kernelSize, a),
  avgPool1d: (xs, { kernelSize, ...a }) => F.avgPool1d(xs[0], kernelSize, a),
  adaptiveAvgPool2d: (xs, a) => F.adaptiveAvgPool2d(xs[0], a.outputSize),
  adaptiveAvgPool1d: (xs, a) => F.adaptiveAvgPool1d(xs[0], a.outputSize),
  adaptiveMaxPool2d: (xs, a) => F.adaptiveMaxPool2d(xs[0], a.outputSize),
  adaptiveMaxPool1d: (xs, a) => F.adaptiveMaxPool1d(xs[0], a.outputSize),
  batchNorm: (xs, a) =>
    F.batchNorm(xs[0], a.stats ? xs[1] : null, a.stats ? xs[2] : null, {
      training: a.training,
      eps: a.eps,
      weight: a.affine ? xs[xs.length - 2] : null,
      bias: a.affine ? xs[xs.length - 1] : null,
    }),
  layerNorm: (xs, a) => F.layerNorm(xs[0], a.normalizedShape, { weight: xs[1], bias: xs[2], eps: a.eps }),
  groupNorm: (xs, a) => F.groupNorm(xs[0], a.numGroups, { weight: xs[1], bias: xs[2], eps: a.eps }),
  embedding: (xs, a) => F.embedding(xs[0], xs[1], { paddingIdx: a.paddingIdx }),
  pad: (xs, a) => F.pad(xs[0], a.pad, { mode: a.mode, value: a.value }),
};

type Layout = 'T' | 'S' | 'E' | null;
export interface Case {
  name: string;
  op: string;
  args: Args;
  inputs: { grad: boolean; layout: Layout; shape?: number[] }[];
}

/**
 * The fixture value on `device` as the leaf that gets the gradient and the view the op sees: 'T' =
 * stored transposed, viewed back (same values, strides of a transpose); 'S' = every other element of a
 * larger buffer, at offset 1; 'E' = the value expanded to `shape` (stride 0; the leaf is the value).
 */
function input(t: Tensor, spec: Case['inputs'][number], device: Device): { leaf: Tensor; x: Tensor } {
  let leaf: Tensor;
  if (spec.layout === 'T') {
    leaf = onDevice(t.transpose(-1, -2).contiguous(), device).transpose(-1, -2).detach();
  } else if (spec.layout === 'S') {
    const last = t.shape[t.ndim - 1];
    const big = torch.full([...t.shape.slice(0, -1), 2 * last + 1], NaN, { device: 'cpu', dtype: t.dtype });
    torch.noGrad(() => big.slice(-1, 1, undefined, 2).copy_(t));
    leaf = big.to(device).slice(-1, 1, undefined, 2).detach();
  } else leaf = onDevice(t, device);
  if (spec.grad) leaf.requiresGrad = true;
  return { leaf, x: spec.layout === 'E' ? leaf.expand(spec.shape!) : leaf };
}

const asList = (r: Result): Tensor[] =>
  r instanceof torch.Tensor ? [r] : Array.isArray(r) ? r : [r.values, r.indices];

export async function runCase(
  c: Case,
  T: Record<string, Tensor>,
  device: Device,
  tol: { rtol: number; atol: number },
): Promise<void> {
  const ins = c.inputs.map((spec, k) => {
    const r = input(T[`${c.name}.in${k}`], spec, device);
    const sh = r.x.shape,
      n = sh.length;
    const strided =
      spec.layout === 'E'
        ? r.x.numel() > 1
        : spec.layout === 'T'
          ? sh[n - 1] > 1 && sh[n - 2] > 1
          : spec.layout === 'S' && sh[n - 1] > 1;
    if (strided) expect(r.x.isContiguous(), `${c.name} input ${k} should be a non-contiguous view`).toBe(false);
    return r;
  });
  const xs = ins.map((r) => r.x);
  const fn = OPS[c.op];
  expect(fn, `no OPS entry for ${c.op}`).toBeDefined();
  const outs = asList(fn(xs, c.args));
  const roots: [Tensor, Tensor][] = [];
  for (let j = 0; j < outs.length; j++) {
    const want = T[`${c.name}.out${j}`];
    expect(want, `${c.name}: op returned more outputs than PyTorch`).toBeDefined();
    expect(outs[j].dtype, `${c.name} out${j} dtype`).toBe(want.dtype);
    if (want.dtype === 'float32') await expectClose(outs[j], want, tol, `${c.name} out${j}`);
    else {
      expect(outs[j].shape, `${c.name} out${j} shape`).toEqual(want.shape);
      expect(Array.from(await outs[j].data()), `${c.name} out${j}`).toEqual(Array.from(await want.data()));
    }
    const g = T[`${c.name}.gout${j}`];
    if (g) {
      expect(outs[j].requiresGrad, `${c.name} out${j} requiresGrad`).toBe(true);
      roots.push([outs[j], onDevice(g, device)]);
    }
  }
  expect(T[`${c.name}.out${outs.length}`], `${c.name}: op returned fewer outputs than PyTorch`).toBeUndefined();
  if (roots.length === 1) roots[0][0].backward(roots[0][1]);
  else if (roots.length > 1) {
    // several outputs: backward of sum_j <out_j, gout_j> gives the same input gradients
    roots
      .map(([o, g]) => o.mul(g).sum())
      .reduce((a, b) => a.add(b))
      .backward();
  }
  for (let k = 0; k < ins.length; k++) {
    const want = T[`${c.name}.grad${k}`];
    const { leaf } = ins[k];
    if (!want) {
      expect(leaf.grad, `${c.name} in${k} needs no gradient`).toBeNull();
      continue;
    }
    // an input the graph never reached has no .grad (PyTorch's is None, stored as zeros)
    if (!leaf.grad && Array.from(want.dataSync()).every((v) => v === 0)) continue;
    expect(leaf.grad, `${c.name} grad${k}`).not.toBeNull();
    await expectClose(leaf.grad!, want, tol, `${c.name} grad${k}`);
  }
}
