// Batched matmul: out[b] = op(A[b]) @ op(B[b]) (+ bias). Two kernels:
// - `tile`: register tiled, every shape. Each invocation keeps a TM×TN block of the output in
//   registers, so every value it loads is used TN or TM times; `array<vec4<f32>>` bindings where
//   the shape and offsets allow, scalar loads otherwise. The GPU default and the fallback.
// - `subgroup` (further down): for software adapters with subgroups, where it is ~2.5× faster.
// Operand transposes are folded into the index arithmetic (linear layers and backward passes never
// materialise a transposed copy), the bias is added at the store, k = 0 stores 0 (+ bias).
//
// What llvmpipe (Mesa 25, the CPU Vulkan driver behind Dawn here) does with WGSL, measured: the
// invocations of a subgroup are SIMD lanes; every storage-buffer load whose address is not a
// compile-time constant becomes a per-lane sequence with a bounds-check branch per component (~35
// instructions per lane for a vec4, whether or not the address is uniform); a loop-carried update
// is blended with the loop mask; workgroup barriers are coroutine switches. So the kernels avoid
// barriers and workgroup memory (a shared-memory-staged variant ran ~1.7× slower), load as few
// elements per FMA as they can, and keep the hot loop small enough for the instruction cache.
import type { MatmulArgs, View } from '../backend.js';
import type { Runtime } from './runtime.js';

/** The register-tiled kernel that runs every shape. */
export interface TileConfig {
  kind: 'tile';
  /** output rows per invocation */
  tm: number;
  /** output columns per invocation (a multiple of 4 enables vec4 loads of B rows) */
  tn: number;
  /** workgroup size: lanes along columns, along rows */
  wgx: number; wgy: number;
}
/** The subgroup kernel (aligned shapes on adapters with a fixed subgroup size), below. */
export interface SgConfig {
  kind: 'subgroup';
  /** output rows per invocation (shared by the subgroup) */
  tm: number;
  /** vec4 column groups per lane: 4·nb columns */
  nb: number;
  /** groups of 4 k-steps unrolled in the inner loop (code size: every per-lane load site expands to
   *  a long per-lane sequence on llvmpipe, so the hot loop must stay small) */
  un: number;
}
export type MatmulConfig = TileConfig | SgConfig;

/** Software adapters (llvmpipe/lavapipe, SwiftShader) without subgroups, and their fallback for
 *  unaligned shapes: 8×8 per lane ran ~1.4× faster but took ~2.5× longer to compile (seconds per
 *  variant on llvmpipe), which small odd-sized products never earn back. */
export const SOFTWARE_TILE: TileConfig = { kind: 'tile', tm: 8, tn: 4, wgx: 8, wgy: 1 };
/** Discrete/integrated GPUs: 64×64 output tiles, 256 invocations. */
export const GPU_TILE: TileConfig = { kind: 'tile', tm: 4, tn: 4, wgx: 16, wgy: 16 };
/** Software adapters with subgroups: 32 rows × 4 columns per lane (llvmpipe: ~22 GFLOP/s at 1024³). */
export const SOFTWARE_SG: SgConfig = { kind: 'subgroup', tm: 32, nb: 1, un: 1 };

/** 'tile:TMxTNxWGXxWGY' or 'sg:TMxNBxUN' (bench and autotune cache notation) */
export function parseMatmulConfig(s: string): MatmulConfig {
  const [kind, dims] = s.includes(':') ? s.split(':') : ['tile', s];
  const v = dims.split('x').map(Number);
  if (kind === 'sg' && v.length === 3 && v.every((x) => x > 0)) return { kind: 'subgroup', tm: v[0], nb: v[1], un: v[2] };
  if (kind === 'tile' && v.length === 4 && v.every((x) => x > 0)) return { kind: 'tile', tm: v[0], tn: v[1], wgx: v[2], wgy: v[3] };
  throw new Error(`matmul config '${s}': expected tile:TMxTNxWGXxWGY or sg:TMxNBxUN`);
}
export function formatMatmulConfig(c: MatmulConfig): string {
  return c.kind === 'subgroup' ? `sg:${c.tm}x${c.nb}x${c.un}` : `tile:${c.tm}x${c.tn}x${c.wgx}x${c.wgy}`;
}

