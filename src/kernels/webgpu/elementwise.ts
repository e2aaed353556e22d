// Elementwise kernels: unary, binary, where, copy and fill over strided views of up to 8 dims.
// One generator makes them all. Dims are merged first (planElementwise); dense operands then take a
// vec4 or scalar contiguous kernel, up to 3 merged dims a 3-D grid without index arithmetic, and
// the rest a flat index decomposed over the merged rank (integer division is scalarised on software
// adapters, so fewer dims is faster).
import type { DType } from '../backend.js';
import { FLAT_INDEX, grid1d, MATH_FNS, storeAs, wgslType } from './wgsl.js';

export const MAX_DIMS = 8;
export const EW_WG = 256;

// NaN and sign tests on the bits. llvmpipe compiles with fast-math: it folds `a != a` to false,
// answers `NaN != x` false and max/min drop a NaN operand, while PyTorch propagates NaN through
// relu, clamp, maximum and minimum and counts NaN as true. The tests below are integer ops, so no
// float rewrite can touch them; `|` rather than `||` keeps them branch-free.
const BIT_FNS = /* wgsl */ `
fn ft_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
// x < 0, NaN and -0 excluded: -FLT_TRUE_MIN ... -inf are the patterns 0x80000001 ... 0xff800000
fn ft_lt0(x: f32) -> bool { return bitcast<u32>(x) - 0x80000001u < 0x7f800000u; }
// x <= 0, NaN excluded: +0, and -0 (0x80000000) ... -inf (0xff800000)
fn ft_le0(x: f32) -> bool { let u = bitcast<u32>(x); return (u == 0u) | (u - 0x80000000u <= 0x7f800000u); }
// x as a bool: nonzero, NaN included
fn ft_nz(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) != 0u; }
`;

// relu is x < 0 ? 0 : x, as PyTorch's clamp_min(x, 0): NaN stays NaN and -0 stays -0
const UNARY: Record<string, string> = {
  neg: '-a', abs: 'abs(a)', sign: 'sign(a)', exp: 'exp(a)', log: 'log(a)', sqrt: 'sqrt(a)',
  rsqrt: '1.0 / sqrt(a)', sin: 'sin(a)', cos: 'cos(a)', tanh: 'ft_tanh(a)',
  sigmoid: '1.0 / (1.0 + exp(-a))', relu: 'select(a, 0.0, ft_lt0(a))', reciprocal: '1.0 / a',
  erf: 'ft_erf(a)', gelu: '0.5 * a * (1.0 + ft_erf(a * 0.7071067811865476))',
  gelu_tanh: '0.5 * a * (1.0 + ft_tanh(0.7978845608028654 * (a + 0.044715 * a * a * a)))',
  silu: 'a / (1.0 + exp(-a))', not: 'select(1.0, 0.0, ft_nz(a))', cast: 'a',
  affine: 'a * p0 + p1', pow_s: 'ft_pow(a, p0)', rpow_s: 'ft_pow(p0, a)', rdiv_s: 'p0 / a',
  clamp: 'select(min(max(a, p0), p1), a, ft_isnan(a))', leaky_relu: 'select(p0 * a, a, a > 0.0)',
  elu: 'select(p0 * ft_expm1(a), a, a > 0.0)',
  softplus: 'select(ft_log1p(exp(a * p0)) / p0, a, a * p0 > p1)',
  eq_s: 'f32(a == p0)', ne_s: 'f32((a != p0) | ft_isnan(a) | ft_isnan(p0))', lt_s: 'f32(a < p0)', le_s: 'f32(a <= p0)',
  gt_s: 'f32(a > p0)', ge_s: 'f32(a >= p0)',
};
const BINARY: Record<string, string> = {
  add: 'a + b', sub: 'a - b', mul: 'a * b', div: 'a / b', pow: 'ft_pow(a, b)',
  maximum: 'select(select(max(a, b), b, ft_isnan(b)), a, ft_isnan(a))',
  minimum: 'select(select(min(a, b), b, ft_isnan(b)), a, ft_isnan(a))',
  eq: 'f32(a == b)', ne: 'f32((a != b) | ft_isnan(a) | ft_isnan(b))', lt: 'f32(a < b)', le: 'f32(a <= b)',
  gt: 'f32(a > b)', ge: 'f32(a >= b)', and: 'f32(ft_nz(a) & ft_nz(b))', or: 'f32(ft_nz(a) | ft_nz(b))',
  // PyTorch's threshold_backward: y <= 0 ? 0 : g, so a NaN input passes its gradient
  relu_bw: 'select(a, 0.0, ft_le0(b))',
};

export function hasUnary(op: string) { return op in UNARY; }
export function hasBinary(op: string) { return op in BINARY; }

/** An elementwise dispatch after its dims are simplified: how the kernel walks the elements. */
export type EwLayout =
  /** every operand dense over the same order: four elements per invocation */
  | { kind: 'vec4' }
  /** every operand dense, scalar */
  | { kind: 'contig' }
  /** at most 3 dims (after merging), a long innermost one: a 3-D grid, no index arithmetic */
  | { kind: 'grid' }
  /** the general case: the flat index decomposed over `rank` dims */
  | { kind: 'strided'; rank: number };

export interface EwPlan { layout: EwLayout; n: number; shape: number[]; strides: number[][] }

/**
 * Simplify an elementwise call over views (inputs..., out last, all of `shape`): drop size-1 dims and
 * merge neighbouring dims that every operand walks contiguously, so a broadcast per-channel operand
 * on [N, C, H, W] becomes [N, C, H·W] and a dense one a single dim. Then pick the cheapest layout.
 */
