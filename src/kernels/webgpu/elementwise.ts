// Elementwise kernels: unary, binary, where, copy and fill over strided views of up to 8 dims.
// One generator makes them all; a contiguous specialisation skips the index arithmetic.
import type { DType } from '../backend.js';
import { FLAT_INDEX, MATH_FNS, storeAs, wgslType } from './wgsl.js';

export const MAX_DIMS = 8;
export const EW_WG = 256;

const UNARY: Record<string, string> = {
  neg: '-a', abs: 'abs(a)', sign: 'sign(a)', exp: 'exp(a)', log: 'log(a)', sqrt: 'sqrt(a)',
  rsqrt: '1.0 / sqrt(a)', sin: 'sin(a)', cos: 'cos(a)', tanh: 'ft_tanh(a)',
  sigmoid: '1.0 / (1.0 + exp(-a))', relu: 'select(0.0, a, a > 0.0)', reciprocal: '1.0 / a',
  erf: 'ft_erf(a)', gelu: '0.5 * a * (1.0 + ft_erf(a * 0.7071067811865476))',
  gelu_tanh: '0.5 * a * (1.0 + ft_tanh(0.7978845608028654 * (a + 0.044715 * a * a * a)))',
  silu: 'a / (1.0 + exp(-a))', not: 'select(1.0, 0.0, a != 0.0)', cast: 'a',
  affine: 'a * p0 + p1', pow_s: 'ft_pow(a, p0)', rpow_s: 'ft_pow(p0, a)', rdiv_s: 'p0 / a',
  clamp: 'min(max(a, p0), p1)', leaky_relu: 'select(p0 * a, a, a > 0.0)',
  elu: 'select(p0 * ft_expm1(a), a, a > 0.0)',
  softplus: 'select(ft_log1p(exp(a * p0)) / p0, a, a * p0 > p1)',
  eq_s: 'f32(a == p0)', ne_s: 'f32(a != p0)', lt_s: 'f32(a < p0)', le_s: 'f32(a <= p0)',
  gt_s: 'f32(a > p0)', ge_s: 'f32(a >= p0)',
};
const BINARY: Record<string, string> = {
  add: 'a + b', sub: 'a - b', mul: 'a * b', div: 'a / b', pow: 'ft_pow(a, b)',
  maximum: 'max(a, b)', minimum: 'min(a, b)',
  eq: 'f32(a == b)', ne: 'f32(a != b)', lt: 'f32(a < b)', le: 'f32(a <= b)', gt: 'f32(a > b)',
  ge: 'f32(a >= b)', and: 'f32(a != 0.0 && b != 0.0)', or: 'f32(a != 0.0 || b != 0.0)',
  relu_bw: 'select(0.0, a, b > 0.0)',
};

export function hasUnary(op: string) { return op in UNARY; }
export function hasBinary(op: string) { return op in BINARY; }

/**
 * Params: [0] n, [1] ndim, [2..5] element offsets of inputs 0..2 and the output, [6] p0 (f32),
 * [7] p1 (f32), [8..15] shape, [16..23] [24..31] [32..39] input strides, [40..47] output strides.
 */
export function elementwiseSource(
  expr: string, inputs: DType[], out: DType, contiguous: boolean, intDiv = false,
): string {
  const names = ['A', 'B', 'C'];
  const vars = ['a', 'b', 'c'];
  const decl = inputs
    .map((d, k) => `@group(0) @binding(${k}) var<storage, read> ${names[k]}: array<${wgslType(d)}>;`)
    .join('\n');
  const n = inputs.length;
  const body = contiguous
    ? inputs.map((_, k) => `let ${vars[k]} = f32(${names[k]}[P[${2 + k}] + i]);`).join('\n  ') + `\n  let io = P[5] + i;`
    : `var rem = i;
  ${inputs.map((_, k) => `var i${k} = P[${2 + k}];`).join(' ')}
  var io = P[5];
  for (var d = i32(P[1]) - 1; d >= 0; d--) {
    let s = P[8 + d];
    let c = rem % s;
    rem = rem / s;
    ${inputs.map((_, k) => `i${k} += c * P[${16 + 8 * k} + d];`).join(' ')}
    io += c * P[40 + d];
  }
  ${inputs.map((_, k) => `let ${vars[k]} = f32(${names[k]}[i${k}]);`).join('\n  ')}`;
  let e = expr;
  if (intDiv) e = `trunc(${e})`;
  return `${decl}
@group(0) @binding(${n}) var<storage, read_write> O: array<${wgslType(out)}>;
@group(0) @binding(${n + 1}) var<storage, read> P: array<u32>;
${MATH_FNS}
@compute @workgroup_size(${EW_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${FLAT_INDEX(EW_WG)}
  if (i >= P[0]) { return; }
  let p0 = bitcast<f32>(P[6]);
  let p1 = bitcast<f32>(P[7]);
  ${body}
  O[io] = ${storeAs(out, e)};
}`;
}

export function unaryExpr(op: string): string {
  return UNARY[op];
}
export function binaryExpr(op: string): string {
  return BINARY[op];
}
