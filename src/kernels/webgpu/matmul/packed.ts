// Packed kernel. Two small passes copy the operands into the order the hot loop reads them, zero
// padded to whole tiles and whole quads of k (which also removes every bounds test and alignment
// condition from the loop):
//   Ap[batch][row block][k quad][tm]  vec4 = A(row, 4·quad .. 4·quad+3)
//   Bp[batch][column block][k][W]     vec4 = B(k, 4·c .. 4·c+3), W = nb·S column quads per block
// The main kernel is the subgroup kernel's scheme (one subgroup per tm × 4W output tile; A loaded
// once per subgroup, one vec4 per lane, and broadcast; B loaded per lane), but each of its loads
// now reads S consecutive vec4s, where the unpacked kernel read S rows (A) or 4 rows (B) a
// power-of-two stride apart at the sizes people use: those map to the same cache sets and defeat
// the prefetcher (llvmpipe, main kernels alone at 1024³: 46 vs 37 GFLOP/s of process CPU time; at
// 992 and 1056 both run at ~46). The packing passes cost O(mk + kn) against the product's O(mnk):
// ~3 ms of a 1024³ product's ~50 on 2 cores, so below ~400³ the unpacked kernel is ahead.
import type { MatmulArgs, View } from '../../backend.js';
import type { Runtime } from '../runtime.js';
import { formatMatmulConfig, type PackedConfig } from './config.js';
import { paramBinding, paramBlock } from '../params.js';
import { aligned, C, range } from './plan.js';
import { buf } from '../launch.js';

/** lanes per workgroup of the packing passes (llvmpipe: a dispatch of many 8-lane workgroups spends
 *  most of its time starting them) */
export const PACK_WG = 64;

export interface PackedPlan {
  mBlocks: number;
  nBlocks: number;
  /** quads of k (k rounded up to a multiple of 4, over 4) */
  k4: number;
  /** A and B entries packed: 1 for an operand broadcast over the batch (stride 0) */
  batchA: number;
  batchB: number;
  /** vec4 loads for the packing passes (aligned, untransposed operands) */
  vecA: boolean;
  vecB: boolean;
  /** vec4 stores of the output (n % 4 == 0) */
  vecOut: boolean;
  /** bytes of each packed copy */
  aBytes: number;
  bBytes: number;
}

/** The plan for one call (offsets in elements), or null when the adapter's subgroups or limits do
 *  not allow it. */
export function planPacked(
  g: MatmulArgs,
  offA: number,
  offB: number,
  c: PackedConfig,
  S: number,
  L: { maxComputeWorkgroupsPerDimension: number; maxStorageBufferBindingSize: number },
): PackedPlan | null {
  if (S < 4 || S > 16 || S % 4 || c.tm % S || c.tm < S || c.nb < 1) return null;
  const W = c.nb * S;
  const mBlocks = Math.ceil(g.m / c.tm),
    nBlocks = Math.ceil(g.n / (4 * W)),
    k4 = Math.ceil(g.k / 4);
  const batchA = g.strideA === 0 ? 1 : g.batch,
    batchB = g.strideB === 0 ? 1 : g.batch;
  const aBytes = batchA * mBlocks * c.tm * k4 * 16,
    bBytes = batchB * nBlocks * W * k4 * 4 * 16;
  const maxDim = L.maxComputeWorkgroupsPerDimension;
  // grids (either order for the packing passes): packing A (k quads, rows), packing B (column quads,
  // k rounded up to quads), main (row blocks, column blocks); all × batch
  if (Math.max(mBlocks * c.tm, nBlocks * W, 4 * k4, g.batch) > maxDim) return null;
  if (Math.max(aBytes, bBytes) > L.maxStorageBufferBindingSize) return null;
  return {
    mBlocks,
    nBlocks,
    k4,
    batchA,
    batchB,
    aBytes,
    bBytes,
    vecA: !g.transA && aligned(g.k, g.strideA, offA),
    vecB: !g.transB && aligned(g.n, g.strideB, offB),
    vecOut: g.n % 4 === 0,
  };
}

/** packing A: strideA and offA in vec4s when `vec`; rows: padded rows per batch entry */
export const PACK_A_PARAMS = paramBlock({ m: 'u32', k: 'u32', k4: 'u32', strideA: 'u32', offA: 'u32', rows: 'u32' });
/** packing B: strideB and offB in vec4s when `vec`; kp: k rounded up to quads; quads: padded column
 *  quads per batch entry */
export const PACK_B_PARAMS = paramBlock({ n: 'u32', k: 'u32', kp: 'u32', strideB: 'u32', offB: 'u32', quads: 'u32' });
/** the main kernel: Ap / Bp strides per batch entry in vec4s (0 for a broadcast operand), bias offset */
export const PACKED_PARAMS = paramBlock({
  m: 'u32',
  n: 'u32',
  k4: 'u32',
  strideA: 'u32',
  strideB: 'u32',
  offBias: 'u32',
});

