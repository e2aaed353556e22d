// Matmul planning shared by the kernels: how each operand is loaded, the workgroup grid (row blocks
// past the per-dimension limit spill into z), the pipeline key and the parameter slot of the tiled
// and subgroup kernels.
import { ShapeError } from '../../../errors.js';
import type { MatmulArgs } from '../../backend.js';
import { paramBlock } from '../params.js';
import { formatMatmulConfig, type SgConfig, type TileConfig } from './config.js';

/** How each operand is read; chosen per call from the shape, the flags and the offsets. */
export type AMode = 'vk' | 'vm' | 's'; // vec4 along k (A as stored [m,k]) | vec4 along m (stored [k,m]) | scalar
export type BMode = 'vn' | 'vk' | 's'; // vec4 along n (stored [k,n]) | vec4 along k (stored [n,k]) | scalar

export interface MatmulPlan {
  aMode: AMode;
  bMode: BMode;
  /** workgroups [x, y, z] and how many y-chunks each batch entry is split into (the y limit) */
  groups: [number, number, number];
  ySplit: number;
}

export const aligned = (...xs: number[]) => xs.every((x) => x % 4 === 0);

/** Pick the load modes and the grid for one call. Offsets are in elements. */
export function planMatmul(g: MatmulArgs, offA: number, offB: number, c: TileConfig, maxPerDim = 65535): MatmulPlan {
  const { m, n, k } = g;
  let aMode: AMode = 's',
    bMode: BMode = 's';
  void k;
  if (!g.transA && aligned(k, offA, g.strideA)) aMode = 'vk';
  if (g.transA && c.tm % 4 === 0 && aligned(m, offA, g.strideA)) aMode = 'vm';
  if (!g.transB && c.tn % 4 === 0 && aligned(n, offB, g.strideB)) bMode = 'vn';
  if (g.transB && aligned(k, offB, g.strideB)) bMode = 'vk';
  return grid(g, c.tn * c.wgx, c.tm * c.wgy, maxPerDim, aMode, bMode);
}

/** Workgroup grid for tiles of `tileRows` × `tileCols`; row blocks past the per-dimension limit
 *  spill into z (ySplit chunks per batch entry). */
export function grid(
  g: MatmulArgs,
  tileCols: number,
  tileRows: number,
  maxPerDim: number,
  aMode: AMode,
  bMode: BMode,
): MatmulPlan {
  const gx = Math.ceil(g.n / tileCols);
  const rowBlocks = Math.ceil(g.m / tileRows);
  const ySplit = Math.max(1, Math.ceil(rowBlocks / maxPerDim));
  const gy = Math.ceil(rowBlocks / ySplit);
  const gz = g.batch * ySplit;
  if (gx > maxPerDim || gz > maxPerDim) {
    throw new ShapeError(
      `webgpu matmul: [${g.batch}, ${g.m}, ${g.k}] @ [${g.k}, ${g.n}] needs a grid of ${gx}×${gy}×${gz} workgroups, over the adapter's ${maxPerDim} per dimension`,
    );
  }
  return { aMode, bMode, groups: [gx, gy, gz], ySplit };
}

/** Pipeline-cache key: everything the source depends on. */
export function matmulKey(g: MatmulArgs, bias: boolean, c: TileConfig | SgConfig, p: MatmulPlan): string {
  return `matmul:${g.transA ? 'T' : 'N'}${g.transB ? 'T' : 'N'}:${p.aMode}${p.bMode}:${bias ? 'bias' : ''}:${formatMatmulConfig(c)}`;
}

/**
 * The slot of the tiled and subgroup kernels: A/B strides per batch entry and offsets in units of the
 * binding's element (vec4 for a vector mode), the bias offset in elements, and the y-chunks per batch
 * entry.
 */
export const MATMUL_PARAMS = paramBlock({
  m: 'u32',
  n: 'u32',
  k: 'u32',
  strideA: 'u32',
  strideB: 'u32',
  offA: 'u32',
  offB: 'u32',
  offBias: 'u32',
  ySplit: 'u32',
});

export function matmulParams(
  u: Uint32Array,
  f: Float32Array,
  i: Int32Array,
  g: MatmulArgs,
  offA: number,
  offB: number,
  offBias: number,
  p: MatmulPlan,
): void {
  const da = p.aMode === 's' ? 1 : 4,
    db = p.bMode === 's' ? 1 : 4;
  MATMUL_PARAMS.write(u, f, i, {
    m: g.m,
    n: g.n,
    k: g.k,
    strideA: g.strideA / da,
    strideB: g.strideB / db,
    offA: offA / da,
    offB: offB / db,
    offBias,
    ySplit: p.ySplit,
  });
}

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** vector components by index */
export const C = ['x', 'y', 'z', 'w'];