/** How each operand is read; chosen per call from the shape, the flags and the offsets. */
export type AMode = 'vk' | 'vm' | 's'; // vec4 along k (A as stored [m,k]) | vec4 along m (stored [k,m]) | scalar
export type BMode = 'vn' | 'vk' | 's'; // vec4 along n (stored [k,n]) | vec4 along k (stored [n,k]) | scalar

export interface MatmulPlan {
  aMode: AMode; bMode: BMode;
  /** workgroups [x, y, z] and how many y-chunks each batch entry is split into (the y limit) */
  groups: [number, number, number];
  ySplit: number;
}

const aligned = (...xs: number[]) => xs.every((x) => x % 4 === 0);

/** Pick the load modes and the grid for one call. Offsets are in elements. */
export function planMatmul(g: MatmulArgs, offA: number, offB: number, c: TileConfig, maxPerDim = 65535): MatmulPlan {
  const { m, n, k } = g;
  let aMode: AMode = 's', bMode: BMode = 's';
  void k;
  if (!g.transA && aligned(k, offA, g.strideA)) aMode = 'vk';
  if (g.transA && c.tm % 4 === 0 && aligned(m, offA, g.strideA)) aMode = 'vm';
  if (!g.transB && c.tn % 4 === 0 && aligned(n, offB, g.strideB)) bMode = 'vn';
  if (g.transB && aligned(k, offB, g.strideB)) bMode = 'vk';
  return grid(g, c.tn * c.wgx, c.tm * c.wgy, maxPerDim, aMode, bMode);
}

/** Workgroup grid for tiles of `tileRows` × `tileCols`; row blocks past the per-dimension limit
 *  spill into z (ySplit chunks per batch entry). */
function grid(g: MatmulArgs, tileCols: number, tileRows: number, maxPerDim: number, aMode: AMode, bMode: BMode): MatmulPlan {
  const gx = Math.ceil(g.n / tileCols);
  const rowBlocks = Math.ceil(g.m / tileRows);
  const ySplit = Math.max(1, Math.ceil(rowBlocks / maxPerDim));
  const gy = Math.ceil(rowBlocks / ySplit);
  const gz = g.batch * ySplit;
  if (gx > maxPerDim || gz > maxPerDim) {
    throw new RangeError(`webgpu matmul: [${g.batch}, ${g.m}, ${g.k}] @ [${g.k}, ${g.n}] needs a grid of ${gx}×${gy}×${gz} workgroups, over the adapter's ${maxPerDim} per dimension`);
  }
  return { aMode, bMode, groups: [gx, gy, gz], ySplit };
}

/** Pipeline-cache key: everything the source depends on. */
export function matmulKey(g: MatmulArgs, bias: boolean, c: MatmulConfig, p: MatmulPlan): string {
  return `matmul:${g.transA ? 'T' : 'N'}${g.transB ? 'T' : 'N'}:${p.aMode}${p.bMode}:${bias ? 'bias' : ''}:${formatMatmulConfig(c)}`;
}

/**
 * Params P (u32): [0] m, [1] n, [2] k, [3] strideA, [4] strideB, [5] offA, [6] offB (A/B strides and
 * offsets in units of the binding's element: vec4 for a vector mode), [7] offBias, [8] ySplit.
 */
