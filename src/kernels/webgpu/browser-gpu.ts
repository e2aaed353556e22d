// Where the GPU comes from in a browser page or a Web Worker: navigator.gpu (the twin of node-gpu.ts).
// Nothing to wrap the acquisition in (no Dawn warnings on a page's stderr).
import { web } from '../../platform/web-types.js';
import type { GpuSource } from './adapter.js';

export const browserGpu: GpuSource = {
  around: (acquire) => acquire(),
  async create() {
    const gpu = web().navigator?.gpu;
    if (!gpu)
      throw new Error(
        'navigator.gpu is missing (WebGPU needs a secure context, https or localhost, in a browser that ships it)',
      );
    return { gpu, backend: 'browser' };
  },
};
