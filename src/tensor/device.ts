// Which device tensors land on by default. The devices themselves are whatever registered in
// src/kernels/registry.ts (the entry point's imports decide: cpu and webgpu for src/index.ts); this
// file only runs their acquisition once and picks the default among those available.
import { platform } from '../platform/platform.js';
import type { DeviceType } from '../kernels/backend.js';
import {
  acquireBackends,
  backendFor,
  devicesAbove,
  isAvailable as registered,
  isDevice,
  preferredDevice,
  unavailableReason,
} from '../kernels/registry.js';

export { backendFor };
export type Device = DeviceType;

let defaultDev: Device = 'cpu';
let initialising: Promise<Device> | null = null;
let warned = false;

/** A setting: the environment in Node, `globalThis.FINETORCH_ENV` in a browser (the platform's). */
const env = (name: string): string | undefined => platform().env(name);

/**
 * Acquire the registered devices (the WebGPU adapter, once) and choose the default: the available
 * device with the highest priority (webgpu when an adapter exists), with a one-line warning for each
 * preferred device that is missing. `FINETORCH_DEVICE=cpu` (any device available without
 * acquisition) skips acquiring the others and makes it the default.
 */
export function init(): Promise<Device> {
  initialising ??= choose();
  return initialising;
}

async function choose(): Promise<Device> {
  const wanted = env('FINETORCH_DEVICE');
  if (wanted && registered(wanted)) {
    await acquireBackends((name) => (name === wanted ? null : `FINETORCH_DEVICE=${wanted}`));
    defaultDev = wanted as Device;
    return defaultDev;
  }
  await acquireBackends();
  defaultDev = (preferredDevice() ?? 'cpu') as Device;
  for (const d of devicesAbove(defaultDev)) {
    const reason = unavailableReason(d);
    if (reason !== null && !warned) console.warn(`finetorch: ${reason}; using the ${defaultDev} device`);
  }
  warned = true;
  return defaultDev;
}

/** Whether `device` is registered and usable now. */
export function isAvailable(device: Device): boolean {
  return registered(device);
}
/** Whether `name` names a registered device (a string that is not one is a dtype, in `t.to(x)`). */
export function isDeviceName(name: string): name is Device {
  return isDevice(name);
}
export function defaultDevice(): Device {
  return defaultDev;
}
export function setDefaultDevice(d: Device): void {
  backendFor(d);
  defaultDev = d;
}
