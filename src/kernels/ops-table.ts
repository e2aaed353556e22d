// The elementwise ops, each declared once: the cpu formula and the WGSL formula side by side, so the
// two devices cannot drift apart and an op missing from either is a compile error (UnaryOp and
// BinaryOp are this table's keys; a device implements every key), not a run-time "unknown op".
//
// Both formulas are expressions in `a` (and `b`, binary) with the scalar parameters `p0`, `p1`:
// - cpu: JavaScript, compiled once per op into the dense and strided loops (cpu/elementwise.ts) with
//   the formula inlined. A function per op would be a call per element that V8 does not inline into a
//   shared loop (measured 2-6× slower on add/mul/sub/relu_bw); `erf` (cpu/math.ts) is in scope.
// - wgsl: computed in f32 by the generated kernels (webgpu/elementwise.ts), which provide the
//   ft_* helpers (NaN and sign tests on the bits, tanh, erf, expm1, log1p, pow).
//
// NaN semantics are PyTorch's and checked against it (test/autograd/nan.test.ts,
// tools/reference/nan_ops.py): relu, clamp, maximum and minimum propagate NaN, NaN is true as a bool,
// and NaN != x. llvmpipe compiles WGSL with fast-math, which folds `a != a` to false and lets max/min
// drop a NaN operand, so the WGSL formulas test NaN with ft_isnan (integer ops on the bits) instead.

export interface ElementwiseDef {
  /** JavaScript expression (numbers in float64, stored to the output array) */
  readonly cpu: string;
  /** WGSL expression (f32) */
  readonly wgsl: string;
}

export const UNARY = {
  neg: { cpu: '-a', wgsl: '-a' },
  abs: { cpu: 'Math.abs(a)', wgsl: 'abs(a)' },
  sign: { cpu: 'a > 0 ? 1 : a < 0 ? -1 : 0', wgsl: 'sign(a)' },
  exp: { cpu: 'Math.exp(a)', wgsl: 'exp(a)' },
  log: { cpu: 'Math.log(a)', wgsl: 'log(a)' },
  sqrt: { cpu: 'Math.sqrt(a)', wgsl: 'sqrt(a)' },
  rsqrt: { cpu: '1 / Math.sqrt(a)', wgsl: '1.0 / sqrt(a)' },
  sin: { cpu: 'Math.sin(a)', wgsl: 'sin(a)' },
  cos: { cpu: 'Math.cos(a)', wgsl: 'cos(a)' },
  tanh: { cpu: 'Math.tanh(a)', wgsl: 'ft_tanh(a)' },
  sigmoid: { cpu: '1 / (1 + Math.exp(-a))', wgsl: '1.0 / (1.0 + exp(-a))' },
  // PyTorch's clamp_min(x, 0): NaN stays NaN, -0 stays -0
  relu: { cpu: 'a < 0 ? 0 : a', wgsl: 'select(a, 0.0, ft_lt0(a))' },
  reciprocal: { cpu: '1 / a', wgsl: '1.0 / a' },
  erf: { cpu: 'erf(a)', wgsl: 'ft_erf(a)' },
  gelu: { cpu: '0.5 * a * (1 + erf(a * Math.SQRT1_2))', wgsl: '0.5 * a * (1.0 + ft_erf(a * 0.7071067811865476))' },
  gelu_tanh: {
    cpu: '0.5 * a * (1 + Math.tanh(0.7978845608028654 * (a + 0.044715 * a * a * a)))',
    wgsl: '0.5 * a * (1.0 + ft_tanh(0.7978845608028654 * (a + 0.044715 * a * a * a)))',
  },
  silu: { cpu: 'a / (1 + Math.exp(-a))', wgsl: 'a / (1.0 + exp(-a))' },
  // NaN is true, so not(NaN) is false
  not: { cpu: '+(a === 0)', wgsl: 'select(1.0, 0.0, ft_nz(a))' },
  // a float → int or bool cast is the devices' own (truncation, nonzero test); this is float → float
  cast: { cpu: 'a', wgsl: 'a' },
  // ---- with scalar parameters p0, p1
  affine: { cpu: 'a * p0 + p1', wgsl: 'a * p0 + p1' },
  pow_s: { cpu: 'Math.pow(a, p0)', wgsl: 'ft_pow(a, p0)' },
  rpow_s: { cpu: 'Math.pow(p0, a)', wgsl: 'ft_pow(p0, a)' },
  rdiv_s: { cpu: 'p0 / a', wgsl: 'p0 / a' },
  // min(max(a, p0), p1); NaN stays NaN
  clamp: { cpu: 'Math.min(Math.max(a, p0), p1)', wgsl: 'select(min(max(a, p0), p1), a, ft_isnan(a))' },
  leaky_relu: { cpu: 'a > 0 ? a : p0 * a', wgsl: 'select(p0 * a, a, a > 0.0)' },
  elu: { cpu: 'a > 0 ? a : p0 * Math.expm1(a)', wgsl: 'select(p0 * ft_expm1(a), a, a > 0.0)' },
  // beta = p0, threshold = p1
  softplus: {
    cpu: 'a * p0 > p1 ? a : Math.log1p(Math.exp(a * p0)) / p0',
    wgsl: 'select(ft_log1p(exp(a * p0)) / p0, a, a * p0 > p1)',
  },
  eq_s: { cpu: '+(a === p0)', wgsl: 'f32(a == p0)' },
  ne_s: { cpu: '+(a !== p0)', wgsl: 'f32((a != p0) | ft_isnan(a) | ft_isnan(p0))' },
  lt_s: { cpu: '+(a < p0)', wgsl: 'f32(a < p0)' },
  le_s: { cpu: '+(a <= p0)', wgsl: 'f32(a <= p0)' },
  gt_s: { cpu: '+(a > p0)', wgsl: 'f32(a > p0)' },
  ge_s: { cpu: '+(a >= p0)', wgsl: 'f32(a >= p0)' },
} as const satisfies Record<string, ElementwiseDef>;

