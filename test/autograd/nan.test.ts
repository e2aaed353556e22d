// NaN and ±inf against PyTorch, on both devices: relu, clamp/hardtanh, maximum/minimum and max
// pooling propagate NaN (WGSL's max/min leave it unspecified and llvmpipe compiles with fast-math,
// so the kernels test NaN on the bits), NaN inputs pass their gradient through relu/hardtanh/elu,
// NaN is unequal to everything and true as a bool, and max/min reductions pick the first NaN.
// Fixture: test/fixtures/ops/nan.safetensors, written by tools/reference/nan_ops.py.
import { describe, expect, it } from 'vitest';
import { eachDevice, expectClose, fixture, onDevice, TOL, torch, type Device } from '../harness.js';

type Tensor = torch.Tensor;
type Args = Record<string, any>; // the fixture's JSON arguments
type Result = Tensor | { values: Tensor; indices: Tensor } | [Tensor, Tensor];
const F = torch.nn.functional;

/** a scalar from the metadata: JSON has no NaN or inf, the script writes them as strings */
const num = (v: unknown): number => (typeof v === 'string' ? Number(v) : (v as number));

const UNARY: Record<string, (x: Tensor, a: Args) => Tensor> = {
  relu: (x) => F.relu(x),
  hardtanh: (x, a) => F.hardtanh(x, a.minVal, a.maxVal),
  leakyRelu: (x, a) => F.leakyRelu(x, a.negativeSlope),
  elu: (x, a) => F.elu(x, a.alpha),
  gelu: (x, a) => F.gelu(x, { approximate: a.approximate }),
  silu: (x) => F.silu(x),
  softplus: (x) => F.softplus(x),
  sigmoid: (x) => torch.sigmoid(x),
  tanh: (x) => x.tanh(),
  clamp: (x, a) => torch.clamp(x, { min: a.min, max: a.max }),
  abs: (x) => x.abs(),
  sign: (x) => torch.sign(x),
};
const OPS: Record<string, (xs: Tensor[], a: Args) => Result> = {
  ...Object.fromEntries(Object.entries(UNARY).map(([k, f]) => [k, (xs: Tensor[], a: Args) => f(xs[0], a)])),
  maximum: (xs) => torch.maximum(xs[0], xs[1]),
  minimum: (xs) => xs[0].minimum(xs[1]),
  eq: (xs, a) => torch.eq(xs[0], a.scalar === undefined ? xs[1] : num(a.scalar)),
  ne: (xs, a) => torch.ne(xs[0], a.scalar === undefined ? xs[1] : num(a.scalar)),
  lt: (xs) => torch.lt(xs[0], xs[1]),
  le: (xs, a) => torch.le(xs[0], a.scalar === undefined ? xs[1] : num(a.scalar)),
  gt: (xs, a) => torch.gt(xs[0], a.scalar === undefined ? xs[1] : num(a.scalar)),
  ge: (xs, a) => torch.ge(xs[0], a.scalar === undefined ? xs[1] : num(a.scalar)),
  logicalNot: (xs) => torch.logicalNot(xs[0]),
  logicalAnd: (xs) => torch.logicalAnd(xs[0], xs[1]),
  logicalOr: (xs) => torch.logicalOr(xs[0], xs[1]),
  bool: (xs) => xs[0].bool(),
  maxPool2d: (xs, a) =>
    F.maxPool2d(xs[0], a.kernelSize, {
      stride: a.stride,
      padding: a.padding,
      dilation: a.dilation,
      returnIndices: true,
    }),
  max: (xs, a) => (a.dim === undefined ? torch.max(xs[0]) : torch.max(xs[0], a.dim)),
  min: (xs, a) => xs[0].min(a.dim),
  argmax: (xs, a) => torch.argmax(xs[0], a.dim),
  argmin: (xs, a) => xs[0].argmin(a.dim),
  amax: (xs, a) => torch.amax(xs[0], a.dims),
  amin: (xs, a) => torch.amin(xs[0], a.dims),
};

