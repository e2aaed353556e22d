/// <reference types="@webgpu/types" preserve="true" />
// finetorch in a web page or a module Web Worker: the same API as src/index.ts over the browser
// platform (src/platform/browser.ts): the GPU from navigator.gpu, checkpoints as bytes, URLs, Blobs
// or `opfs:` names, the autotune cache in IndexedDB, progress to a callback or the console.
// Importing it acquires the adapter (top-level await) like Node's entry; without WebGPU the default
// device is cpu. Settings Node reads from the environment come from `globalThis.FINETORCH_ENV`,
// set before the import (e.g. { FINETORCH_DEVICE: 'cpu' }).
// Built by scripts/build-browser.mjs into dist/browser/finetorch.js (one ESM file).
import './platform/browser.js';
import { init } from './tensor/device.js';

export * from './exports.js';

await init();