export const BINARY = {
  // integer division truncates: the devices wrap the formula when both operands are integers
  add: { cpu: 'a + b', wgsl: 'a + b' },
  sub: { cpu: 'a - b', wgsl: 'a - b' },
  mul: { cpu: 'a * b', wgsl: 'a * b' },
  div: { cpu: 'a / b', wgsl: 'a / b' },
  pow: { cpu: 'Math.pow(a, b)', wgsl: 'ft_pow(a, b)' },
  // NaN if either is NaN
  maximum: {
    cpu: 'a !== a || b !== b ? NaN : Math.max(a, b)',
    wgsl: 'select(select(max(a, b), b, ft_isnan(b)), a, ft_isnan(a))',
  },
  minimum: {
    cpu: 'a !== a || b !== b ? NaN : Math.min(a, b)',
    wgsl: 'select(select(min(a, b), b, ft_isnan(b)), a, ft_isnan(a))',
  },
  eq: { cpu: '+(a === b)', wgsl: 'f32(a == b)' },
  ne: { cpu: '+(a !== b)', wgsl: 'f32((a != b) | ft_isnan(a) | ft_isnan(b))' },
  lt: { cpu: '+(a < b)', wgsl: 'f32(a < b)' },
  le: { cpu: '+(a <= b)', wgsl: 'f32(a <= b)' },
  gt: { cpu: '+(a > b)', wgsl: 'f32(a > b)' },
  ge: { cpu: '+(a >= b)', wgsl: 'f32(a >= b)' },
  and: { cpu: '+(a !== 0 && b !== 0)', wgsl: 'f32(ft_nz(a) & ft_nz(b))' },
  or: { cpu: '+(a !== 0 || b !== 0)', wgsl: 'f32(ft_nz(a) | ft_nz(b))' },
  // ReLU's backward in one dispatch, as PyTorch's threshold_backward: b <= 0 ? 0 : a (a the gradient,
  // b the input), so a NaN input passes its gradient
  relu_bw: { cpu: 'b <= 0 ? 0 : a', wgsl: 'select(a, 0.0, ft_le0(b))' },
} as const satisfies Record<string, ElementwiseDef>;

export type UnaryOp = keyof typeof UNARY;
export type BinaryOp = keyof typeof BINARY;
