// Which backends exist and which device tensors land on by default.
import { DeviceError } from '../errors.js';
import type { Backend, DeviceType } from '../kernels/backend.js';
import { CpuBackend } from '../kernels/cpu/backend.js';
import { WebGPUBackend } from '../kernels/webgpu/backend.js';
import { prepareConvTiles } from '../kernels/webgpu/conv-autotune.js';
import { acquireRuntime, webgpuFailure, type AdapterInfo } from '../kernels/webgpu/runtime.js';

export type Device = DeviceType;
const cpu = new CpuBackend();
let webgpu: WebGPUBackend | null = null;
let defaultDev: Device = 'cpu';
let initialised = false;
let warned = false;

/**
 * Acquire the WebGPU adapter (once) and choose the default device: webgpu when an adapter exists,
 * else cpu with a one-line warning. `FINETORCH_DEVICE=cpu` skips the adapter entirely.
 */
export async function init(): Promise<Device> {
  if (initialised) return defaultDev;
  initialised = true;
  const wanted = process.env.FINETORCH_DEVICE;
  if (wanted === 'cpu') {
    defaultDev = 'cpu';
    return defaultDev;
  }
  const rt = await acquireRuntime();
  if (rt) {
    webgpu = new WebGPUBackend(rt);
    await webgpu.prepareMatmul();
    await prepareConvTiles(rt);
    defaultDev = 'webgpu';
  } else {
    if (process.env.FINETORCH_REQUIRE_WEBGPU === '1') throw new DeviceError(`FINETORCH_REQUIRE_WEBGPU=1 but ${webgpuFailure()}`);
    if (!warned) console.warn(`finetorch: ${webgpuFailure()}; using the cpu device`);
    warned = true;
    defaultDev = 'cpu';
  }
  return defaultDev;
}

export function backendFor(device: Device): Backend {
  if (device === 'cpu') return cpu;
  if (device === 'webgpu') {
    if (!webgpu) {
      throw new DeviceError(initialised
        ? `device 'webgpu' is not available: ${webgpuFailure() || 'FINETORCH_DEVICE=cpu'}`
        : `device 'webgpu' is not initialised: await torch.init() first`);
    }
    return webgpu;
  }
  throw new DeviceError(`unknown device '${String(device)}' (expected 'cpu' or 'webgpu')`);
}

export function webgpuBackend(): WebGPUBackend | null {
  return webgpu;
}
export function isAvailable(device: Device): boolean {
  return device === 'cpu' || (device === 'webgpu' && webgpu !== null);
}
export function defaultDevice(): Device {
  return defaultDev;
}
export function setDefaultDevice(d: Device): void {
  backendFor(d);
  defaultDev = d;
}
export function webgpuInfo(): AdapterInfo | null {
  return webgpu ? webgpu.rt.info : null;
}