interface Case {
  name: string;
  op: string;
  args: Args;
  grad: boolean;
  outs: number;
}
const { tensors: T, metadata } = fixture('ops/nan');
const cases = JSON.parse(metadata.cases) as Case[];

const asList = (r: Result): Tensor[] =>
  r instanceof torch.Tensor ? [r] : Array.isArray(r) ? r : [r.values, r.indices];

async function expectSame(got: Tensor, want: Tensor, what: string) {
  expect(got.shape, `${what} shape`).toEqual(want.shape);
  expect(got.dtype, `${what} dtype`).toBe(want.dtype);
  if (want.dtype === 'float32') await expectClose(got, want, TOL, what);
  else expect(Array.from(await got.data()), what).toEqual(Array.from(await want.data()));
}

async function runCase(c: Case, device: Device) {
  const xs: Tensor[] = [];
  for (let k = 0; T[`${c.name}.in${k}`]; k++) xs.push(onDevice(T[`${c.name}.in${k}`], device, c.grad));
  const outs = asList(OPS[c.op](xs, c.args));
  expect(outs.length, `${c.name} outputs`).toBe(c.outs);
  for (let j = 0; j < outs.length; j++) await expectSame(outs[j], T[`${c.name}.out${j}`], `${c.name} out${j}`);
  if (!c.grad) return;
  // the float output (the first) takes the upstream gradient; indices carry none
  outs[0].backward(onDevice(T[`${c.name}.gout0`], device));
  for (let k = 0; k < xs.length; k++) {
    expect(xs[k].grad, `${c.name} grad${k}`).not.toBeNull();
    await expectClose(xs[k].grad!, T[`${c.name}.grad${k}`], TOL, `${c.name} grad${k}`);
  }
}

/**
 * The same unary op over other layouts of the [4, 5] input, so each kernel path sees the specials:
 * as stored (vec4), at an odd offset (scalar contiguous), transposed (a strided view).
 */
async function runLayouts(c: Case, device: Device) {
  const x = T[`${c.name}.in0`],
    want = T[`${c.name}.out0`];
  const f = UNARY[c.op];
  const offset = onDevice(x, device).flatten().narrow(0, 1, 19);
  await expectSame(f(offset, c.args), want.flatten().narrow(0, 1, 19), `${c.name} at offset 1`);
  const transposed = onDevice(x.t().contiguous(), device).t();
  expect(transposed.isContiguous()).toBe(false);
  await expectSame(f(transposed, c.args), want, `${c.name} transposed`);
}

eachDevice((device) => {
  for (const c of cases) it(c.name, () => runCase(c, device));
  describe('unary layouts', () => {
    for (const c of cases.filter((k) => k.op in UNARY)) it(c.name, () => runLayouts(c, device));
  });
  it('relu keeps -0 and NaN bit for bit, as PyTorch (clamp_min) does', async () => {
    const y = await F.relu(torch.tensor([-0, NaN, -Infinity, 0], { device })).data();
    expect(Object.is(y[0], -0)).toBe(true);
    expect(Number.isNaN(y[1])).toBe(true);
    expect(Object.is(y[2], 0) && Object.is(y[3], 0)).toBe(true);
  });
  it('relu double backward at NaN passes the gradient, as the first backward does', async () => {
    const x = torch.tensor([NaN, -1, 2], { device, requiresGrad: true });
    const g = torch.tensor([3, 4, 5], { device, requiresGrad: true });
    const [gx] = torch.grad(F.relu(x), [x], g, { createGraph: true });
    await expectClose(gx!, [3, 0, 5]);
    gx!.backward(torch.tensor([1, 1, 1], { device }));
    await expectClose(g.grad!, [1, 0, 1]);
  });
});

it('the fixture covers every op mapped here', () => {
  expect([...new Set(cases.map((c) => c.op))].sort()).toEqual(Object.keys(OPS).sort());
});
