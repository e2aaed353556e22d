// Helpers every op definition uses: device checks, dtype promotion, dense inputs, broadcasting.
import { DeviceError, DTypeError, fmtShape, IndexError } from '../../errors.js';
import type { DType, Storage, ValueCheck } from '../../kernels/backend.js';
import type { Device } from '../../tensor/device.js';
import { broadcastShapes } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';

export type Scalar = number;
export type TensorOrScalar = Tensor | number;

export function wrap(s: Storage, shape: readonly number[]): Tensor {
  return new Tensor(s, shape);
}

export function sameDevice(op: string, ...ts: (Tensor | null | undefined)[]): Device {
  let dev: Device | null = null;
  for (const t of ts) {
    if (!t) continue;
    t.storage; // throws if disposed
    if (dev && t.device !== dev) {
      throw new DeviceError(
        `${op}: expected all tensors to be on the same device, but found ${dev} and ${t.device} (shapes ${ts
          .filter(Boolean)
          .map((x) => fmtShape(x!.shape))
          .join(', ')})`,
      );
    }
    dev = t.device;
  }
  return dev!;
}

export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'float32' || b === 'float32') return 'float32';
  return 'int32';
}

/** Raw cast outside autograd (dtype changes are not differentiable except float→float). */
export function castRaw(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  return wrap(t.backend.unary('cast', t, dtype), t.shape);
}

/** A dense version of t for kernels that need contiguous input (t itself when it already is). */
export function dense(t: Tensor): Tensor {
  return t.isContiguous() ? t : t._contiguousRaw();
}
/** Dispose `tmp` if it is a temporary made by `dense`. */
export function dropTemp(tmp: Tensor, orig: Tensor): void {
  if (tmp !== orig) tmp.dispose();
}

/** A stride-0 view of t broadcast to `shape` (t's dims align to the right). */
export function broadcastView(
  t: Tensor,
  shape: readonly number[],
): { shape: readonly number[]; strides: number[]; offset: number; storage: Storage; dtype: DType } {
  const nd = shape.length;
  const strides = new Array<number>(nd).fill(0);
  for (let i = 0; i < t.ndim; i++) {
    const d = nd - t.ndim + i;
    strides[d] = t.shape[i] === 1 && shape[d] !== 1 ? 0 : t.strides[i];
  }
  return { shape, strides, offset: t.offset, storage: t.storage, dtype: t.dtype };
}

export function resultShape(a: Tensor, b: Tensor, op: string): number[] {
  return broadcastShapes(a.shape, b.shape, op);
}

export function requireFloat(t: Tensor, op: string): void {
  if (t.dtype !== 'float32')
    throw new DTypeError(`${op}: expected a float32 tensor, got ${t.dtype} (shape ${fmtShape(t.shape)})`);
}

/**
 * Values of t outside [check.lo, check.hi] are check.error (Backend.checkValues): thrown at once on
 * cpu; on webgpu the values stay on the device (reading them here would wait for it), a kernel tests
 * them and the next readback (data(), item(), synchronize) throws the same error.
 */
export function checkValues(t: Tensor, check: ValueCheck): void {
  const d = dense(t);
  t.backend.checkValues(d, check);
  dropTemp(d, t);
}

/**
 * Every entry of an int32 index tensor within [0, size) (entries equal to `skip`, an ignoreIndex,
 * excepted), else an IndexError naming the op, the value, its flat position, the dim and its size;
 * through checkValues, so nothing is read back here (webgpu throws at the next readback).
 */
export function checkIndexRange(op: string, index: Tensor, size: number, where: string, skip?: number): void {
  if (index.numel() === 0) return;
  checkValues(index, {
    key: `${op}|${size}|${where}|${fmtShape(index.shape)}`,
    lo: 0,
    hi: size - 1,
    except: skip,
    error: (v, i) =>
      new IndexError(
        `${op}: index ${v} is out of bounds for ${where} with size ${size} (flat position ${i} of index ${fmtShape(index.shape)})`,
      ),
  });
}