export function matmulParams(u: Uint32Array, g: MatmulArgs, offA: number, offB: number, offBias: number, p: MatmulPlan): void {
  const da = p.aMode === 's' ? 1 : 4, db = p.bMode === 's' ? 1 : 4;
  u[0] = g.m; u[1] = g.n; u[2] = g.k;
  u[3] = g.strideA / da; u[4] = g.strideB / db; u[5] = offA / da; u[6] = offB / db;
  u[7] = offBias; u[8] = p.ySplit;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const C = ['x', 'y', 'z', 'w'];

export function matmulSource(transA: boolean, transB: boolean, bias: boolean, c: TileConfig, aMode: AMode, bMode: BMode): string {
  const { tm, tn, wgx, wgy } = c;
  if (aMode === 'vm' && tm % 4) throw new Error('matmul: vec4-along-m loads need tm % 4 == 0');
  if (bMode === 'vn' && tn % 4) throw new Error('matmul: vec4-along-n loads need tn % 4 == 0');
  if ((aMode === 'vk' && transA) || (aMode === 'vm' && !transA) || (bMode === 'vk' && !transB) || (bMode === 'vn' && transB)) {
    throw new Error(`matmul: load mode ${aMode}/${bMode} does not fit transA=${transA} transB=${transB}`);
  }
  // k advances 4 at a time when a vec4-along-k operand delivers 4 k-values per load (k % 4 == 0),
  // else 1 at a time
  const U = aMode === 'vk' || bMode === 'vk' ? 4 : 1;
  const rows = range(tm), cols = range(tn), ks = range(U);

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
    for (const kk of ks) for (const q of range(tm / 4)) loads.push(`let a${kk}_${q} = A[aBase + (p + ${kk}u) * (m / 4u) + am${q}];`);
    aVal = (r, kk) => `a${kk}_${r >> 2}.${C[r & 3]}`;
  } else {
    for (const kk of ks) for (const r of rows) {
      loads.push(`let a${kk}_${r} = A[${transA ? `aBase + (p + ${kk}u) * m + r${r}` : `ar${r} + p + ${kk}u`}];`);
    }
    aVal = (r, kk) => `a${kk}_${r}`;
  }
  if (bMode === 'vn') {
    for (const kk of ks) for (const q of range(tn / 4)) loads.push(`let b${kk}_${q} = B[bBase + (p + ${kk}u) * (n / 4u) + bn${q}];`);
    bVal = (kk, q) => `b${kk}_${q >> 2}.${C[q & 3]}`;
  } else if (bMode === 'vk') {
    for (const q of cols) loads.push(`let b${q} = B[bc${q} + p4];`);
    bVal = (kk, q) => `b${q}.${C[kk]}`;
  } else {
    for (const kk of ks) for (const q of cols) {
      loads.push(`let b${kk}_${q} = B[${transB ? `bc${q} + p + ${kk}u` : `bBase + (p + ${kk}u) * n + c${q}`}];`);
    }
    bVal = (kk, q) => `b${kk}_${q}`;
  }
  // one update per accumulator per step (llvmpipe blends every loop-carried update with the loop mask)
  const fmas: string[] = [];
  for (const r of rows) for (const q of cols) fmas.push(`acc${r}_${q} += ${ks.map((kk) => `${aVal(r, kk)} * ${bVal(kk, q)}`).join(' + ')};`);

  // bias loaded once per column (every load site is long code on llvmpipe)
  const stores: string[] = [];
  if (bias) for (const q of cols) stores.push(`let bias${q} = Bias[P[7] + c${q}];`);
  for (const r of rows) {
    stores.push(`if (row0 + ${r}u < m) {`);
    stores.push(`  let o${r} = (batch * m + row0 + ${r}u) * n + col0;`);
    for (const q of cols) {
      stores.push(`  if (col0 + ${q}u < n) { O[o${r} + ${q}u] = acc${r}_${q}${bias ? ` + bias${q}` : ''}; }`);
    }
    stores.push('}');
  }

  const aT = aMode === 's' ? 'f32' : 'vec4<f32>', bT = bMode === 's' ? 'f32' : 'vec4<f32>';
  // with wgy = 1 the row index depends on the workgroup id only (uniform across lanes)
  const rowExpr = wgy === 1 ? `rb * ${tm}u` : `(rb * ${wgy}u + lid.y) * ${tm}u`;
  return `@group(0) @binding(0) var<storage, read> A: array<${aT}>;
@group(0) @binding(1) var<storage, read> B: array<${bT}>;
${bias ? '@group(0) @binding(2) var<storage, read> Bias: array<f32>;' : ''}
@group(0) @binding(${bias ? 3 : 2}) var<storage, read_write> O: array<f32>;
@group(0) @binding(${bias ? 4 : 3}) var<storage, read> P: array<u32>;
@compute @workgroup_size(${wgx}, ${wgy}, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let m = P[0]; let n = P[1]; let k = P[2];
  let ySplit = P[8];
  let batch = wid.z / ySplit;
  let rb = wid.y + (wid.z % ySplit) * nwg.y;
  let row0 = ${rowExpr};
  let col0 = (wid.x * ${wgx}u + lid.x) * ${tn}u;
  // no early return for lanes past the edge: on llvmpipe a divergent return makes everything after
  // it run under a mask (masked blends on every update). Loads clamp their indices instead and only
  // the stores are guarded.
  let aBase = P[5] + batch * P[3];
  let bBase = P[6] + batch * P[4];
  ${setup.join('\n  ')}
  ${rows.map((r) => cols.map((q) => `var acc${r}_${q} = 0.0;`).join(' ')).join('\n  ')}
  ${U === 4 ? 'for (var p4 = 0u; p4 < k / 4u; p4++) {\n    let p = p4 * 4u;' : 'for (var p = 0u; p < k; p++) {'}
    ${loads.join('\n    ')}
    ${fmas.join('\n    ')}
  }
  ${stores.join('\n  ')}
}`;
}

