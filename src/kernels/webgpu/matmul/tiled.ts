// The register-tiled matmul kernel (`tile`): every shape. Each invocation keeps a TM×TN block of the
// output in registers, so every value it loads is used TN or TM times; `array<vec4<f32>>` bindings
// where the shape and offsets allow, scalar loads otherwise. The GPU default and the fallback of the
// other two kernels (index.ts). It has no early return and no barriers, for llvmpipe (index.ts).
import type { TileConfig } from './config.js';
import { paramBinding } from '../params.js';
import { C, MATMUL_PARAMS, range, type AMode, type BMode } from './plan.js';

export function matmulSource(
  transA: boolean,
  transB: boolean,
  bias: boolean,
  c: TileConfig,
  aMode: AMode,
  bMode: BMode,
): string {
  const { tm, tn, wgx, wgy } = c;
  if (aMode === 'vm' && tm % 4) throw new Error('matmul: vec4-along-m loads need tm % 4 == 0');
  if (bMode === 'vn' && tn % 4) throw new Error('matmul: vec4-along-n loads need tn % 4 == 0');
  if (
    (aMode === 'vk' && transA) ||
    (aMode === 'vm' && !transA) ||
    (bMode === 'vk' && !transB) ||
    (bMode === 'vn' && transB)
  ) {
    throw new Error(`matmul: load mode ${aMode}/${bMode} does not fit transA=${transA} transB=${transB}`);
  }
  // k advances 4 at a time when a vec4-along-k operand delivers 4 k-values per load (k % 4 == 0),
  // else 1 at a time
  const U = aMode === 'vk' || bMode === 'vk' ? 4 : 1;
  const rows = range(tm),
    cols = range(tn),
    ks = range(U);

  // per-invocation constants: clamped row / column indices (loads stay in bounds; stores are guarded)
  const setup: string[] = [];
  for (const r of rows) setup.push(`let r${r} = min(row0 + ${r}u, m - 1u);`);
  if (aMode === 'vk') for (const r of rows) setup.push(`let ar${r} = aBase + r${r} * (k / 4u);`);
  if (aMode === 's' && !transA) for (const r of rows) setup.push(`let ar${r} = aBase + r${r} * k;`);
  if (aMode === 'vm') for (const q of range(tm / 4)) setup.push(`let am${q} = min(row0 / 4u + ${q}u, m / 4u - 1u);`);
  if (bMode === 'vn') for (const q of range(tn / 4)) setup.push(`let bn${q} = min(col0 / 4u + ${q}u, n / 4u - 1u);`);
  if (bMode !== 'vn' || bias) for (const q of cols) setup.push(`let c${q} = min(col0 + ${q}u, n - 1u);`);
  if (bMode === 'vk') for (const q of cols) setup.push(`let bc${q} = bBase + c${q} * (k / 4u);`);
  if (bMode === 's' && transB) for (const q of cols) setup.push(`let bc${q} = bBase + c${q} * k;`);

  // one step of the k loop: `p` is the first k index of the step (`p4` = p / 4 when U = 4)
  const loads: string[] = [];
  let aVal: (r: number, kk: number) => string;
  let bVal: (kk: number, q: number) => string;
  if (aMode === 'vk') {
    for (const r of rows) loads.push(`let a${r} = A[ar${r} + p4];`);
    aVal = (r, kk) => `a${r}.${C[kk]}`;
  } else if (aMode === 'vm') {
    for (const kk of ks)
      for (const q of range(tm / 4)) loads.push(`let a${kk}_${q} = A[aBase + (p + ${kk}u) * (m / 4u) + am${q}];`);
    aVal = (r, kk) => `a${kk}_${r >> 2}.${C[r & 3]}`;
  } else {
    for (const kk of ks)
      for (const r of rows) {
        loads.push(`let a${kk}_${r} = A[${transA ? `aBase + (p + ${kk}u) * m + r${r}` : `ar${r} + p + ${kk}u`}];`);
      }
    aVal = (r, kk) => `a${kk}_${r}`;
  }
  if (bMode === 'vn') {
    for (const kk of ks)
      for (const q of range(tn / 4)) loads.push(`let b${kk}_${q} = B[bBase + (p + ${kk}u) * (n / 4u) + bn${q}];`);
    bVal = (kk, q) => `b${kk}_${q >> 2}.${C[q & 3]}`;
  } else if (bMode === 'vk') {
    for (const q of cols) loads.push(`let b${q} = B[bc${q} + p4];`);
    bVal = (kk, q) => `b${q}.${C[kk]}`;
  } else {
    for (const kk of ks)
      for (const q of cols) {
        loads.push(`let b${kk}_${q} = B[${transB ? `bc${q} + p + ${kk}u` : `bBase + (p + ${kk}u) * n + c${q}`}];`);
      }
    bVal = (kk, q) => `b${kk}_${q}`;
  }
  // one update per accumulator per step (llvmpipe blends every loop-carried update with the loop mask)
  const fmas: string[] = [];
  for (const r of rows)
    for (const q of cols)
      fmas.push(`acc${r}_${q} += ${ks.map((kk) => `${aVal(r, kk)} * ${bVal(kk, q)}`).join(' + ')};`);

  // bias loaded once per column (every load site is long code on llvmpipe)
  const stores: string[] = [];
  if (bias) for (const q of cols) stores.push(`let bias${q} = Bias[offBias + c${q}];`);
  for (const r of rows) {
    stores.push(`if (row0 + ${r}u < m) {`);
    stores.push(`  let o${r} = (batch * m + row0 + ${r}u) * n + col0;`);
    for (const q of cols) {
      stores.push(`  if (col0 + ${q}u < n) { O[o${r} + ${q}u] = acc${r}_${q}${bias ? ` + bias${q}` : ''}; }`);
    }
    stores.push('}');
  }

  const aT = aMode === 's' ? 'f32' : 'vec4<f32>',
    bT = bMode === 's' ? 'f32' : 'vec4<f32>';
  // with wgy = 1 the row index depends on the workgroup id only (uniform across lanes)
  const rowExpr = wgy === 1 ? `rb * ${tm}u` : `(rb * ${wgy}u + lid.y) * ${tm}u`;
  return `@group(0) @binding(0) var<storage, read> A: array<${aT}>;
@group(0) @binding(1) var<storage, read> B: array<${bT}>;
${bias ? '@group(0) @binding(2) var<storage, read> Bias: array<f32>;' : ''}
@group(0) @binding(${bias ? 3 : 2}) var<storage, read_write> O: array<f32>;
${paramBinding(bias ? 4 : 3)}
@compute @workgroup_size(${wgx}, ${wgy}, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${MATMUL_PARAMS.preamble()}
  let batch = wid.z / ySplit;
  let rb = wid.y + (wid.z % ySplit) * nwg.y;
  let row0 = ${rowExpr};
  let col0 = (wid.x * ${wgx}u + lid.x) * ${tn}u;
  // no early return for lanes past the edge: on llvmpipe a divergent return makes everything after
  // it run under a mask (masked blends on every update). Loads clamp their indices instead and only
  // the stores are guarded.
  let aBase = offA + batch * strideA;
  let bBase = offB + batch * strideB;
  ${setup.join('\n  ')}
  ${rows.map((r) => cols.map((q) => `var acc${r}_${q} = 0.0;`).join(' ')).join('\n  ')}
  ${U === 4 ? 'for (var p4 = 0u; p4 < k / 4u; p4++) {\n    let p = p4 * 4u;' : 'for (var p = 0u; p < k; p++) {'}
    ${loads.join('\n    ')}
    ${fmas.join('\n    ')}
  }
  ${stores.join('\n  ')}
}`;
}
