// Which devices exist. A backend registers under its device name, either ready (cpu) or as a factory
// that acquires its device when `acquireBackends()` runs (webgpu: the adapter may be missing, and
// finding out is asynchronous). Everything above src/kernels/ reaches a device through
// `backendFor(name)` and knows only the `Backend` interface; which backends exist is decided by the
// entry point's imports (src/index.ts imports kernels/cpu/register.ts and kernels/webgpu/register.ts,
// and a browser entry can register a GPU obtained differently under the same name).
import { ArgumentError, DeviceError } from '../errors.js';
import type { Backend } from './backend.js';

/** What a factory resolves: the backend, or why its device is unavailable (the reason is shown to the user). */
export type Acquired = Backend | { unavailable: string };
export type BackendFactory = () => Promise<Acquired>;

export interface RegisterOptions {
  /**
   * The default device is the available one with the highest priority (ties: the first
   * registered); default 0. webgpu registers with 1, so it wins over cpu when its adapter exists.
   */
  priority?: number;
}

interface Entry {
  readonly name: string;
  readonly priority: number;
  readonly factory: BackendFactory | null;
  backend: Backend | null;
  /** set once the factory ran and found no device */
  unavailable: string | null;
  acquiring: Promise<void> | null;
}

const entries = new Map<string, Entry>();

/**
 * Register the backend of device `name`: an instance (available at once) or a factory run by
 * `acquireBackends()`. Registering a name again replaces the earlier registration.
 */
export function registerBackend(name: string, backend: Backend | BackendFactory, options: RegisterOptions = {}): void {
  if (!name) throw new ArgumentError('registerBackend: the device name must not be empty');
  const factory = typeof backend === 'function' ? backend : null;
  entries.set(name, {
    name,
    priority: options.priority ?? 0,
    factory,
    backend: factory ? null : (backend as Backend),
    unavailable: null,
    acquiring: null,
  });
}

/** Registered device names, in registration order (available or not). */
export function devices(): string[] {
  return [...entries.keys()];
}

/** Whether `name` is a registered device (it may still be unavailable). */
export function isDevice(name: string): boolean {
  return entries.has(name);
}

/** Whether `name`'s backend can be used now. */
export function isAvailable(name: string): boolean {
  return entries.get(name)?.backend != null;
}

/** The backend of device `name`; a DeviceError names why there is none. */
export function backendFor(name: string): Backend {
  const e = entries.get(name);
  if (e?.backend) return e.backend;
  if (!e) {
    const known = devices().map((d) => `'${d}'`);
    const list =
      known.length > 1
        ? `${known.slice(0, -1).join(', ')} or ${known[known.length - 1]}`
        : (known[0] ?? 'none registered');
    throw new DeviceError(`unknown device '${String(name)}' (expected ${list})`);
  }
  throw new DeviceError(
    e.unavailable !== null
      ? `device '${name}' is not available: ${e.unavailable}`
      : `device '${name}' is not initialised: await torch.init() first`,
  );
}

/**
 * Run the factories of the registered devices that are not acquired yet (each at most once, in
 * registration order). `skip(name)` returns a reason to leave a device unacquired instead
 * (FINETORCH_DEVICE=cpu). A factory that throws rejects this call; one that finds no device records why.
 */
export async function acquireBackends(skip: (name: string) => string | null = () => null): Promise<void> {
  for (const e of entries.values()) {
    if (!e.factory || e.backend) continue;
    if (!e.acquiring) {
      const reason = skip(e.name);
      if (reason !== null) {
        e.unavailable = reason;
        continue;
      }
      const factory = e.factory;
      e.acquiring = factory().then((got) => {
        if ('unavailable' in got) e.unavailable = got.unavailable;
        else e.backend = got;
      });
    }
    await e.acquiring;
  }
}

/** Why a registered device is unavailable after acquisition (null when it is available or not yet tried). */
export function unavailableReason(name: string): string | null {
  return entries.get(name)?.unavailable ?? null;
}

/** The available device with the highest priority (ties: the first registered). */
export function preferredDevice(): string | null {
  let best: Entry | null = null;
  for (const e of entries.values()) if (e.backend && (!best || e.priority > best.priority)) best = e;
  return best ? best.name : null;
}

/** Registered devices with a higher priority than `name` (the ones a default of `name` passed over). */
export function devicesAbove(name: string): string[] {
  const p = entries.get(name)?.priority ?? -Infinity;
  return [...entries.values()].filter((e) => e.priority > p).map((e) => e.name);
}
