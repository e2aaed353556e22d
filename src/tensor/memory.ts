// Memory accounting and scopes. Storages are reference counted by the tensors that view them;
// `dispose()` and `scope()` free deterministically, a FinalizationRegistry catches the rest.
import { ArgumentError } from '../errors.js';
import type { Storage } from '../kernels/backend.js';
import { devices } from '../kernels/registry.js';
import { backendFor, type Device } from './device.js';

export interface MemoryStats {
  liveTensors: number;
  liveBytes: number;
  pooledBytes: number;
  peakBytes: number;
}
type Counts = { liveTensors: number; liveBytes: number; peakBytes: number };
const stats = new Map<string, Counts>();
/** a device's counters, made on first use (devices register at startup, see kernels/registry.ts) */
function countsOf(device: string): Counts {
  let st = stats.get(device);
  if (!st) stats.set(device, (st = { liveTensors: 0, liveBytes: 0, peakBytes: 0 }));
  return st;
}

export function retainStorage(s: Storage): void {
  const st = countsOf(s.device);
  if (s.refs === 0) {
    st.liveBytes += s.length * 4;
    if (st.liveBytes > st.peakBytes) st.peakBytes = st.liveBytes;
  }
  s.refs++;
  st.liveTensors++;
}

export function releaseStorage(s: Storage): void {
  const st = countsOf(s.device);
  st.liveTensors--;
  if (--s.refs === 0) {
    st.liveBytes -= s.length * 4;
    backendFor(s.device).release(s);
  }
}

/** Per registered device: live tensors and bytes, bytes parked in the buffer pool, and the peak of live bytes. */
export function memory(): Record<Device, MemoryStats> {
  const out = {} as Record<Device, MemoryStats>;
  for (const d of devices() as Device[]) {
    let pooledBytes = 0;
    try {
      pooledBytes = backendFor(d).memory().pooledBytes;
    } catch {
      /* device absent */
    }
    out[d] = { ...countsOf(d), pooledBytes };
  }
  return out;
}
export function resetPeak(device?: Device): void {
  for (const d of device ? [device] : (devices() as Device[])) {
    const st = countsOf(d);
    st.peakBytes = st.liveBytes;
  }
}

/** Anything that can be freed by a scope. */
export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}
type Scope = Set<Disposable>;
const scopes: Scope[] = [];
const owner = new WeakMap<Disposable, Scope>();

export function track(t: Disposable): void {
  const top = scopes[scopes.length - 1];
  if (top) {
    top.add(t);
    owner.set(t, top);
  }
}
export function untrack(t: Disposable): void {
  const s = owner.get(t);
  if (s) {
    s.delete(t);
    owner.delete(t);
  }
}
/** Keep a tensor made inside a scope alive after the scope ends (it then lives until disposed). */
export function keep<T extends Disposable>(t: T): T {
  untrack(t);
  return t;
}

function collect(v: unknown, out: Set<Disposable>, seen: Set<unknown>): void {
  if (!v || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (typeof (v as Disposable).dispose === 'function' && 'isDisposed' in (v as object)) {
    out.add(v as Disposable);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collect(x, out, seen);
  else if (Object.getPrototypeOf(v) === Object.prototype || v instanceof Map) {
    for (const x of v instanceof Map ? v.values() : Object.values(v)) collect(x, out, seen);
  }
}

/**
 * Run `fn`; every tensor it creates is disposed when it returns, except the tensors in its result
 * (found in arrays and plain objects), which move to the enclosing scope. `fn` must be synchronous.
 */
export function scope<T>(fn: () => T): T {
  const s: Scope = new Set();
  scopes.push(s);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of s)
      if (!t.isDisposed) {
        owner.delete(t);
        t.dispose();
      }
    throw e;
  }
  scopes.pop();
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    throw new ArgumentError(
      'torch.scope: fn returned a Promise; scopes track synchronous work only (await outside the scope)',
    );
  }
  const kept = new Set<Disposable>();
  collect(result, kept, new Set());
  for (const t of s) {
    owner.delete(t);
    if (kept.has(t)) track(t);
    else if (!t.isDisposed) t.dispose();
  }
  return result;
}
