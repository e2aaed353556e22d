// Batched matmul: out[b] = op(A[b]) @ op(B[b]) (+ bias). Three kernels:
// - `tile`: register tiled, every shape. Each invocation keeps a TM×TN block of the output in
//   registers, so every value it loads is used TN or TM times; `array<vec4<f32>>` bindings where
//   the shape and offsets allow, scalar loads otherwise. The GPU default and the fallback.
// - `subgroup` (further down): for software adapters with subgroups, where it is ~2.5× faster.
// - `packed` (at the end): the subgroup kernel's scheme on copies of A and B repacked so that every
//   load of the hot loop reads consecutive memory; any shape, transpose or alignment. Large
//   products on software adapters.
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
import { ArgumentError, ShapeError } from '../../errors.js';
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
/** The packed kernel (software adapters with subgroups, large products), at the end of the file. */
export interface PackedConfig {
  kind: 'packed';
  /** output rows per subgroup (a multiple of the subgroup size) */
  tm: number;
  /** vec4 column groups per lane: 4·nb columns */
  nb: number;
}
export type MatmulConfig = TileConfig | SgConfig | PackedConfig;

/** Software adapters (llvmpipe/lavapipe, SwiftShader) without subgroups, and their fallback for
 *  unaligned shapes: 8×8 per lane ran ~1.4× faster but took ~2.5× longer to compile (seconds per
 *  variant on llvmpipe), which small odd-sized products never earn back. */
export const SOFTWARE_TILE: TileConfig = { kind: 'tile', tm: 8, tn: 4, wgx: 8, wgy: 1 };
/** Discrete/integrated GPUs: 64×64 output tiles, 256 invocations. */
export const GPU_TILE: TileConfig = { kind: 'tile', tm: 4, tn: 4, wgx: 16, wgy: 16 };
/** Software adapters with subgroups, small products: 32 rows × 4 columns per lane (llvmpipe, 2 cores:
 *  ~33 GFLOP/s at 1024³ including the readback of one element). */
export const SOFTWARE_SG: SgConfig = { kind: 'subgroup', tm: 32, nb: 1, un: 1 };

/** Software adapters with subgroups, large products: 32 rows × 4 columns per lane on packed copies
 *  (llvmpipe, 2 cores: ~41 GFLOP/s at 1024³ and ~45 at 2048³, 1.2× and 1.45× the unpacked kernel,
 *  whose strided loads alias in the cache at power-of-two sizes). */
export const SOFTWARE_PACKED: PackedConfig = { kind: 'packed', tm: 32, nb: 1 };

/** 'tile:TMxTNxWGXxWGY', 'sg:TMxNBxUN' or 'pk:TMxNB' (bench and autotune cache notation) */
export function parseMatmulConfig(s: string): MatmulConfig {
  const [kind, dims] = s.includes(':') ? s.split(':') : ['tile', s];
  const v = dims.split('x').map(Number);
  if (kind === 'sg' && v.length === 3 && v.every((x) => x > 0)) return { kind: 'subgroup', tm: v[0], nb: v[1], un: v[2] };
  if (kind === 'pk' && v.length === 2 && v.every((x) => x > 0)) return { kind: 'packed', tm: v[0], nb: v[1] };
  if (kind === 'tile' && v.length === 4 && v.every((x) => x > 0)) return { kind: 'tile', tm: v[0], tn: v[1], wgx: v[2], wgy: v[3] };
  throw new ArgumentError(`matmul config '${s}': expected tile:TMxTNxWGXxWGY, sg:TMxNBxUN or pk:TMxNB`);
}
export function formatMatmulConfig(c: MatmulConfig): string {
  if (c.kind === 'packed') return `pk:${c.tm}x${c.nb}`;
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
    throw new ShapeError(`webgpu matmul: [${g.batch}, ${g.m}, ${g.k}] @ [${g.k}, ${g.n}] needs a grid of ${gx}×${gy}×${gz} workgroups, over the adapter's ${maxPerDim} per dimension`);
  }
  return { aMode, bMode, groups: [gx, gy, gz], ySplit };
}

