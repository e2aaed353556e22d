// What the launchers split out of the WebGPU backend (pool-launch.ts, norm-launch.ts, optim-launch.ts, …)
// need of it: the runtime to dispatch on and an allocator of device storages; and the buffer behind a
// view or storage, which every launcher (the convolution passes too) reads through `buf`.
import type { DType, Storage, View } from '../backend.js';
import type { Runtime } from './runtime.js';

export interface LaunchContext {
  readonly rt: Runtime;
  alloc(length: number, dtype: DType): Storage;
  fill(dst: View, value: number): void;
}

/** a dtype's letter in kernel keys */
export const dtypeKey = (d: DType) => (d === 'float32' ? 'f' : d === 'int32' ? 'i' : 'b');

/** the GPU buffer behind a view or a storage */
export const buf = (v: View | Storage): GPUBuffer => ('storage' in v ? v.storage.handle : v.handle) as GPUBuffer;
