// fit's resume checkpoint: model + optimizer + scheduler + EMA + epoch + RNG state in ONE safetensors
// file. Tensors are entries (`model.<key>`, `optimizer.state.<i>.<name>`, `ema.<i>`); everything else
// (optimizer param groups and scalar state, scheduler state, epoch, history, generator states) is JSON
// in `__metadata__.finetorch_fit`, with non-finite numbers spelled out (JSON has no Infinity).
import { CheckpointError } from '../errors.js';
import { save } from '../io/index.js';
import { loadSafetensors } from '../io/safetensors.js';
import { platform } from '../platform/platform.js';
import { Tensor } from '../tensor/tensor.js';

export const CHECKPOINT_FORMAT = 'finetorch.fit/1';

/** JSON with Infinity, -Infinity and NaN kept (as {"$num": "Infinity"}). */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? { $num: String(x) } : x));
}
export function fromJson(s: string): unknown {
  return JSON.parse(s, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 1 && typeof x.$num === 'string'
      ? Number(x.$num)
      : x,
  );
}

export interface Flattened {
  tensors: Record<string, Tensor>;
  json: unknown;
}

/**
 * Split a nested value into tensors (named by their path under `prefix`) and a JSON skeleton in
 * which each tensor is replaced by { $tensor: name }.
 */
export function flatten(v: unknown, prefix: string, tensors: Record<string, Tensor>): unknown {
  if (v instanceof Tensor) {
    tensors[prefix] = v;
    return { $tensor: prefix };
  }
  if (Array.isArray(v)) return v.map((x, i) => flatten(x, `${prefix}.${i}`, tensors));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = flatten(x, `${prefix}.${k}`, tensors);
    return out;
  }
  if (typeof v === 'function') return undefined;
  return v;
}
export function unflatten(v: unknown, tensors: Record<string, Tensor>): unknown {
  if (Array.isArray(v)) return v.map((x) => unflatten(x, tensors));
  if (v && typeof v === 'object') {
    const ref = (v as { $tensor?: unknown }).$tensor;
    if (typeof ref === 'string' && Object.keys(v).length === 1) {
      const t = tensors[ref];
      if (!t) throw new CheckpointError(`checkpoint: tensor '${ref}' named in the metadata is not in the file`);
      return t;
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = unflatten(x, tensors);
    return out;
  }
  return v;
}

/** Write `bytes` to `path` atomically (a crash mid-write never leaves a truncated checkpoint; the platform's files). */
export async function writeAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  await platform().files.write(path, bytes);
}

/** Save tensors and a JSON payload (under `__metadata__.finetorch_fit`) as one safetensors file (torch.save; atomic). */
export async function saveBundle(path: string, tensors: Record<string, Tensor>, payload: unknown): Promise<void> {
  await save(tensors, path, { metadata: { format: CHECKPOINT_FORMAT, finetorch_fit: toJson(payload) } });
}

/** Read a bundle written by `saveBundle` (cpu tensors; the caller disposes them). */
export function loadBundle(
  bytes: Uint8Array,
  name: string,
): { tensors: Record<string, Tensor>; payload: Record<string, unknown> } {
  const { tensors, metadata } = loadSafetensors(bytes);
  if (metadata.format !== CHECKPOINT_FORMAT || typeof metadata.finetorch_fit !== 'string') {
    for (const t of Object.values(tensors)) t.dispose();
    throw new CheckpointError(
      `${name} is not a fit checkpoint (no '${CHECKPOINT_FORMAT}' metadata); to start from plain weights use loadPretrained`,
    );
  }
  return { tensors, payload: fromJson(metadata.finetorch_fit) as Record<string, unknown> };
}
