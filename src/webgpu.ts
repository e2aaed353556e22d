// `torch.webgpu`: the adapter behind the webgpu device.
import { webgpuBackend, webgpuInfo } from './kernels/webgpu/register.js';
import { releaseRuntime } from './kernels/webgpu/runtime.js';

/** Adapter info: vendor, architecture, description, whether it is a software/fallback adapter, limits. */
export const info = webgpuInfo;
export const isAvailable = () => webgpuBackend() !== null;
/** Wait until all queued GPU work has finished (benchmarks). */
export async function synchronize(): Promise<void> {
  await webgpuBackend()?.rt.sync();
}
/**
 * Destroy every pooled GPU buffer that no tensor uses (PyTorch's `torch.cuda.empty_cache()`): the
 * memory `torch.memory().webgpu.pooledBytes` reports goes back to the driver. Live tensors are
 * untouched. The pool also shrinks on its own (buffer-pool.ts: idle buffers and a byte limit).
 */
export function emptyCache(): void {
  webgpuBackend()?.rt.trimPool();
}
/** Dispatches issued so far on a device (tests count them). */
export function dispatchCount(): number {
  return webgpuBackend()?.dispatches ?? 0;
}
/** Let the process exit: Dawn keeps Node alive while the device is referenced. */
export const release = releaseRuntime;
