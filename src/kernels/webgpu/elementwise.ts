// Elementwise kernels: unary, binary, where, copy and fill over strided views of up to 8 dims.
// One generator makes them all. Dims are merged first (planElementwise); dense operands then take a
// vec4 or scalar contiguous kernel, up to 3 merged dims a 3-D grid without index arithmetic, and
// the rest a flat index decomposed over the merged rank (integer division is scalarised on software
// adapters, so fewer dims is faster).
import type { DType } from '../backend.js';
import { FLAT_INDEX, grid1d, MATH_FNS, storeAs, wgslType } from './wgsl.js';

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
${MATH_FNS}
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
