// What fit and evaluate need to know of a batch: how to split it into input and target, how many
// samples it holds, which tensors it carries (to dispose them) and how to move it to the device.
import { ArgumentError } from '../../errors.js';
import type { Module } from '../../nn/module.js';
import { defaultDevice, type Device } from '../../tensor/device.js';
import { Tensor } from '../../tensor/tensor.js';

export type Batches<B = unknown> = Iterable<B> | AsyncIterable<B>;
export interface Unpacked {
  input: unknown;
  target: unknown;
}

export function defaultUnpack(batch: unknown): Unpacked {
  if (Array.isArray(batch) && batch.length >= 2) return { input: batch[0], target: batch[1] };
  if (batch && typeof batch === 'object') {
    const b = batch as Record<string, unknown>;
    if ('input' in b && 'target' in b) return { input: b.input, target: b.target };
    if ('x' in b && 'y' in b) return { input: b.x, target: b.y };
  }
  throw new ArgumentError('fit: a batch must be [input, target], { input, target } or { x, y } (or pass unpack)');
}

export function batchSize(u: Unpacked): number {
  for (const v of [u.target, u.input]) {
    if (v instanceof Tensor) return v.ndim ? v.shape[0] : 1;
    if (Array.isArray(v) && v[0] instanceof Tensor) return (v[0] as Tensor).ndim ? (v[0] as Tensor).shape[0] : 1;
  }
  throw new ArgumentError('fit: cannot tell the batch size: neither the target nor the input is a tensor');
}

export function tensorsIn(v: unknown, out: Tensor[] = []): Tensor[] {
  if (v instanceof Tensor) out.push(v);
  else if (Array.isArray(v)) for (const x of v) tensorsIn(x, out);
  else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    for (const x of Object.values(v)) tensorsIn(x, out);
  return out;
}

/** `v` with every tensor on `device`; copies made are pushed to `made`. */
export async function toDevice(v: unknown, device: Device, made: Tensor[]): Promise<unknown> {
  if (v instanceof Tensor) {
    if (v.device === device) return v;
    const t = v.device === 'cpu' ? v._transfer(device) : await v.toAsync(device);
    made.push(t);
    return t;
  }
  if (Array.isArray(v)) return Promise.all(v.map((x) => toDevice(x, device, made)));
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await toDevice(x, device, made);
    return out;
  }
  return v;
}

export const lengthOf = (b: Batches): number | undefined => {
  const n = (b as { length?: unknown }).length;
  return typeof n === 'number' ? n : undefined;
};
export const isDataLoader = (b: unknown) =>
  !!b && typeof b === 'object' && typeof (b as { epochIndices?: unknown }).epochIndices === 'function';

export const defaultForward = (model: Module, input: unknown) => model.call(input as never);

export function modelDevice(model: Module): Device {
  const p = model.parameters()[0] ?? model.buffers()[0];
  return p ? p.device : defaultDevice();
}
