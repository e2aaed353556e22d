// Every op forward and backward against PyTorch, on both devices. The cases live in
// test/fixtures/ops/<family>.safetensors, written by tools/reference/ops.py: inputs, outputs, an
// upstream gradient per float output and the gradient of each input that requires one. OPS maps a
// case's op name and arguments (finetorch's names, from the fixture metadata) to the call.
import { describe, expect, it } from 'vitest';
import { eachDevice, expectClose, fixture, LOOSE, onDevice, TOL, torch, type Device } from '../harness.js';

type Tensor = torch.Tensor;
type Args = Record<string, any>; // the fixture arguments: JSON from the metadata, shaped per op
type Result = Tensor | Tensor[] | { values: Tensor; indices: Tensor };
const F = torch.nn.functional;

const scalarOr = (fn: (a: Tensor | number, b: Tensor | number) => Tensor) => (xs: Tensor[], a: Args) =>
  a.scalar === undefined ? fn(xs[0], xs[1]) : a.left ? fn(a.scalar, xs[0]) : fn(xs[0], a.scalar);
const compare = (fn: (a: Tensor, b: Tensor | number) => Tensor) => (xs: Tensor[], a: Args) => fn(xs[0], a.scalar ?? xs[1]);
const red = (o: Args) => ({ keepdim: o.keepdim });
const weightArg = (xs: Tensor[], a: Args) => (a.weight ? xs[2] : undefined);

const OPS: Record<string, (xs: Tensor[], a: Args) => Result> = {
  // elementwise
  add: (xs, a) => (a.scalar !== undefined ? torch.add(a.scalar, xs[0]) : torch.add(xs[0], xs[1], { alpha: a.alpha })),
  sub: (xs, a) => (a.scalar !== undefined ? (a.left ? torch.sub(a.scalar, xs[0]) : xs[0].sub(a.scalar)) : torch.sub(xs[0], xs[1], { alpha: a.alpha })),
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
  eq: compare(torch.eq), ne: compare(torch.ne), lt: compare(torch.lt),
  le: compare(torch.le), gt: compare(torch.gt), ge: compare(torch.ge),
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
  crossEntropy: (xs, a) => F.crossEntropy(xs[0], xs[1], { weight: weightArg(xs, a), ignoreIndex: a.ignoreIndex, reduction: a.reduction, labelSmoothing: a.labelSmoothing }),
  nllLoss: (xs, a) => F.nllLoss(xs[0], xs[1], { weight: weightArg(xs, a), ignoreIndex: a.ignoreIndex, reduction: a.reduction }),
  mseLoss: (xs, a) => F.mseLoss(xs[0], xs[1], { reduction: a.reduction }),
  l1Loss: (xs, a) => F.l1Loss(xs[0], xs[1], { reduction: a.reduction }),
  smoothL1Loss: (xs, a) => F.smoothL1Loss(xs[0], xs[1], { reduction: a.reduction, beta: a.beta }),
  huberLoss: (xs, a) => F.huberLoss(xs[0], xs[1], { reduction: a.reduction, delta: a.delta }),
  binaryCrossEntropy: (xs, a) => F.binaryCrossEntropy(xs[0], xs[1], { weight: weightArg(xs, a), reduction: a.reduction }),
  binaryCrossEntropyWithLogits: (xs, a) => F.binaryCrossEntropyWithLogits(xs[0], xs[1], {
    weight: weightArg(xs, a), posWeight: a.posWeight ? xs[xs.length - 1] : undefined, reduction: a.reduction,
  }),
};

interface Case { name: string; op: string; args: Args; inputs: { grad: boolean; layout: 'T' | 'S' | null }[] }

/** The fixture value on `device`, as the non-contiguous view the case asks for. */
function input(t: Tensor, layout: 'T' | 'S' | null, device: Device): Tensor {
  if (layout === 'T') {
    // stored transposed, viewed back: same values, strides of a transpose
    return onDevice(t.transpose(-1, -2).contiguous(), device).transpose(-1, -2).detach();
  }
  if (layout === 'S') {
    // every other element of a larger buffer, starting at offset 1
    const last = t.shape[t.ndim - 1];
    const big = torch.full([...t.shape.slice(0, -1), 2 * last + 1], NaN, { device: 'cpu', dtype: t.dtype });
    torch.noGrad(() => big.slice(-1, 1, undefined, 2).copy_(t));
    return big.to(device).slice(-1, 1, undefined, 2).detach();
  }
  return onDevice(t, device);
}

const asList = (r: Result): Tensor[] => (r instanceof torch.Tensor ? [r] : Array.isArray(r) ? r : [r.values, r.indices]);

/** Long reductions (hundreds of terms) are compared with LOOSE; everything else with TOL. */
const tolFor = (c: Case) => (/\.long/.test(c.name) ? LOOSE : TOL);

async function runCase(c: Case, T: Record<string, Tensor>, device: Device) {
  const xs = c.inputs.map((spec, k) => {
    const x = input(T[`${c.name}.in${k}`], spec.layout, device);
    if (spec.layout && x.numel() > 1) expect(x.isContiguous(), `${c.name} input ${k} should be a non-contiguous view`).toBe(false);
    if (spec.grad) x.requiresGrad = true;
    return x;
  });
  const fn = OPS[c.op];
  expect(fn, `no OPS entry for ${c.op}`).toBeDefined();
  const outs = asList(fn(xs, c.args));
  const tol = tolFor(c);
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
    roots.map(([o, g]) => o.mul(g).sum()).reduce((a, b) => a.add(b)).backward();
  }
  for (let k = 0; k < xs.length; k++) {
    const want = T[`${c.name}.grad${k}`];
    if (!want) {
      expect(xs[k].grad, `${c.name} in${k} needs no gradient`).toBeNull();
      continue;
    }
    expect(xs[k].grad, `${c.name} grad${k}`).not.toBeNull();
    await expectClose(xs[k].grad!, want, tol, `${c.name} grad${k}`);
  }
}

const FAMILIES = ['elementwise', 'compare', 'reduce', 'linalg', 'shape', 'activation', 'loss', 'edge_fixes'];
const loaded = FAMILIES.map((f) => {
  const { tensors, metadata } = fixture(`ops/${f}`);
  return { family: f, tensors, cases: JSON.parse(metadata.cases) as Case[] };
});

eachDevice((device) => {
  for (const { family, tensors, cases } of loaded) {
    describe(family, () => {
      for (const c of cases) it(c.name, () => runCase(c, tensors, device));
    });
  }
});

it('the fixtures cover every op of the issue', () => {
  const ops = new Set(loaded.flatMap((l) => l.cases.map((c) => c.op)));
  expect([...ops].sort()).toEqual(Object.keys(OPS).sort());
});
