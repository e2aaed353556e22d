// State dicts: PyTorch's keys and order out, PyTorch's load semantics in. Loading runs in two
// phases: every module plans its copies (collecting missing keys, unexpected keys and errors
// exactly as PyTorch's _load_from_state_dict does), and only when the plan is clean are the values
// copied. So a load that throws leaves the model exactly as it was.
import { noGrad } from '../autograd/grad-mode.js';
import { CheckpointError, fmtShape, keepErrorNames } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { Module } from './module.js';

/** A state dict: PyTorch keys to tensors, in PyTorch's order (a plain object keeps insertion order). */
export type StateDict = Record<string, Tensor>;
/** What `loadStateDict` accepts: a plain object or a Map. */
export type StateDictInput = Record<string, Tensor> | ReadonlyMap<string, Tensor>;
export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** A failed `loadStateDict`; nothing was copied. Lists every problem, as PyTorch's RuntimeError does. */
export class StateDictError extends CheckpointError {
  constructor(
    message: string,
    readonly missingKeys: string[],
    readonly unexpectedKeys: string[],
    /** the size-mismatch and bad-value messages */
    readonly errorMessages: string[],
  ) {
    super(message);
  }
}
keepErrorNames({ StateDictError });

export interface LoadPlan {
  missingKeys: string[];
  unexpectedKeys: string[];
  errors: string[];
  /** `temp`: a tensor made for this load (a view, a default value), disposed after copying */
  copies: { key: string; dst: Tensor; src: Tensor; temp?: boolean }[];
  /** run after every copy succeeded (e.g. BatchNorm refreshing its host-side batch count) */
  after: (() => void)[];
}

export function stateDict(m: Module, prefix: string, keepVars: boolean, out: StateDict = {}): StateDict {
  for (const [name, p] of m._parameters) if (p) out[prefix + name] = keepVars ? p : p.detach();
  for (const [name, b] of m._buffers)
    if (b && !m._nonPersistentBuffers.has(name)) out[prefix + name] = keepVars ? b : b.detach();
  for (const [name, c] of m._modules) if (c) stateDict(c, `${prefix}${name}.`, keepVars, out);
  return out;
}

/** The parameters and persistent buffers a module loads itself (not its children's). */
export function localState(m: Module): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, p] of m._parameters) if (p) out.set(name, p);
  for (const [name, b] of m._buffers) if (b && !m._nonPersistentBuffers.has(name)) out.set(name, b);
  return out;
}

/** PyTorch's Module._load_from_state_dict, planning instead of copying. */
export function planLocalLoad(m: Module, sd: ReadonlyMap<string, unknown>, prefix: string, plan: LoadPlan): void {
  const local = localState(m);
  for (const [name, dst] of local) {
    const key = prefix + name;
    if (!sd.has(key)) {
      plan.missingKeys.push(key);
      continue;
    }
    const v = sd.get(key);
    const src = checkSource(key, v, dst, plan.errors);
    if (src) plan.copies.push({ key, dst, src, temp: src !== v });
  }
  for (const key of sd.keys()) {
    if (!key.startsWith(prefix)) continue;
    const first = key.slice(prefix.length).split('.', 1)[0];
    if (!m._modules.has(first) && !local.has(first)) plan.unexpectedKeys.push(key);
  }
}

/** The tensor to copy from, or null after recording why it cannot be copied. */
export function checkSource(key: string, v: unknown, dst: Tensor, errors: string[]): Tensor | null {
  if (!(v instanceof Tensor)) {
    errors.push(
      `While copying the parameter named "${key}", expected a Tensor from checkpoint but received ${v === null ? 'null' : typeof v === 'object' ? (v as object).constructor?.name : typeof v}`,
    );
    return null;
  }
  if (v.isDisposed) {
    errors.push(
      `While copying the parameter named "${key}", the checkpoint tensor (shape ${fmtShape(v.shape)}) was disposed`,
    );
    return null;
  }
  let src = v;
  // PyTorch's backward compatibility: a 0-dim state entry saved as a 1-element vector
  if (dst.ndim === 0 && src.ndim === 1 && src.shape[0] >= 1) src = src._view([], [], src.offset);
  if (src.shape.join() !== dst.shape.join() || src.ndim !== dst.ndim) {
    errors.push(
      `size mismatch for ${key}: copying a param with shape ${fmtShape(v.shape)} from checkpoint, the shape in current model is ${fmtShape(dst.shape)}.`,
    );
    return null;
  }
  if (src.device !== dst.device && src.device !== 'cpu') {
    errors.push(
      `While copying the parameter named "${key}": the checkpoint tensor is on ${src.device} and the model on ${dst.device}; reading back from ${src.device} is asynchronous: move the state dict first (await t.toAsync('${dst.device}')) or the model (await model.toAsync('${src.device}'))`,
    );
    return null;
  }
  return src;
}

function plan(m: Module, sd: ReadonlyMap<string, unknown>, prefix: string, p: LoadPlan): void {
  m._loadFromStateDict(sd, prefix, p);
  for (const [name, c] of m._modules) if (c) plan(c, sd, `${prefix}${name}.`, p);
}

export function loadStateDict(m: Module, input: StateDictInput, strict: boolean): LoadResult {
  if (!input || typeof input !== 'object')
    throw new CheckpointError(
      `Expected state_dict to be an object or a Map, got ${input === null ? 'null' : typeof input}`,
    );
  const sd: ReadonlyMap<string, unknown> = input instanceof Map ? input : new Map(Object.entries(input));
  const p: LoadPlan = { missingKeys: [], unexpectedKeys: [], errors: [], copies: [], after: [] };
  plan(m, sd, '', p);
  // PyTorch collects missing and unexpected keys either way; only strict makes them an error
  const { missingKeys, unexpectedKeys } = p;
  const msgs = [...p.errors];
  if (strict) {
    if (unexpectedKeys.length)
      msgs.unshift(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}. `);
    if (missingKeys.length)
      msgs.unshift(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}. `);
  }
  if (msgs.length) {
    for (const c of p.copies) if (c.temp) c.src.dispose();
    throw new StateDictError(
      `Error(s) in loading state_dict for ${m._getName()}:\n\t${msgs.join('\n\t')}`,
      missingKeys,
      unexpectedKeys,
      p.errors,
    );
  }
  noGrad(() => {
    for (const { dst, src } of p.copies) dst.copy_(src);
  });
  for (const f of p.after) f();
  for (const { src, temp } of p.copies) if (temp) src.dispose();
  return { missingKeys, unexpectedKeys };
}
