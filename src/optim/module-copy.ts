// A deep copy of a module tree (Python's `copy.deepcopy(model)`, which AveragedModel starts from):
// the same classes, plain fields and hooks; parameters and buffers cloned on their devices, with
// the same requiresGrad and persistence; a tensor or module shared in the original (tied weights)
// is shared in the copy. Subclass constructors do not run again — the copy is built field by field.
import { noGrad } from '../autograd/grad-mode.js';
import { Module } from '../nn/module.js';
import { Parameter } from '../nn/parameter.js';
import { keep } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';

type Memo = Map<unknown, unknown>;

export function deepCopyModule<M extends Module>(m: M): M {
  return noGrad(() => copyModule(m, new Map())) as M;
}

function cloneTensor(t: Tensor, memo: Memo): Tensor {
  if (memo.has(t)) return memo.get(t) as Tensor;
  let out: Tensor;
  const data = t.detach().clone();
  if (t instanceof Parameter || t._isParameter) {
    out = new Parameter(data, t.requiresGrad);
    data.dispose(); // the Parameter holds its own reference to the storage
  } else {
    out = keep(data);
    if (t.requiresGrad) out.requiresGrad = true;
  }
  memo.set(t, out);
  return out;
}

function copyValue(v: unknown, memo: Memo): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (memo.has(v)) return memo.get(v);
  if (v instanceof Tensor) return cloneTensor(v, memo);
  if (v instanceof Module) return copyModule(v, memo);
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    memo.set(v, out);
    for (const x of v) out.push(copyValue(x, memo));
    return out;
  }
  if (v instanceof Map) {
    const out = new Map();
    memo.set(v, out);
    for (const [k, x] of v) out.set(k, copyValue(x, memo));
    return out;
  }
  if (Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    memo.set(v, out);
    for (const [k, x] of Object.entries(v)) out[k] = copyValue(x, memo);
    return out;
  }
  return v; // other class instances (functions too) are shared, not copied
}

function copyModule(m: Module, memo: Memo): Module {
  if (memo.has(m)) return memo.get(m) as Module;
  // the base constructor with m's class as new.target: an empty, registered-by-assignment instance
  const c = Reflect.construct(Module, [], m.constructor) as Module & Record<string, unknown>;
  memo.set(m, c);
  const registered = new Set([...m._parameters.keys(), ...m._buffers.keys(), ...m._modules.keys()]);
  for (const k of Object.keys(m))
    if (!registered.has(k)) c[k] = copyValue((m as unknown as Record<string, unknown>)[k], memo);
  c.training = m.training;
  c._forwardPreHooks = new Map(m._forwardPreHooks);
  c._forwardHooks = new Map(m._forwardHooks);
  for (const [name, p] of m._parameters) c.registerParameter(name, p ? (cloneTensor(p, memo) as Parameter) : null);
  for (const [name, b] of m._buffers)
    c.registerBuffer(name, b ? cloneTensor(b, memo) : null, { persistent: !m._nonPersistentBuffers.has(name) });
  for (const [name, child] of m._modules) c.registerModule(name, child ? copyModule(child, memo) : null);
  return c;
}
