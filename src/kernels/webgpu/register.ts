// Registers the `webgpu` device, with the GPU from Node's `webgpu` package (runtime.ts's default
// GpuSource). This is the one place that decides where the GPU comes from: src/index.ts imports it,
// and a browser entry would register the same backend over navigator.gpu instead. Acquisition runs
// in torch.init(): the adapter, then the tuned (or cached) matmul and conv kernel choices.
import { DeviceError } from '../../errors.js';
import { registerBackend } from '../registry.js';
import { WebGPUBackend } from './backend.js';
import { prepareConvTiles } from './conv-autotune.js';
import { acquireRuntime, webgpuFailure, type AdapterInfo } from './runtime.js';

let backend: WebGPUBackend | null = null;

registerBackend('webgpu', async () => {
  const rt = await acquireRuntime();
  if (!rt) {
    if (process.env.FINETORCH_REQUIRE_WEBGPU === '1') throw new DeviceError(`FINETORCH_REQUIRE_WEBGPU=1 but ${webgpuFailure()}`);
    return { unavailable: webgpuFailure() };
  }
  backend = new WebGPUBackend(rt);
  await backend.prepareMatmul();
  await prepareConvTiles(rt);
  return backend;
}, { priority: 1 });

/** The webgpu backend once acquired (its runtime, matmul choice: tests, benchmarks, torch.webgpu). */
export function webgpuBackend(): WebGPUBackend | null {
  return backend;
}
/** Adapter info of the acquired device, else null. */
export function webgpuInfo(): AdapterInfo | null {
  return backend ? backend.rt.info : null;
}