// ---------------------------------------------------------------------------------------------
// Subgroup kernel, for software adapters. One workgroup = one subgroup of S lanes computing `tm`
// rows × 4·nb·S columns; lane l owns the vec4 column groups colBase4 + j·S + l (j < nb) of every
// row. Per quad of k-steps the A values the tile needs (tm rows × 4 k) are loaded ONCE, spread over
// the lanes (tm/S vec4 per lane), and handed to every lane with subgroupBroadcast — on llvmpipe a
// register extract, where a load is a branchy per-lane sequence (~9 instructions per element).
// Only B, whose values differ per lane anyway, is loaded per lane. Products are summed over the
// quad in temporaries before they touch the loop-carried accumulators (llvmpipe blends each
// loop-carried update with the loop mask), and the loop body is kept small: every load site
// expands to ~35 instructions per lane, and an unrolled body that overflows the instruction cache
// ran 2× slower.

/** Whether the subgroup kernel can run this call (vec4 bindings need aligned shapes and offsets). */
export function sgFits(g: MatmulArgs, offA: number, offB: number, c: SgConfig, S: number): boolean {
  if (S < 4 || S > 16 || S % 4 || c.tm % S) return false;
  const aOk = g.transA ? aligned(g.m, offA, g.strideA) : aligned(g.k, offA, g.strideA);
  const bOk = g.transB ? aligned(g.k, offB, g.strideB) : aligned(g.n, offB, g.strideB);
  // vec4 stores of the output
  return aOk && bOk && g.n % 4 === 0;
}

export function planSg(g: MatmulArgs, c: SgConfig, S: number, maxPerDim = 65535): MatmulPlan {
  const p = grid(g, 4 * c.nb * S, c.tm, maxPerDim, g.transA ? 'vm' : 'vk', g.transB ? 'vk' : 'vn');
  // rows along x (see the kernel)
  p.groups = [p.groups[1], p.groups[0], p.groups[2]];
  return p;
}

