// Batched matmul: out[b] = op(A[b]) @ op(B[b]) (+ bias). Register tiled: each invocation computes a
// TM×TN block of the output in registers, so every value loaded is reused TN or TM times. Operand
// transposes are folded into the index arithmetic, so linear layers and backward passes never
// materialise a transposed copy.

export interface MatmulConfig { tm: number; tn: number; wgx: number; wgy: number }
export const DEFAULT_MATMUL: MatmulConfig = { tm: 4, tn: 4, wgx: 8, wgy: 8 };

/** P: [0] m, [1] n, [2] k, [3] strideA, [4] strideB, [5] offA, [6] offB, [7] offBias, [8] batch */
export function matmulSource(transA: boolean, transB: boolean, bias: boolean, c: MatmulConfig): string {
  const { tm, tn, wgx, wgy } = c;
  // A element (row, p); B element (p, col)
  const aIdx = transA ? `aBase + p * m + row` : `aBase + row * k + p`;
  const bIdx = transB ? `bBase + col * k + p` : `bBase + p * n + col`;
  const rows = Array.from({ length: tm }, (_, r) => r);
  const cols = Array.from({ length: tn }, (_, q) => q);
  return `@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
${bias ? '@group(0) @binding(2) var<storage, read> Bias: array<f32>;' : ''}
@group(0) @binding(${bias ? 3 : 2}) var<storage, read_write> O: array<f32>;
@group(0) @binding(${bias ? 4 : 3}) var<storage, read> P: array<u32>;
@compute @workgroup_size(${wgx}, ${wgy}, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let m = P[0]; let n = P[1]; let k = P[2];
  let batch = gid.z;
  let row0 = gid.y * ${tm}u;
  let col0 = gid.x * ${tn}u;
  if (row0 >= m || col0 >= n) { return; }
  let aBase = P[5] + batch * P[3];
  let bBase = P[6] + batch * P[4];
  ${rows.map((r) => `var acc${r} = array<f32, ${tn}>(${cols.map(() => '0.0').join(', ')});`).join('\n  ')}
  for (var p = 0u; p < k; p++) {
    ${cols.map((q) => `let col${q} = min(col0 + ${q}u, n - 1u);`).join(' ')}
    ${cols.map((q) => `let b${q} = B[${bIdx.replace('col', `col${q}`)}];`).join(' ')}
    ${rows
      .map((r) => `{ let row = min(row0 + ${r}u, m - 1u); let a = A[${aIdx}]; ${cols.map((q) => `acc${r}[${q}] += a * b${q};`).join(' ')} }`)
      .join('\n    ')}
  }
  let oBase = batch * m * n;
  ${rows
    .map((r) => cols
      .map((q) => `if (row0 + ${r}u < m && col0 + ${q}u < n) { O[oBase + (row0 + ${r}u) * n + col0 + ${q}u] = acc${r}[${q}]${bias ? ` + Bias[P[7] + col0 + ${q}u]` : ''}; }`)
      .join('\n  '))
    .join('\n  ')}
}`;
}
