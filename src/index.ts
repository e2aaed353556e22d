/// <reference types="@webgpu/types" preserve="true" />
// finetorch's public face: `import * as torch from 'finetorch'`.
// Importing it acquires the WebGPU adapter once (top-level await) and picks the default device:
// webgpu when an adapter exists, else cpu with a one-line warning. FINETORCH_DEVICE=cpu skips it.
// The devices are the backends registered here (src/kernels/registry.ts); a browser entry would
// register its own GPU in place of Node's.
import './kernels/cpu/register.js';
import './kernels/webgpu/register.js';
import { init } from './tensor/device.js';
import './autograd/methods.js';

export { Tensor } from './tensor/tensor.js';
export * from './tensor/creation.js';
export { manualSeed, Generator, defaultGenerator } from './tensor/random.js';
export { memory, scope, keep, resetPeak, type MemoryStats } from './tensor/memory.js';
export { init, defaultDevice, setDefaultDevice, isAvailable, type Device } from './tensor/device.js';
export type { DType } from './kernels/backend.js';
export * from './errors.js';
export * from './autograd/index.js';
export * as webgpu from './webgpu.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as models from './models/index.js';
export * as data from './data/index.js';
export * as finetune from './finetune/index.js';
export * from './io/index.js';

await init();