/**
 * Pack A into Ap (layout above). One invocation per output vec4; grid x runs along A's contiguous
 * dimension (k quads, or rows when A is stored transposed) in workgroups of PACK_WG, y along the
 * other, z over batch entries. Parameters: PACK_A_PARAMS.
 */
export function packASource(transA: boolean, vec: boolean, tm: number): string {
  const load = vec
    ? 'if (row < m) { v = A[base + row * k4 + p4]; }'
    : `for (var e = 0u; e < 4u; e++) {
    let p = p4 * 4u + e;
    let ok = row < m && p < k;
    v[e] = select(0.0, A[select(0u, base + ${transA ? 'p * m + row' : 'row * k + p'}, ok)], ok);
  }`;
  return `@group(0) @binding(0) var<storage, read> A: array<${vec ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(1) var<storage, read_write> O: array<vec4<f32>>;
${paramBinding(2)}
@compute @workgroup_size(${PACK_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${PACK_A_PARAMS.preamble()}
  let p4 = gid.${transA ? 'y' : 'x'}; let row = gid.${transA ? 'x' : 'y'}; let bz = gid.z;
  if (p4 >= k4 || row >= rows) { return; }
  let base = offA + bz * strideA;
  var v = vec4<f32>(0.0);
  ${load}
  let r = row % ${tm}u;
  O[(bz * rows + row - r) * k4 + p4 * ${tm}u + r] = v;
}`;
}

/**
 * Pack B into Bp (layout above). One invocation per output vec4; grid x runs along B's contiguous
 * dimension (column quads, or k when B is stored transposed) in workgroups of PACK_WG, y along the
 * other (k rounded up to quads), z over batch entries. Parameters: PACK_B_PARAMS.
 */
export function packBSource(transB: boolean, vec: boolean, w: number): string {
  const load = vec
    ? 'if (kk < k && cq < n / 4u) { v = B[base + kk * (n / 4u) + cq]; }'
    : `for (var e = 0u; e < 4u; e++) {
    let col = cq * 4u + e;
    let ok = kk < k && col < n;
    v[e] = select(0.0, B[select(0u, base + ${transB ? 'col * k + kk' : 'kk * n + col'}, ok)], ok);
  }`;
  return `@group(0) @binding(0) var<storage, read> B: array<${vec ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(1) var<storage, read_write> O: array<vec4<f32>>;
${paramBinding(2)}
@compute @workgroup_size(${PACK_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${PACK_B_PARAMS.preamble()}
  let cq = gid.${transB ? 'y' : 'x'}; let kk = gid.${transB ? 'x' : 'y'}; let bz = gid.z;
  if (cq >= quads || kk >= kp) { return; }
  let base = offB + bz * strideB;
  var v = vec4<f32>(0.0);
  ${load}
  let c = cq % ${w}u;
  O[(bz * quads + cq - c) * kp + kk * ${w}u + c] = v;
}`;
}

/**
 * The main kernel on packed operands: one subgroup (workgroup of S lanes) per tm × 4·nb·S output
 * tile; grid (row blocks, column blocks, batch). Parameters: PACKED_PARAMS.
 */
