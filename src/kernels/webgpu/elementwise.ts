// Elementwise kernels: unary, binary, where, copy and fill over strided views of up to 8 dims.
// One generator makes them all. Dims are merged first (planElementwise); dense operands then take a
// vec4 or scalar contiguous kernel, up to 3 merged dims a 3-D grid without index arithmetic, and
// the rest a flat index decomposed over the merged rank (integer division is scalarised on software
// adapters, so fewer dims is faster).
import type { DType } from '../backend.js';
import { BINARY, UNARY, type BinaryOp, type UnaryOp } from '../ops-table.js';
import { paramBinding, paramBlock } from './params.js';
import { FLAT_INDEX, grid1d, MATH_FNS, storeAs, wgslType } from './wgsl.js';

export const MAX_DIMS = 8;
export const EW_WG = 256;

// NaN and sign tests on the bits, for the op formulas of ../ops-table.ts. llvmpipe compiles with
// fast-math: it folds `a != a` to false, answers `NaN != x` false and max/min drop a NaN operand,
// while PyTorch propagates NaN through relu, clamp, maximum and minimum and counts NaN as true. The
// tests below are integer ops, so no float rewrite can touch them; `|` rather than `||` keeps them
// branch-free.
const BIT_FNS = /* wgsl */ `
fn ft_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
// x < 0, NaN and -0 excluded: -FLT_TRUE_MIN ... -inf are the patterns 0x80000001 ... 0xff800000
fn ft_lt0(x: f32) -> bool { return bitcast<u32>(x) - 0x80000001u < 0x7f800000u; }
// x <= 0, NaN excluded: +0, and -0 (0x80000000) ... -inf (0xff800000)
fn ft_le0(x: f32) -> bool { let u = bitcast<u32>(x); return (u == 0u) | (u - 0x80000000u <= 0x7f800000u); }
// x as a bool: nonzero, NaN included
fn ft_nz(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) != 0u; }
`;

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

export interface EwPlan {
  layout: EwLayout;
  n: number;
  shape: number[];
  strides: number[][];
}

/**
 * Simplify an elementwise call over views (inputs..., out last, all of `shape`): drop size-1 dims and
 * merge neighbouring dims that every operand walks contiguously, so a broadcast per-channel operand
 * on [N, C, H, W] becomes [N, C, H·W] and a dense one a single dim. Then pick the cheapest layout.
 */
