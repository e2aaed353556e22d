// WGSL snippets shared by the kernel families.
import type { DType } from '../backend.js';
import { paramBinding } from './params.js';

export const wgslType = (d: DType) => (d === 'float32' ? 'f32' : 'i32');

/** store an f32 result `e` into an element of dtype d */
export function storeAs(d: DType, e: string): string {
  if (d === 'float32') return `(${e})`;
  // nonzero on the bits, so NaN is true as in PyTorch (llvmpipe's fast-math answers `NaN != 0.0` false)
  if (d === 'bool') return `select(0i, 1i, (bitcast<u32>(f32(${e})) & 0x7fffffffu) != 0u)`;
  return `i32(${e})`;
}

export const MATH_FNS = /* wgsl */ `
fn ft_tanh(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}
fn ft_erf(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 +
    t * 0.17087277)))))))));
  return select(r - 1.0, 1.0 - r, x >= 0.0);
}
fn ft_log1p(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  return log(u) * x / (u - 1.0);
}
fn ft_expm1(x: f32) -> f32 {
  if (abs(x) < 1e-5) { return x + 0.5 * x * x; }
  return exp(x) - 1.0;
}
// pow with PyTorch's results for negative bases and integer exponents (WGSL pow is undefined there)
fn ft_pow(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  // a is ±0 here: 1/a is ±inf at run time (a constant inf does not compile)
  if (a == 0.0) { return select(0.0, 1.0 / a, b < 0.0); }
  if (a > 0.0) { return exp2(b * log2(a)); }
  // negative base, fractional exponent: NaN (sqrt of a negative), produced at run time
  if (floor(b) != b) { return sqrt(a); }
  let r = exp2(b * log2(-a));
  return select(r, -r, (b * 0.5) != floor(b * 0.5));
}
`;

/** Workgroup grid covering n invocations of a 1-D kernel with workgroup size `wg`. */
export function grid1d(n: number, wg: number, maxPerDim = 65535): [number, number, number] {
  const groups = Math.ceil(n / wg);
  if (groups <= maxPerDim) return [groups, 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y, 1];
}
/** The flat invocation index for a grid from grid1d. */
export const FLAT_INDEX = (wg: number) => `let i = gid.x + gid.y * nwg.x * ${wg}u;`;

/**
 * The common shape of a one-input pass over a flat grid (see grid1d): binding 0 `input` (read),
 * binding 1 `output` (read_write), then the parameters P; `index` names the invocation's flat
 * index. E.g. passKernel('S: array<f32>', 'O: array<f32>', 'row', body).
 */
export const passKernel = (input: string, output: string, index: string, body: string) =>
  `@group(0) @binding(0) var<storage, read> ${input};
@group(0) @binding(1) var<storage, read_write> ${output};
${paramBinding(2)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let ${index} = gid.x + gid.y * nwg.x * 64u;
${body}
}`;