export function matmulPackedSource(bias: boolean, c: PackedConfig, S: number, vecOut: boolean): string {
  const { tm, nb } = c;
  const W = nb * S;
  const rows = range(tm),
    js = range(nb),
    qs = range(tm / S);
  const L: string[] = [];
  for (const q of qs) L.push(`let aV${q} = A[aP + p4 * ${tm}u + ${q * S}u];`);
  for (const cc of range(4))
    for (const j of js) L.push(`let b${cc}_${j} = B[bP + p4 * ${4 * W}u + ${cc * W + j * S}u];`);
  // row by row: broadcast the row's 4 k-values, then its updates, so few broadcasts are live at once
  for (const r of rows) {
    L.push(`let a${r} = subgroupBroadcast(aV${Math.floor(r / S)}, ${r % S}u);`);
    for (const j of js) {
      let e = `acc${r}_${j}`;
      for (const cc of range(4)) e = `fma(vec4<f32>(a${r}.${C[cc]}), b${cc}_${j}, ${e})`;
      L.push(`acc${r}_${j} = ${e};`);
    }
  }
  const stores: string[] = [];
  for (const j of js) {
    stores.push(`let cq${j} = wid.y * ${W}u + ${j * S}u + lane;`);
    if (bias)
      stores.push(
        `let bias${j} = vec4<f32>(${range(4)
          .map((e) => `Bias[offBias + min(cq${j} * 4u + ${e}u, n - 1u)]`)
          .join(', ')});`,
      );
  }
  for (const r of rows) {
    stores.push(`if (row0 + ${r}u < m) {`);
    stores.push(`  let o${r} = (wid.z * m + row0 + ${r}u) * ${vecOut ? 'n4' : 'n'};`);
    for (const j of js) {
      const v = `acc${r}_${j}${bias ? ` + bias${j}` : ''}`;
      if (vecOut) stores.push(`  if (cq${j} < n4) { O[o${r} + cq${j}] = ${v}; }`);
      else {
        stores.push(`  { let v = ${v};`);
        for (const e of range(4))
          stores.push(`    if (cq${j} * 4u + ${e}u < n) { O[o${r} + cq${j} * 4u + ${e}u] = v.${C[e]}; }`);
        stores.push('  }');
      }
    }
    stores.push('}');
  }
  return `enable subgroups;
@group(0) @binding(0) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> B: array<vec4<f32>>;
${bias ? '@group(0) @binding(2) var<storage, read> Bias: array<f32>;' : ''}
@group(0) @binding(${bias ? 3 : 2}) var<storage, read_write> O: array<${vecOut ? 'vec4<f32>' : 'f32'}>;
${paramBinding(bias ? 4 : 3)}
@compute @workgroup_size(${S}, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  ${PACKED_PARAMS.preamble()}
  let n4 = n / 4u;
  let row0 = wid.x * ${tm}u;
  let aP = wid.z * strideA + wid.x * k4 * ${tm}u + lane;
  let bP = wid.z * strideB + wid.y * k4 * ${4 * W}u + lane;
  ${rows.map((r) => js.map((j) => `var acc${r}_${j} = vec4<f32>(0.0);`).join(' ')).join('\n  ')}
  for (var p4 = 0u; p4 < k4; p4++) {
    ${L.join('\n    ')}
  }
  ${stores.join('\n  ')}
}`;
}

/** Record the two packing passes and the main kernel (three dispatches; the copies go back to the
 *  pool once submitted). */
export function encodePacked(
  rt: Runtime,
  a: View,
  b: View,
  g: MatmulArgs,
  out: GPUBuffer,
  c: PackedConfig,
  S: number,
  p: PackedPlan,
): void {
  const W = c.nb * S;
  const Ap = rt.createBuffer(p.aBytes),
    Bp = rt.createBuffer(p.bBytes);
  const da = p.vecA ? 4 : 1,
    db = p.vecB ? 4 : 1;
  rt.dispatch(
    `matmul:packA:${g.transA ? 'T' : 'N'}:${p.vecA ? 'v' : 's'}:${c.tm}`,
    () => packASource(g.transA, p.vecA, c.tm),
    [buf(a), Ap],
    (u, f, i) =>
      PACK_A_PARAMS.write(u, f, i, {
        m: g.m,
        k: g.k,
        k4: p.k4,
        strideA: g.strideA / da,
        offA: a.offset / da,
        rows: p.mBlocks * c.tm,
      }),
    g.transA
      ? [Math.ceil((p.mBlocks * c.tm) / PACK_WG), p.k4, p.batchA]
      : [Math.ceil(p.k4 / PACK_WG), p.mBlocks * c.tm, p.batchA],
  );
  rt.dispatch(
    `matmul:packB:${g.transB ? 'T' : 'N'}:${p.vecB ? 'v' : 's'}:${W}`,
    () => packBSource(g.transB, p.vecB, W),
    [buf(b), Bp],
    (u, f, i) =>
      PACK_B_PARAMS.write(u, f, i, {
        n: g.n,
        k: g.k,
        kp: 4 * p.k4,
        strideB: g.strideB / db,
        offB: b.offset / db,
        quads: p.nBlocks * W,
      }),
    g.transB
      ? [Math.ceil((4 * p.k4) / PACK_WG), p.nBlocks * W, p.batchB]
      : [Math.ceil((p.nBlocks * W) / PACK_WG), 4 * p.k4, p.batchB],
  );
  const bias = g.bias;
  rt.dispatch(
    `matmul:${formatMatmulConfig(c)}:${bias ? 'bias' : ''}:${p.vecOut ? 'v' : 's'}`,
    () => matmulPackedSource(!!bias, c, S, p.vecOut),
    bias ? [Ap, Bp, buf(bias), out] : [Ap, Bp, out],
    (u, f, i) =>
      PACKED_PARAMS.write(u, f, i, {
        m: g.m,
        n: g.n,
        k4: p.k4,
        strideA: p.batchA > 1 ? p.mBlocks * c.tm * p.k4 : 0,
        strideB: p.batchB > 1 ? p.nBlocks * W * 4 * p.k4 : 0,
        offBias: bias ? bias.offset : 0,
      }),
    [p.mBlocks, p.nBlocks, g.batch],
  );
  rt.releaseBuffer(Ap);
  rt.releaseBuffer(Bp);
}
