// Convolution options and per-adapter tile choices: the path switches tests and benchmarks flip
// (convOptions), the forward tile per output-width class the autotuner sets (conv-autotune.ts), and the
// budgets that decide between the tiled and direct kernels.
import type { Runtime } from './runtime.js';

/** windows with more taps than this use the direct kernels (unrolled code would be too large) */
export const MAX_TILED_TAPS = 64;
/** unrolled multiply-adds per input channel in a forward invocation (register and compile budget) */
export const FWD_FMA_BUDGET = 576;
/** invocations the weight gradient aims for before it stops splitting the reduction */
export const WGRAD_TARGET_LANES = 8192;
/** accumulators (output channels × taps) per weight-gradient invocation */
export const WGRAD_MAX_ACC = 72;

/**
 * Switches for benchmarks and tests (both paths must stay correct): use subgroup operations where
 * the device has them; send depthwise convolutions to their own kernels (off: the generic path,
 * for before/after benchmarks); `fwd` overrides the forward tile the planner picks (tile sweeps).
 */
export const convOptions: {
  subgroups: boolean;
  depthwise: boolean;
  fwd?: { tm?: number; rows?: number; wg?: number };
  wgrad?: { tm?: number; rw?: number; wg?: number; lanes?: number };
} = { subgroups: true, depthwise: true };

/**
 * Forward-tile limits, per adapter and output-width class (chosen by conv-autotune.ts; the
 * defaults until it runs): tm, output channels per invocation with subgroups (4 or 8); rows, the
 * most output rows per invocation (the unrolled-FMA budget may allow fewer); wg, workgroup size.
 */
export interface ConvTile {
  tm: number;
  rows: number;
  wg: number;
}
/** Wide images (16+ output columns) and narrow ones can want different tiles. */
export type ConvClass = 'wide' | 'narrow';
export const CONV_CLASSES: readonly ConvClass[] = ['wide', 'narrow'];
export const convClass = (ow: number): ConvClass => (ow >= 16 ? 'wide' : 'narrow');
/**
 * On a software adapter 8 lanes (one SIMD vector) measured faster than 64 (a small workgroup keeps
 * one pixel block in cache while every channel block passes over it) and wastes nothing on small
 * problems; GPUs want larger groups.
 */
export const defaultConvTile = (software: boolean): ConvTile => ({ tm: 8, rows: 4, wg: software ? 8 : 64 });
export const tiles = new WeakMap<Runtime, Record<ConvClass, ConvTile>>();
export function setConvTiles(rt: Runtime, t: Record<ConvClass, ConvTile>): void {
  tiles.set(rt, t);
}
export function convTile(rt: Runtime, ow: number): ConvTile {
  return tiles.get(rt)?.[convClass(ow)] ?? defaultConvTile(rt.info.isSoftware);
}

/** The device's subgroup size when it has the `subgroups` feature and one fixed size, else 0. */
export function subgroupSize(rt: Runtime): number {
  if (!convOptions.subgroups || !rt.device.features.has('subgroups')) return 0;
  const ai = (rt.device as unknown as { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } })
    .adapterInfo;
  const min = ai?.subgroupMinSize ?? 0;
  return min >= 4 && min === ai?.subgroupMaxSize ? min : 0;
}
