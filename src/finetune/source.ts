// Where pretrained weights come from: a file path or the file's bytes (safetensors or PyTorch .pth,
// told apart by their bytes — torch.load), or a state dict already in memory.
import { ArgumentError, CheckpointError } from '../errors.js';
import { load } from '../io/index.js';
import { preview } from '../io/json.js';
import { leavesOf } from '../io/walk.js';
import { Tensor } from '../tensor/tensor.js';

export type StateDictSource = string | Uint8Array | Record<string, Tensor> | ReadonlyMap<string, Tensor>;

/** Keys under which training checkpoints commonly nest the model's state dict. */
const NESTED = ['state_dict', 'model_state_dict', 'model'];

/**
 * The tensors of `source` by key; `owned` when this function made them (the caller disposes them).
 * A .pth training checkpoint ({ epoch, state_dict, optimizer, ... }) gives its nested state dict.
 */
export async function readStateDict(
  source: StateDictSource,
  what: string,
): Promise<{ tensors: Map<string, Tensor>; owned: boolean }> {
  if (typeof source === 'string' || source instanceof Uint8Array) {
    let obj: unknown;
    try {
      obj = await load(source);
    } catch (e) {
      if (e instanceof CheckpointError) {
        const missing = typeof source === 'string' && /ENOENT/.test(e.message);
        throw new CheckpointError(`${what}: ${missing ? `cannot read '${source}': no such file` : e.message}`);
      }
      throw e;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj) || obj instanceof Tensor) {
      // a .pth may pickle anything at its top level (None, a list, one tensor)
      for (const t of tensorsOf(obj, what)) t.dispose();
      throw new CheckpointError(
        `${what}: ${typeof source === 'string' ? `'${source}'` : 'the checkpoint'} holds ${describeValue(obj)}, not a state dict (a mapping of names to tensors)`,
      );
    }
    const all = tensorsOf(obj, what);
    const nested = NESTED.map((k) => (obj as Record<string, unknown>)[k]).find((v) => isTensorDict(v));
    if (!isTensorDict(obj) && nested) {
      // keep the state dict, free the rest (optimizer state and the like)
      const keepSet = new Set(Object.values(nested as Record<string, Tensor>));
      for (const t of all) if (!keepSet.has(t)) t.dispose();
      return { tensors: new Map(Object.entries(nested as Record<string, Tensor>)), owned: true };
    }
    try {
      return { tensors: checkTensors(new Map(Object.entries(obj as Record<string, unknown>)), what), owned: true };
    } catch (e) {
      for (const t of all) t.dispose();
      throw e;
    }
  }
  if (source instanceof Map) return { tensors: checkTensors(source, what), owned: false };
  if (source && typeof source === 'object' && !(source instanceof Tensor)) {
    return { tensors: checkTensors(new Map(Object.entries(source)), what), owned: false };
  }
  throw new ArgumentError(
    `${what}: expected a file path, bytes, or a state dict (object or Map of tensors), got ${source instanceof Tensor ? 'a Tensor' : typeof source}`,
  );
}

/** A checkpoint's top-level value in Python's words. */
function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v instanceof Tensor) return `a single tensor of shape [${v.shape.join(', ')}]`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return `the ${typeof v} ${preview(v)}`;
}

function isTensorDict(v: unknown): boolean {
  return (
    !!v &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    !(v instanceof Tensor) &&
    Object.values(v).length > 0 &&
    Object.values(v).every((x) => x instanceof Tensor)
  );
}

/** Every distinct tensor of a loaded checkpoint, in one linear walk (shared and cyclic parts entered once). */
function tensorsOf(v: unknown, what: string): Tensor[] {
  return leavesOf(v, (x): x is Tensor => x instanceof Tensor, { what });
}

function checkTensors(m: ReadonlyMap<string, unknown>, what: string): Map<string, Tensor> {
  for (const [k, v] of m) {
    if (!(v instanceof Tensor)) {
      const hint =
        v && typeof v === 'object' ? ` (a nested checkpoint? pass its state dict, e.g. checkpoint['${k}'])` : '';
      throw new CheckpointError(
        `${what}: state dict entry '${k}' is ${v === null ? 'null' : typeof v === 'object' ? ((v as object).constructor?.name ?? 'an object') : typeof v}, not a Tensor${hint}`,
      );
    }
  }
  return m as Map<string, Tensor>;
}