export function matmulSgSource(transA: boolean, transB: boolean, bias: boolean, c: SgConfig, S: number): string {
  const { tm, nb } = c;
  const rows = range(tm), js = range(nb), es = range(4), cs = range(4), qs = range(tm / S);
  const un = Math.max(1, c.un);
  const setup: string[] = [];
  if (!transA) {
    // lane l loads rows q·S + l
    for (const q of qs) setup.push(`let ar${q} = aBase + min(row0 + ${q * S}u + lane, m - 1u) * k4;`);
  } else {
    // lane l loads k-step (l % 4) of row quads (l / 4) + q·S/4
    setup.push('let lk = lane % 4u;');
    for (const q of qs) setup.push(`let am${q} = min(row0 / 4u + lane / 4u + ${(q * S) / 4}u, m4 - 1u);`);
  }
  for (const j of js) setup.push(`let cq${j} = colBase4 + ${j * S}u + lane;`);
  if (!transB) for (const j of js) setup.push(`let cl${j} = min(cq${j}, n4 - 1u);`);
  // B stored [n, k]: the lane's 4·nb columns are rows of Bt
  else for (const j of js) for (const e of es) setup.push(`let bc${j}_${e} = bBase + min(cq${j} * 4u + ${e}u, n - 1u) * k4;`);

  // loads for one quad of k-steps starting at p (p % 4 == 0), names suffixed with `id`; returns
  // the lines and the product terms of every (row, column group)
  const quad = (p: string, id: string): { L: string[]; terms: (r: number, j: number) => string[] } => {
    const L: string[] = [];
    if (!transA) for (const q of qs) L.push(`let aV${id}_${q} = A[ar${q} + ${p} / 4u];`);
    else for (const q of qs) L.push(`let aV${id}_${q} = A[aBase + (${p} + lk) * m4 + am${q}];`);
    // A(r, cc): non-transposed, lane r % S holds row r's 4 k-values; transposed, lane
    // cc + 4·((r / 4) % (S / 4)) holds rows 4·(r/4).. at k-step cc
    const aOf = (r: number, cc: number) => (transA ? `a${id}_${cc}_${r >> 2}.${C[r & 3]}` : `a${id}_${r}.${C[cc]}`);
    if (!transA) for (const r of rows) L.push(`let a${id}_${r} = subgroupBroadcast(aV${id}_${Math.floor(r / S)}, ${r % S}u);`);
    else for (const cc of cs) for (let rq = 0; rq < tm / 4; rq++) {
      L.push(`let a${id}_${cc}_${rq} = subgroupBroadcast(aV${id}_${Math.floor((4 * rq) / S)}, ${cc + 4 * (rq % (S / 4))}u);`);
    }
    if (!transB) for (const cc of cs) for (const j of js) L.push(`let b${id}_${cc}_${j} = B[bBase + (${p} + ${cc}u) * n4 + cl${j}];`);
    else for (const j of js) for (const e of es) L.push(`let t${id}_${j}_${e} = B[bc${j}_${e} + ${p} / 4u];`);
    const bVec = (cc: number, j: number) => (transB ? `vec4<f32>(${es.map((e) => `t${id}_${j}_${e}.${C[cc]}`).join(', ')})` : `b${id}_${cc}_${j}`);
    return { L, terms: (r, j) => cs.map((cc) => `${aOf(r, cc)} * ${bVec(cc, j)}`) };
  };
  // `count` quads: all loads first, then one update per accumulator (fewer masked read-modify-writes
  // of the spilled accumulators)
  const step = (count: number, p: (u: number) => string, tag: string): string[] => {
    const qsx = range(count).map((u) => quad(p(u), `${tag}${u}`));
    const L = ['{', ...qsx.flatMap((x) => x.L)];
    for (const r of rows) for (const j of js) L.push(`acc${r}_${j} += ${qsx.flatMap((x) => x.terms(r, j)).join(' + ')};`);
    L.push('}');
    return L;
  };
  const body = step(un, (u) => (u === 0 ? 'p' : `(p + ${4 * u}u)`), 'q');

  // k % 4 != 0 happens only with transposed A and plain B (neither reads along k in vec4s)
  const tail: string[] = [];
  if (transA && !transB) {
    for (let rq = 0; rq < tm / 4; rq++) tail.push(`let a${rq} = A[aBase + p * m4 + min(row0 / 4u + ${rq}u, m4 - 1u)];`);
    for (const j of js) tail.push(`let b${j} = B[bBase + p * n4 + cl${j}];`);
    for (const r of rows) for (const j of js) tail.push(`acc${r}_${j} += a${r >> 2}.${C[r & 3]} * b${j};`);
  }

  // n % 4 == 0 here: one vec4 store per row and column group; the bias is loaded once per group
  const stores: string[] = [];
  if (bias) for (const j of js) stores.push(`let bias${j} = vec4<f32>(${es.map((e) => `Bias[P[7] + min(cq${j}, n4 - 1u) * 4u + ${e}u]`).join(', ')});`);
  for (const r of rows) {
    stores.push(`if (row0 + ${r}u < m) {`);
    for (const j of js) stores.push(`  if (cq${j} < n4) { O[(batch * m + row0 + ${r}u) * n4 + cq${j}] = acc${r}_${j}${bias ? ` + bias${j}` : ''}; }`);
    stores.push('}');
  }

  return `enable subgroups;
@group(0) @binding(0) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> B: array<vec4<f32>>;
${bias ? '@group(0) @binding(2) var<storage, read> Bias: array<f32>;' : ''}
@group(0) @binding(${bias ? 3 : 2}) var<storage, read_write> O: array<vec4<f32>>;
@group(0) @binding(${bias ? 4 : 3}) var<storage, read> P: array<u32>;
@compute @workgroup_size(${S}, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let m = P[0]; let n = P[1]; let k = P[2];
  let k4 = k / 4u; let m4 = m / 4u; let n4 = n / 4u;
  let ySplit = P[8];
  let batch = wid.z / ySplit;
  // x walks row blocks: consecutive workgroups reuse one B column panel (L2) and the TLB entries
  // of its strided rows
  let rb = wid.x + (wid.z % ySplit) * nwg.x;
  let row0 = rb * ${tm}u;
  let colBase4 = wid.y * ${nb * S}u;
  let aBase = P[5] + batch * P[3];
  let bBase = P[6] + batch * P[4];
  ${setup.join('\n  ')}
  ${rows.map((r) => js.map((j) => `var acc${r}_${j} = vec4<f32>(0.0);`).join(' ')).join('\n  ')}
  let kMain = k / ${4 * un}u * ${4 * un}u;
  for (var p = 0u; p < kMain; p += ${4 * un}u) {
    ${body.join('\n    ')}
  }
  ${un > 1 ? `for (var p = kMain; p + 4u <= k; p += 4u) {\n    ${step(1, () => 'p', 't').join('\n    ')}\n  }` : ''}
  ${tail.length ? `for (var p = k / 4u * 4u; p < k; p++) {\n    ${tail.join('\n    ')}\n  }` : ''}
  ${stores.join('\n  ')}
}`;
}