export function planElementwise(
  shape: readonly number[],
  views: readonly { strides: readonly number[]; offset: number }[],
): EwPlan {
  const n = shape.reduce((p, q) => p * q, 1);
  const dims: number[] = [];
  const strides: number[][] = views.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && views.every((v, k) => strides[k][last] === v.strides[d] * shape[d])) {
      dims[last] *= shape[d];
      views.forEach((v, k) => {
        strides[k][last] = v.strides[d];
      });
    } else {
      dims.push(shape[d]);
      views.forEach((v, k) => strides[k].push(v.strides[d]));
    }
  }
  if (!dims.length) {
    dims.push(1);
    strides.forEach((s) => s.push(1));
  }
  const rank = dims.length;
  if (rank === 1 && strides.every((s) => s[0] === 1)) {
    const vec = n % 4 === 0 && views.every((v) => v.offset % 4 === 0);
    return { layout: { kind: vec ? 'vec4' : 'contig' }, n, shape: dims, strides };
  }
  if (rank <= 3 && dims[rank - 1] >= 32 && dims.slice(0, -1).every((s) => s <= 65535)) {
    // pad to 3 dims at the front
    while (dims.length < 3) {
      dims.unshift(1);
      strides.forEach((s) => s.unshift(0));
    }
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
 * The slot: n elements (vec4s on the vec4 path), the merged rank, element offsets of inputs A, B, C
 * and the output, the op's scalars p0 and p1, the merged shape and each operand's strides (unused
 * inputs and dims left 0).
 */
export const EW_PARAMS = paramBlock({
  n: 'u32',
  rank: 'u32',
  offA: 'u32',
  offB: 'u32',
  offC: 'u32',
  offO: 'u32',
  p0: 'f32',
  p1: 'f32',
  shape: ['u32', MAX_DIMS],
  stridesA: ['u32', MAX_DIMS],
  stridesB: ['u32', MAX_DIMS],
  stridesC: ['u32', MAX_DIMS],
  stridesO: ['u32', MAX_DIMS],
});
const OFFSETS = ['offA', 'offB', 'offC'] as const;
const STRIDES = ['stridesA', 'stridesB', 'stridesC'] as const;

/** The expression is scalar: the vec4 path applies it per component. */
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
    const comps = ['x', 'y', 'z', 'w']
      .map(
        (q) => `{
    ${inputs.map((_, k) => `let ${vars[k]} = f32(v${k}.${q});`).join(' ')}
    r.${q} = ${storeAs(out, e)};
  }`,
      )
      .join('\n  ');
    body = `${FLAT_INDEX(EW_WG)}
  if (i >= n) { return; }
  ${inputs.map((_, k) => `let v${k} = ${names[k]}[${OFFSETS[k]} / 4u + i];`).join('\n  ')}
  var r: vec4<${wgslType(out)}>;
  ${comps}
  O[offO / 4u + i] = r;`;
  } else {
    let index: string;
    if (layout.kind === 'contig') {
      index = `${FLAT_INDEX(EW_WG)}
  if (i >= n) { return; }
  ${inputs.map((_, k) => `let i${k} = ${OFFSETS[k]} + i;`).join(' ')}
  let io = offO + i;`;
    } else if (layout.kind === 'grid') {
      type Strides = (typeof STRIDES)[number] | 'stridesO';
      const at = (s: Strides, off: string) =>
        `${off} + gid.z * ${EW_PARAMS.at(s, 0)} + gid.y * ${EW_PARAMS.at(s, 1)} + gid.x * ${EW_PARAMS.at(s, 2)}`;
      index = `if (gid.x >= ${EW_PARAMS.at('shape', 2)}) { return; }
  ${inputs.map((_, k) => `let i${k} = ${at(STRIDES[k], OFFSETS[k])};`).join('\n  ')}
  let io = ${at('stridesO', 'offO')};`;
    } else {
      // the flat index decomposed from the innermost dim out; the outermost needs no division
      const steps: string[] = [];
      for (let d = layout.rank - 1; d >= 0; d--) {
        const size = EW_PARAMS.at('shape', d);
        const c = d > 0 ? `rem % ${size}` : 'rem';
        steps.push(
          `{ let c = ${c};${d > 0 ? ` rem = rem / ${size};` : ''} ${inputs.map((_, k) => `i${k} += c * ${EW_PARAMS.at(STRIDES[k], d)};`).join(' ')} io += c * ${EW_PARAMS.at('stridesO', d)}; }`,
        );
      }
      index = `${FLAT_INDEX(EW_WG)}
  if (i >= n) { return; }
  var rem = i;
  ${inputs.map((_, k) => `var i${k} = ${OFFSETS[k]};`).join(' ')}
  var io = offO;
  ${steps.join('\n  ')}`;
    }
    body = `${index}
  ${inputs.map((_, k) => `let ${vars[k]} = f32(${names[k]}[i${k}]);`).join('\n  ')}
  O[io] = ${storeAs(out, e)};`;
  }
  return `${decl}
@group(0) @binding(${n}) var<storage, read_write> O: array<${vec ? `vec4<${wgslType(out)}>` : wgslType(out)}>;
${paramBinding(n + 1)}
${MATH_FNS}${BIT_FNS}
@compute @workgroup_size(${EW_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${EW_PARAMS.preamble(['n', ...OFFSETS.slice(0, n), 'offO', 'p0', 'p1'])}
  ${body}
}`;
}

/** an op's WGSL formula (../ops-table.ts), in `a` (and `b`), p0, p1 */
export const unaryExpr = (op: UnaryOp): string => UNARY[op].wgsl;
export const binaryExpr = (op: BinaryOp): string => BINARY[op].wgsl;
