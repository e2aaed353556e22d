// Registration by assignment, the machinery behind nn.Module's Proxy (see module.ts's header): PyTorch's
// __setattr__/__delattr__ rules — a Parameter registers a parameter, a Module a child, null keeps a
// registered name with no value, other values stay plain properties — with PyTorch's error messages,
// and the raw object behind each proxy, so the bookkeeping itself bypasses the traps. A module is
// recognised by the RAW symbol its constructor defines (not instanceof), so this file needs Module only
// as a type and module.ts can import it without a cycle.
import { ArgumentError } from '../errors.js';
import { keep } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';
import type { Module } from './module.js';
import { isParameter, type Parameter } from './parameter.js';

/** the raw object behind a module's proxy (internal bookkeeping bypasses the traps) */
export const RAW = Symbol('finetorch.module.raw');

export type Raw = Module & Record<string | symbol, unknown>;
export const raw = (m: Module): Raw => (m as unknown as Record<symbol, Raw>)[RAW];

/** a Module (or a subclass): its constructor defined RAW on it */
export const isModule = (v: unknown): v is Module => typeof v === 'object' && v !== null && RAW in v;

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Tensor) return `Tensor(${v.dtype})`;
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

function checkName(t: Raw, kind: string, name: string, map: Map<string, unknown>): void {
  if (typeof name !== 'string') throw new ArgumentError(`${kind} name should be a string, got ${typeName(name)}`);
  if (name.includes('.')) throw new ArgumentError(`${kind} name can't contain ".", got "${name}"`);
  if (name === '') throw new ArgumentError(`${kind} name can't be empty string ""`);
  if (map.has(name)) return;
  const own = Object.getOwnPropertyDescriptor(t, name);
  // an own `undefined` is a class field declared without an initializer: it may be registered
  if ((own && own.value !== undefined) || (!own && name in t))
    throw new ArgumentError(`attribute '${name}' already exists on ${t._getName()}`);
}

/** Drop `name` from every registry but `keepIn`, and its plain own property. */
export function removeFrom(t: Raw, name: string, keepIn: Map<string, unknown> | null): void {
  for (const m of [t._parameters, t._buffers, t._modules] as Map<string, unknown>[]) if (m !== keepIn) m.delete(name);
  if (keepIn !== t._buffers) t._nonPersistentBuffers.delete(name);
  Reflect.deleteProperty(t, name);
}

function mirror(t: Raw, name: string, value: unknown): void {
  Reflect.defineProperty(t, name, { value, writable: true, enumerable: true, configurable: true });
}

export function registerParameterRaw(t: Raw, name: string, param: Parameter | null): void {
  checkName(t, 'parameter', name, t._parameters);
  if (param !== null && !isParameter(param)) {
    throw new ArgumentError(
      `cannot assign '${typeName(param)}' object to parameter '${name}' (nn.Parameter or null required)`,
    );
  }
  if (param?.gradFn) {
    throw new ArgumentError(
      `Cannot assign non-leaf Tensor to parameter '${name}'. Model parameters must be created explicitly: wrap a detached tensor in new nn.Parameter(...)`,
    );
  }
  t._parameters.set(name, param);
  mirror(t, name, param);
}

export function addModuleRaw(t: Raw, name: string, module: Module | null): void {
  if (module !== null && !isModule(module))
    throw new ArgumentError(`${typeName(module)} is not a Module subclass (registering '${name}')`);
  checkName(t, 'module', name, t._modules);
  t._modules.set(name, module);
  mirror(t, name, module);
}

export function registerBufferRaw(t: Raw, name: string, tensor: Tensor | null, persistent: boolean): void {
  checkName(t, 'buffer', name, t._buffers);
  if (tensor !== null && !(tensor instanceof Tensor))
    throw new ArgumentError(`cannot assign '${typeName(tensor)}' object to buffer '${name}' (Tensor or null required)`);
  if (tensor) keep(tensor);
  t._buffers.set(name, tensor);
  if (persistent) t._nonPersistentBuffers.delete(name);
  else t._nonPersistentBuffers.add(name);
  mirror(t, name, tensor);
}

const isRegistered = (t: Raw, name: string) => t._parameters.has(name) || t._modules.has(name) || t._buffers.has(name);

/** PyTorch's Module.__setattr__. */
function setAttr(t: Raw, name: string, value: unknown): void {
  if (value === undefined) value = null;
  if (isParameter(value)) {
    removeFrom(t, name, t._parameters);
    registerParameterRaw(t, name, value);
  } else if (t._parameters.has(name)) {
    if (value !== null)
      throw new ArgumentError(
        `cannot assign '${typeName(value)}' as parameter '${name}' (nn.Parameter or null expected)`,
      );
    registerParameterRaw(t, name, null);
  } else if (isModule(value)) {
    removeFrom(t, name, t._modules);
    addModuleRaw(t, name, value);
  } else if (t._modules.has(name)) {
    if (value !== null)
      throw new ArgumentError(
        `cannot assign '${typeName(value)}' as child module '${name}' (nn.Module or null expected)`,
      );
    t._modules.set(name, null);
    mirror(t, name, null);
  } else if (t._buffers.has(name)) {
    if (value !== null && !(value instanceof Tensor))
      throw new ArgumentError(`cannot assign '${typeName(value)}' as buffer '${name}' (Tensor or null expected)`);
    if (value) keep(value as Tensor);
    t._buffers.set(name, value as Tensor | null);
    mirror(t, name, value);
  } else {
    mirror(t, name, value);
  }
}

export const handler: ProxyHandler<Raw> = {
  set(t, p, v, receiver) {
    if (typeof p === 'string' && (isParameter(v) || isModule(v) || isRegistered(t, p))) {
      setAttr(t, p, v);
      return true;
    }
    return Reflect.set(t, p, v, receiver);
  },
  defineProperty(t, p, desc) {
    if (typeof p === 'string' && 'value' in desc) {
      const v = desc.value;
      if (isRegistered(t, p)) {
        // `fc!: Linear` (no initializer) re-defines undefined after super(): keep the registration
        if (v !== undefined) setAttr(t, p, v);
        return true;
      }
      if (isParameter(v) || isModule(v)) {
        setAttr(t, p, v);
        return true;
      }
    }
    return Reflect.defineProperty(t, p, desc);
  },
  deleteProperty(t, p) {
    if (typeof p === 'string') removeFrom(t, p, null);
    return Reflect.deleteProperty(t, p);
  },
};
