// Batched matmul: out[b] = op(A[b]) @ op(B[b]) (+ bias). Three kernels:
// - `tile` (tiled.ts): register tiled, every shape. Each invocation keeps a TM×TN block of the output in
//   registers, so every value it loads is used TN or TM times; `array<vec4<f32>>` bindings where
//   the shape and offsets allow, scalar loads otherwise. The GPU default and the fallback.
// - `subgroup` (subgroup.ts): for software adapters with subgroups, where it is ~2.5× faster.
// - `packed` (packed.ts): the subgroup kernel's scheme on copies of A and B repacked so that every
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
// Planning and the parameter slot are in plan.ts, the choice of kernel per call in encode.ts.
export * from './config.js';
export { matmulKey, matmulParams, planMatmul, type AMode, type BMode, type MatmulPlan } from './plan.js';
export { matmulSource } from './tiled.js';
export { matmulSgSource, planSg, sgFits } from './subgroup.js';
export { matmulPackedSource, packASource, packBSource, PACK_WG, planPacked, type PackedPlan } from './packed.js';
export { encodeMatmul } from './encode.js';
