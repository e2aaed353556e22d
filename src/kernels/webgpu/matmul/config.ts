// Matmul kernel configurations: the three kernels' tile shapes, the adapters' defaults, and the
// notation the bench and the autotune cache use ('tile:8x4x8x1', 'sg:32x1x1', 'pk:32x1').
import { ArgumentError } from '../../../errors.js';

/** The register-tiled kernel that runs every shape. */
export interface TileConfig {
  kind: 'tile';
  /** output rows per invocation */
  tm: number;
  /** output columns per invocation (a multiple of 4 enables vec4 loads of B rows) */
  tn: number;
  /** workgroup size: lanes along columns, along rows */
  wgx: number;
  wgy: number;
}
/** The subgroup kernel (aligned shapes on adapters with a fixed subgroup size), subgroup.ts. */
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
/** The packed kernel (software adapters with subgroups, large products), packed.ts. */
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
  if (kind === 'sg' && v.length === 3 && v.every((x) => x > 0))
    return { kind: 'subgroup', tm: v[0], nb: v[1], un: v[2] };
  if (kind === 'pk' && v.length === 2 && v.every((x) => x > 0)) return { kind: 'packed', tm: v[0], nb: v[1] };
  if (kind === 'tile' && v.length === 4 && v.every((x) => x > 0))
    return { kind: 'tile', tm: v[0], tn: v[1], wgx: v[2], wgy: v[3] };
  throw new ArgumentError(`matmul config '${s}': expected tile:TMxTNxWGXxWGY, sg:TMxNBxUN or pk:TMxNB`);
}
export function formatMatmulConfig(c: MatmulConfig): string {
  if (c.kind === 'packed') return `pk:${c.tm}x${c.nb}`;
  return c.kind === 'subgroup' ? `sg:${c.tm}x${c.nb}x${c.un}` : `tile:${c.tm}x${c.tn}x${c.wgx}x${c.wgy}`;
}