const gpuBuf = (v: View) => v.storage.handle as GPUBuffer;

/**
 * Record one matmul dispatch writing `out` ([batch, m, n], dense from 0): the subgroup kernel when
 * `config` is one and the call fits it, else the register-tiled kernel with `tile`.
 */
export function encodeMatmul(rt: Runtime, a: View, b: View, g: MatmulArgs, out: GPUBuffer, config: MatmulConfig, tile: TileConfig): void {
  if (g.m * g.n * g.batch === 0) return;
  const bias = g.bias;
  const buffers = bias ? [gpuBuf(a), gpuBuf(b), gpuBuf(bias), out] : [gpuBuf(a), gpuBuf(b), out];
  const maxDim = rt.info.limits.maxComputeWorkgroupsPerDimension;
  const S = rt.info.subgroupSize;
  const params = (p: MatmulPlan) => (u: Uint32Array) => matmulParams(u, g, a.offset, b.offset, bias ? bias.offset : 0, p);
  // k = 0 needs no special case: the loop runs zero times and the kernel stores 0 (+ bias)
  if (config.kind === 'subgroup' && sgFits(g, a.offset, b.offset, config, S)) {
    const plan = planSg(g, config, S, maxDim);
    rt.dispatch(matmulKey(g, !!bias, config, plan), () => matmulSgSource(g.transA, g.transB, !!bias, config, S), buffers, params(plan), plan.groups);
    return;
  }
  const t = config.kind === 'tile' ? config : tile;
  const plan = planMatmul(g, a.offset, b.offset, t, maxDim);
  rt.dispatch(matmulKey(g, !!bias, t, plan), () => matmulSource(g.transA, g.transB, !!bias, t, plan.aMode, plan.bMode), buffers, params(plan), plan.groups);
}
