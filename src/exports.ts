// Everything `import * as torch from 'finetorch'` offers, shared by the two entry points: src/index.ts
// (Node: installs platform/node.ts) and src/browser.ts (a page or a Web Worker: platform/browser.ts).
// The entry installs its platform before this module's imports run and calls init() after them.
// The devices are the backends registered here (src/kernels/registry.ts); webgpu's GPU object comes
// from the platform (the `webgpu` package in Node, navigator.gpu in a browser).
import './kernels/cpu/register.js';
import './kernels/webgpu/register.js';
import './autograd/methods.js';
import { InvertedResidual as MobileNetV2Block } from './models/mobilenetv2.js';
import { InvertedResidual as MobileNetV3Block } from './models/mobilenetv3.js';
import * as modelsNs from './models/index.js';
import { keepModuleNames } from './nn/module.js';
import * as nnNs from './nn/index.js';
import * as optimNs from './optim/index.js';

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

// module classes keep their names through minification (print(model) shows them)
keepModuleNames({ ...nnNs, ...modelsNs, ...optimNs.swaUtils });
keepModuleNames({ InvertedResidual: MobileNetV2Block });
keepModuleNames({ InvertedResidual: MobileNetV3Block });
