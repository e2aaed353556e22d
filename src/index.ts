/// <reference types="@webgpu/types" preserve="true" />
// finetorch's public face in Node: `import * as torch from 'finetorch'`.
// Importing it acquires the WebGPU adapter once (top-level await) and picks the default device:
// webgpu when an adapter exists, else cpu with a one-line warning. FINETORCH_DEVICE=cpu skips it.
// The Node platform (files, the `webgpu` package, the autotune cache file, SIGINT) is installed
// first; src/browser.ts is the same library over the browser's (src/platform/).
import './platform/node.js';
import { init } from './tensor/device.js';

export * from './exports.js';

await init();
