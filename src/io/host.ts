// Building tensors from decoded checkpoint bytes with a single copy: on cpu the decoder writes
// straight into the new tensor's storage; on webgpu into one host array that is then uploaded.
import type { DType } from '../kernels/backend.js';
import type { Device } from '../tensor/device.js';
import { Tensor } from '../tensor/tensor.js';
import { allocFor } from './dtypes.js';

export function tensorFrom(
  what: string,
  shape: readonly number[],
  numel: number,
  dtype: DType,
  device: Device,
  fill: (out: Float32Array | Int32Array) => void,
): Tensor {
  if (device === 'cpu') {
    const t = allocFor(what, numel, () => Tensor.empty(shape, dtype, 'cpu'));
    try {
      fill(t.storage.handle as Float32Array | Int32Array);
    } catch (e) {
      t.dispose();
      throw e;
    }
    return t;
  }
  const host = allocFor(what, numel, () => (dtype === 'float32' ? new Float32Array(numel) : new Int32Array(numel)));
  fill(host);
  return Tensor.fromHost(host, shape, dtype, device);
}

/** Set `obj[key] = value` as an own data property, even for keys like `__proto__`. */
export function defineKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Concatenate chunks into one array (for the in-memory writers). */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}
