// Registers the `webgpu` device, with the GPU from the platform's GpuSource (src/platform/: Node's
// `webgpu` package, a browser's navigator.gpu). Acquisition runs in torch.init(): the adapter, the
// autotune cache (a file in Node, IndexedDB in a browser), then the tuned (or cached) matmul and
// conv kernel choices.
import { DeviceError } from '../../errors.js';
import { platform } from '../../platform/platform.js';
import { registerBackend } from '../registry.js';
import { WebGPUBackend } from './backend.js';
import { prepareConvTiles } from './conv-autotune.js';
import { acquireRuntime, webgpuFailure, type AdapterInfo } from './runtime.js';

let backend: WebGPUBackend | null = null;

registerBackend(
  'webgpu',
  async () => {
    const rt = await acquireRuntime();
    if (!rt) {
      if (platform().env('FINETORCH_REQUIRE_WEBGPU') === '1')
        throw new DeviceError(`FINETORCH_REQUIRE_WEBGPU=1 but ${webgpuFailure()}`);
      return { unavailable: webgpuFailure() };
    }
    await platform().tuneCache.load();
    backend = new WebGPUBackend(rt);
    await backend.prepareMatmul();
    await prepareConvTiles(rt);
    return backend;
  },
  { priority: 1 },
);

/** The webgpu backend once acquired (its runtime, matmul choice: tests, benchmarks, torch.webgpu). */
export function webgpuBackend(): WebGPUBackend | null {
  return backend;
}
/** Adapter info of the acquired device, else null. */
export function webgpuInfo(): AdapterInfo | null {
  return backend ? backend.rt.info : null;
}