export function planElementwise(shape: readonly number[], views: readonly { strides: readonly number[]; offset: number }[]): EwPlan {
  const n = shape.reduce((p, q) => p * q, 1);
  const dims: number[] = [];
  const strides: number[][] = views.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && views.every((v, k) => strides[k][last] === v.strides[d] * shape[d])) {
      dims[last] *= shape[d];
      views.forEach((v, k) => { strides[k][last] = v.strides[d]; });
    } else {
      dims.push(shape[d]);
      views.forEach((v, k) => strides[k].push(v.strides[d]));
    }
  }
  if (!dims.length) { dims.push(1); strides.forEach((s) => s.push(1)); }
  const rank = dims.length;
  if (rank === 1 && strides.every((s) => s[0] === 1)) {
    const vec = n % 4 === 0 && views.every((v) => v.offset % 4 === 0);
    return { layout: { kind: vec ? 'vec4' : 'contig' }, n, shape: dims, strides };
  }
  if (rank <= 3 && dims[rank - 1] >= 32 && dims.slice(0, -1).every((s) => s <= 65535)) {
    // pad to 3 dims at the front
    while (dims.length < 3) { dims.unshift(1); strides.forEach((s) => s.unshift(0)); }
    return { layout: { kind: 'grid' }, n, shape: dims, strides };
  }
  return { layout: { kind: 'strided', rank }, n, shape: dims, strides };
}

export const layoutKey = (l: EwLayout) => (l.kind === 'strided' ? `s${l.rank}` : l.kind);

/** Workgroups for a plan (see elementwiseSource for how each layout indexes). */
export function ewGroups(p: EwPlan): [number, number, number] {
  if (p.layout.kind === 'grid') return [Math.ceil(p.shape[2] / EW_WG), p.shape[1], p.shape[0]];
  return grid1d(p.layout.kind === 'vec4' ? p.n / 4 : p.n, EW_WG);
}

/**
 * Params: [0] n (vec4s on the vec4 path), [1] rank, [2..4] element offsets of inputs 0..2, [5] of the
 * output, [6] p0 (f32), [7] p1 (f32), [8..15] shape, [16..23] [24..31] [32..39] input strides,
 * [40..47] output strides. The expression is scalar: the vec4 path applies it per component.
 */
export function elementwiseSource(expr: string, inputs: DType[], out: DType, layout: EwLayout, intDiv = false): string {
  const names = ['A', 'B', 'C'];
  const vars = ['a', 'b', 'c'];
  const vec = layout.kind === 'vec4';
  const arr = (d: DType) => (vec ? `vec4<${wgslType(d)}>` : wgslType(d));
  const decl = inputs
    .map((d, k) => `@group(0) @binding(${k}) var<storage, read> ${names[k]}: array<${arr(d)}>;`)
    .join('\n');
  const n = inputs.length;
  const e = intDiv ? `trunc(${expr})` : expr;
  let body: string;
  if (vec) {
    const comps = ['x', 'y', 'z', 'w'].map((q) => `{
    ${inputs.map((_, k) => `let ${vars[k]} = f32(v${k}.${q});`).join(' ')}
    r.${q} = ${storeAs(out, e)};
  }`).join('\n  ');
    body = `${FLAT_INDEX(EW_WG)}
  if (i >= P[0]) { return; }
  ${inputs.map((_, k) => `let v${k} = ${names[k]}[P[${2 + k}] / 4u + i];`).join('\n  ')}
  var r: vec4<${wgslType(out)}>;
  ${comps}
  O[P[5] / 4u + i] = r;`;
  } else {
    let index: string;
    if (layout.kind === 'contig') {
      index = `${FLAT_INDEX(EW_WG)}
  if (i >= P[0]) { return; }
  ${inputs.map((_, k) => `let i${k} = P[${2 + k}] + i;`).join(' ')}
  let io = P[5] + i;`;
    } else if (layout.kind === 'grid') {
      const at = (base: number, off: number) => `P[${off}] + gid.z * P[${base}] + gid.y * P[${base + 1}] + gid.x * P[${base + 2}]`;
      index = `if (gid.x >= P[10]) { return; }
  ${inputs.map((_, k) => `let i${k} = ${at(16 + 8 * k, 2 + k)};`).join('\n  ')}
  let io = ${at(40, 5)};`;
    } else {
      // the flat index decomposed from the innermost dim out; the outermost needs no division
      const steps: string[] = [];
      for (let d = layout.rank - 1; d >= 0; d--) {
        const c = d > 0 ? `rem % P[${8 + d}]` : 'rem';
        steps.push(`{ let c = ${c};${d > 0 ? ` rem = rem / P[${8 + d}];` : ''} ${inputs.map((_, k) => `i${k} += c * P[${16 + 8 * k + d}];`).join(' ')} io += c * P[${40 + d}]; }`);
      }
      index = `${FLAT_INDEX(EW_WG)}
  if (i >= P[0]) { return; }
  var rem = i;
  ${inputs.map((_, k) => `var i${k} = P[${2 + k}];`).join(' ')}
  var io = P[5];
  ${steps.join('\n  ')}`;
    }
    body = `${index}
  ${inputs.map((_, k) => `let ${vars[k]} = f32(${names[k]}[i${k}]);`).join('\n  ')}
  O[io] = ${storeAs(out, e)};`;
  }
  return `${decl}
@group(0) @binding(${n}) var<storage, read_write> O: array<${vec ? `vec4<${wgslType(out)}>` : wgslType(out)}>;
@group(0) @binding(${n + 1}) var<storage, read> P: array<u32>;
${MATH_FNS}${BIT_FNS}
@compute @workgroup_size(${EW_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p0 = bitcast<f32>(P[6]);
  let p1 = bitcast<f32>(P[7]);
  ${body}
}`;
}

export function unaryExpr(op: string): string {
  return UNARY[op];
}
export function binaryExpr(op: string): string {
  return BINARY[op];
}