/** Pipeline-cache key: everything the source depends on. */
export function matmulKey(g: MatmulArgs, bias: boolean, c: TileConfig | SgConfig, p: MatmulPlan): string {
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
 * Record one matmul dispatch writing `out` ([batch, m, n], dense from 0): the packed kernel when
 * `config` is one and the call fits the adapter's limits, the subgroup kernel when `config` is one
 * (or the packed kernel does not fit) and the call fits it, else the register-tiled kernel with `tile`.
 */
export function encodeMatmul(rt: Runtime, a: View, b: View, g: MatmulArgs, out: GPUBuffer, config: MatmulConfig, tile: TileConfig): void {
  if (g.m * g.n * g.batch === 0) return;
  const bias = g.bias;
  const S = rt.info.subgroupSize;
  if (config.kind === 'packed') {
    const plan = planPacked(g, a.offset, b.offset, config, S, rt.info.limits);
    if (plan) { encodePacked(rt, a, b, g, out, config, S, plan); return; }
    config = SOFTWARE_SG;
  }
  const buffers = bias ? [gpuBuf(a), gpuBuf(b), gpuBuf(bias), out] : [gpuBuf(a), gpuBuf(b), out];
  const maxDim = rt.info.limits.maxComputeWorkgroupsPerDimension;
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

// ---------------------------------------------------------------------------------------------
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

/** lanes per workgroup of the packing passes (llvmpipe: a dispatch of many 8-lane workgroups spends
 *  most of its time starting them) */
export const PACK_WG = 64;

export interface PackedPlan {
  mBlocks: number; nBlocks: number;
  /** quads of k (k rounded up to a multiple of 4, over 4) */
  k4: number;
  /** A and B entries packed: 1 for an operand broadcast over the batch (stride 0) */
  batchA: number; batchB: number;
  /** vec4 loads for the packing passes (aligned, untransposed operands) */
  vecA: boolean; vecB: boolean;
  /** vec4 stores of the output (n % 4 == 0) */
  vecOut: boolean;
  /** bytes of each packed copy */
  aBytes: number; bBytes: number;
}

/** The plan for one call (offsets in elements), or null when the adapter's subgroups or limits do
 *  not allow it. */
export function planPacked(g: MatmulArgs, offA: number, offB: number, c: PackedConfig, S: number,
  L: { maxComputeWorkgroupsPerDimension: number; maxStorageBufferBindingSize: number }): PackedPlan | null {
  if (S < 4 || S > 16 || S % 4 || c.tm % S || c.tm < S || c.nb < 1) return null;
  const W = c.nb * S;
  const mBlocks = Math.ceil(g.m / c.tm), nBlocks = Math.ceil(g.n / (4 * W)), k4 = Math.ceil(g.k / 4);
  const batchA = g.strideA === 0 ? 1 : g.batch, batchB = g.strideB === 0 ? 1 : g.batch;
  const aBytes = batchA * mBlocks * c.tm * k4 * 16, bBytes = batchB * nBlocks * W * k4 * 4 * 16;
  const maxDim = L.maxComputeWorkgroupsPerDimension;
  // grids (either order for the packing passes): packing A (k quads, rows), packing B (column quads,
  // k rounded up to quads), main (row blocks, column blocks); all × batch
  if (Math.max(mBlocks * c.tm, nBlocks * W, 4 * k4, g.batch) > maxDim) return null;
  if (Math.max(aBytes, bBytes) > L.maxStorageBufferBindingSize) return null;
  return {
    mBlocks, nBlocks, k4, batchA, batchB, aBytes, bBytes,
    vecA: !g.transA && aligned(g.k, g.strideA, offA),
    vecB: !g.transB && aligned(g.n, g.strideB, offB),
    vecOut: g.n % 4 === 0,
  };
}

/**
 * Pack A into Ap (layout above). One invocation per output vec4; grid x runs along A's contiguous
 * dimension (k quads, or rows when A is stored transposed) in workgroups of PACK_WG, y along the
 * other, z over batch entries. P: [0] m, [1] k, [2] k4, [3] strideA, [4] offA (both in vec4s when
 * `vec`), [5] padded rows per batch entry.
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
@group(0) @binding(2) var<storage, read> P: array<u32>;
@compute @workgroup_size(${PACK_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let m = P[0]; let k = P[1]; let k4 = P[2];
  let p4 = gid.${transA ? 'y' : 'x'}; let row = gid.${transA ? 'x' : 'y'}; let bz = gid.z;
  if (p4 >= k4 || row >= P[5]) { return; }
  let base = P[4] + bz * P[3];
  var v = vec4<f32>(0.0);
  ${load}
  let r = row % ${tm}u;
  O[(bz * P[5] + row - r) * k4 + p4 * ${tm}u + r] = v;
}`;
}

/**
 * Pack B into Bp (layout above). One invocation per output vec4; grid x runs along B's contiguous
 * dimension (column quads, or k when B is stored transposed) in workgroups of PACK_WG, y along the
 * other (k rounded up to quads), z over batch entries. P: [0] n, [1] k, [2] 4·k4, [3] strideB,
 * [4] offB (both in vec4s when `vec`), [5] padded column quads per batch entry.
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
@group(0) @binding(2) var<storage, read> P: array<u32>;
@compute @workgroup_size(${PACK_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = P[0]; let k = P[1]; let kp = P[2];
  let cq = gid.${transB ? 'y' : 'x'}; let kk = gid.${transB ? 'x' : 'y'}; let bz = gid.z;
  if (cq >= P[5] || kk >= kp) { return; }
  let base = P[4] + bz * P[3];
  var v = vec4<f32>(0.0);
  ${load}
  let c = cq % ${w}u;
  O[(bz * P[5] + cq - c) * kp + kk * ${w}u + c] = v;
}`;
}

/**
 * The main kernel on packed operands: one subgroup (workgroup of S lanes) per tm × 4·nb·S output
 * tile; grid (row blocks, column blocks, batch). P: [0] m, [1] n, [2] k4, [3] Ap stride per batch
 * entry, [4] Bp stride (vec4s; 0 for a broadcast operand), [5] offBias.
 */
export function matmulPackedSource(bias: boolean, c: PackedConfig, S: number, vecOut: boolean): string {
  const { tm, nb } = c;
  const W = nb * S;
  const rows = range(tm), js = range(nb), qs = range(tm / S);
  const L: string[] = [];
  for (const q of qs) L.push(`let aV${q} = A[aP + p4 * ${tm}u + ${q * S}u];`);
  for (const cc of range(4)) for (const j of js) L.push(`let b${cc}_${j} = B[bP + p4 * ${4 * W}u + ${cc * W + j * S}u];`);
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
    if (bias) stores.push(`let bias${j} = vec4<f32>(${range(4).map((e) => `Bias[P[5] + min(cq${j} * 4u + ${e}u, n - 1u)]`).join(', ')});`);
  }
  for (const r of rows) {
    stores.push(`if (row0 + ${r}u < m) {`);
    stores.push(`  let o${r} = (wid.z * m + row0 + ${r}u) * ${vecOut ? 'n4' : 'n'};`);
    for (const j of js) {
      const v = `acc${r}_${j}${bias ? ` + bias${j}` : ''}`;
      if (vecOut) stores.push(`  if (cq${j} < n4) { O[o${r} + cq${j}] = ${v}; }`);
      else {
        stores.push(`  { let v = ${v};`);
        for (const e of range(4)) stores.push(`    if (cq${j} * 4u + ${e}u < n) { O[o${r} + cq${j} * 4u + ${e}u] = v.${C[e]}; }`);
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
@group(0) @binding(${bias ? 4 : 3}) var<storage, read> P: array<u32>;
@compute @workgroup_size(${S}, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  let m = P[0]; let n = P[1]; let k4 = P[2]; let n4 = n / 4u;
  let row0 = wid.x * ${tm}u;
  let aP = wid.z * P[3] + wid.x * k4 * ${tm}u + lane;
  let bP = wid.z * P[4] + wid.y * k4 * ${4 * W}u + lane;
  ${rows.map((r) => js.map((j) => `var acc${r}_${j} = vec4<f32>(0.0);`).join(' ')).join('\n  ')}
  for (var p4 = 0u; p4 < k4; p4++) {
    ${L.join('\n    ')}
  }
  ${stores.join('\n  ')}
}`;
}

/** Record the two packing passes and the main kernel (three dispatches; the copies go back to the
 *  pool once submitted). */
function encodePacked(rt: Runtime, a: View, b: View, g: MatmulArgs, out: GPUBuffer, c: PackedConfig, S: number, p: PackedPlan): void {
  const W = c.nb * S;
  const Ap = rt.createBuffer(p.aBytes), Bp = rt.createBuffer(p.bBytes);
  const da = p.vecA ? 4 : 1, db = p.vecB ? 4 : 1;
  rt.dispatch(`matmul:packA:${g.transA ? 'T' : 'N'}:${p.vecA ? 'v' : 's'}:${c.tm}`, () => packASource(g.transA, p.vecA, c.tm), [gpuBuf(a), Ap],
    (u) => { u[0] = g.m; u[1] = g.k; u[2] = p.k4; u[3] = g.strideA / da; u[4] = a.offset / da; u[5] = p.mBlocks * c.tm; },
    g.transA ? [Math.ceil(p.mBlocks * c.tm / PACK_WG), p.k4, p.batchA] : [Math.ceil(p.k4 / PACK_WG), p.mBlocks * c.tm, p.batchA]);
  rt.dispatch(`matmul:packB:${g.transB ? 'T' : 'N'}:${p.vecB ? 'v' : 's'}:${W}`, () => packBSource(g.transB, p.vecB, W), [gpuBuf(b), Bp],
    (u) => { u[0] = g.n; u[1] = g.k; u[2] = 4 * p.k4; u[3] = g.strideB / db; u[4] = b.offset / db; u[5] = p.nBlocks * W; },
    g.transB ? [Math.ceil(4 * p.k4 / PACK_WG), p.nBlocks * W, p.batchB] : [Math.ceil(p.nBlocks * W / PACK_WG), 4 * p.k4, p.batchB]);
  const bias = g.bias;
  rt.dispatch(`matmul:${formatMatmulConfig(c)}:${bias ? 'bias' : ''}:${p.vecOut ? 'v' : 's'}`, () => matmulPackedSource(!!bias, c, S, p.vecOut),
    bias ? [Ap, Bp, gpuBuf(bias), out] : [Ap, Bp, out],
    (u) => {
      u[0] = g.m; u[1] = g.n; u[2] = p.k4;
      u[3] = p.batchA > 1 ? p.mBlocks * c.tm * p.k4 : 0; u[4] = p.batchB > 1 ? p.nBlocks * W * 4 * p.k4 : 0;
      u[5] = bias ? bias.offset : 0;
    },
    [p.mBlocks, p.nBlocks, g.batch]);
  rt.releaseBuffer(Ap); rt.releaseBuffer(Bp);
}
