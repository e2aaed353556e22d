// Containers: Sequential, ModuleList, ModuleDict. Children are registered under PyTorch's names
// ('0', '1', ... or the dict keys), so their state-dict keys are PyTorch's (`features.0.weight`).
// Deleting or inserting renumbers the keys, as PyTorch does. Indexing is a method (`get(i)`,
// negative counts from the end); `seq[0]` also works for reading since children are properties.
import { ArgumentError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module, _resetModules } from '../module.js';

function absIndex(idx: number, n: number, what: string): number {
  if (!Number.isInteger(idx) || idx < -n || idx >= n)
    throw new ArgumentError(`${what}: index ${idx} is out of range (length ${n})`);
  return idx < 0 ? idx + n : idx;
}
const renumbered = (mods: (Module | null)[]): [string, Module | null][] => mods.map((m, i) => [String(i), m]);

/** Runs its children in order, each on the previous one's output. */
export class Sequential extends Module {
  /** `new Sequential(a, b, c)` (keys '0', '1', '2') or `new Sequential(new Map([['conv', a], ...]))` / a plain object for named children. */
  constructor(...args: Module[] | [ReadonlyMap<string, Module> | Record<string, Module>]) {
    super();
    const first = args[0];
    if (args.length === 1 && first && !(first instanceof Module)) {
      // a plain object orders integer-like keys first (JS rules): use a Map to keep any order
      const entries = first instanceof Map ? [...first.entries()] : Object.entries(first as Record<string, Module>);
      for (const [k, m] of entries) this.addModule(k, m);
    } else (args as Module[]).forEach((m, i) => this.addModule(String(i), m));
  }
  get length(): number {
    return this._modules.size;
  }
  /** The child at position `idx` (negative counts from the end). */
  get(idx: number): Module {
    const keys = [...this._modules.keys()];
    return this._modules.get(keys[absIndex(idx, keys.length, 'Sequential')])!;
  }
  /** Replace the child at position `idx`, keeping its key. */
  set(idx: number, module: Module): void {
    const keys = [...this._modules.keys()];
    (this as unknown as Record<string, Module>)[keys[absIndex(idx, keys.length, 'Sequential')]] = module;
  }
  /** Remove the child at `idx`; the remaining keys become '0', '1', ... */
  delete(idx: number): void {
    const vals = [...this._modules.values()];
    vals.splice(absIndex(idx, vals.length, 'Sequential'), 1);
    _resetModules(this, renumbered(vals));
  }
  /** A new Sequential of children start..end (keys kept, as PyTorch's slicing does). */
  slice(start = 0, end = this.length): Sequential {
    return new Sequential(
      new Map([...this._modules].slice(start, end).filter((e): e is [string, Module] => e[1] !== null)),
    );
  }
  append(module: Module): this {
    this.addModule(String(this.length), module);
    return this;
  }
  insert(index: number, module: Module): this {
    if (!(module instanceof Module))
      throw new ArgumentError(`Sequential.insert: module should be of type Module, got ${typeof module}`);
    const n = this.length;
    if (!Number.isInteger(index) || index < -n || index > n)
      throw new ArgumentError(`Sequential.insert: index out of range: ${index} (length ${n})`);
    const vals = [...this._modules.values()];
    vals.splice(index < 0 ? index + n : index, 0, module);
    _resetModules(this, renumbered(vals));
    return this;
  }
  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }
  pop(idx = -1): Module {
    const m = this.get(idx);
    this.delete(idx);
    return m;
  }
  [Symbol.iterator](): Iterator<Module> {
    return ([...this._modules.values()].filter(Boolean) as Module[])[Symbol.iterator]();
  }
  override forward(input: Tensor): Tensor {
    let x = input;
    for (const m of this._modules.values()) if (m) x = m.call(x);
    return x;
  }
}

/** A list of modules, registered as '0', '1', ...; it has no forward of its own. */
export class ModuleList<T extends Module = Module> extends Module {
  constructor(modules: Iterable<T> = []) {
    super();
    for (const m of modules) this.append(m);
  }
  get length(): number {
    return this._modules.size;
  }
  get(idx: number): T {
    return this._modules.get(String(absIndex(idx, this.length, 'ModuleList')))! as T;
  }
  set(idx: number, module: T): void {
    (this as unknown as Record<string, Module>)[String(absIndex(idx, this.length, 'ModuleList'))] = module;
  }
  delete(idx: number): void {
    const vals = [...this._modules.values()];
    vals.splice(absIndex(idx, vals.length, 'ModuleList'), 1);
    _resetModules(this, renumbered(vals));
  }
  /** A new ModuleList of children start..end (renumbered from 0). */
  slice(start = 0, end = this.length): ModuleList<T> {
    return new ModuleList<T>([...this].slice(start, end));
  }
  append(module: T): this {
    this.addModule(String(this.length), module);
    return this;
  }
  extend(modules: Iterable<T>): this {
    for (const m of modules) this.append(m);
    return this;
  }
  insert(index: number, module: T): void {
    const vals = [...this._modules.values()];
    const n = vals.length;
    vals.splice(index < 0 ? Math.max(0, index + n) : Math.min(index, n), 0, module);
    _resetModules(this, renumbered(vals));
  }
  pop(idx = -1): T {
    const m = this.get(idx);
    this.delete(idx);
    return m;
  }
  [Symbol.iterator](): Iterator<T> {
    return ([...this._modules.values()] as T[])[Symbol.iterator]();
  }
  /** Array.prototype.map over the children. */
  map<U>(fn: (m: T, i: number) => U): U[] {
    return [...this].map(fn);
  }
  override forward(): never {
    throw new ArgumentError('ModuleList has no forward: iterate over it and call its children');
  }
}

/** Named children in insertion order; iterating yields the keys, as in PyTorch. */
export class ModuleDict<T extends Module = Module> extends Module {
  constructor(modules?: ReadonlyMap<string, T> | Record<string, T> | Iterable<[string, T]>) {
    super();
    if (modules) this.update(modules);
  }
  get length(): number {
    return this._modules.size;
  }
  get(key: string): T {
    if (!this._modules.has(key))
      throw new ArgumentError(`ModuleDict has no key '${key}' (keys: ${[...this._modules.keys()].join(', ')})`);
    return this._modules.get(key)! as T;
  }
  set(key: string, module: T): void {
    this.addModule(key, module);
  }
  has(key: string): boolean {
    return this._modules.has(key);
  }
  pop(key: string): T {
    const m = this.get(key);
    delete (this as unknown as Record<string, unknown>)[key];
    return m;
  }
  delete(key: string): void {
    this.pop(key);
  }
  clear(): void {
    _resetModules(this, []);
  }
  keys(): string[] {
    return [...this._modules.keys()];
  }
  values(): T[] {
    return [...this._modules.values()] as T[];
  }
  items(): [string, T][] {
    return [...this._modules] as [string, T][];
  }
  update(modules: ReadonlyMap<string, T> | Record<string, T> | Iterable<[string, T]>): void {
    const entries =
      modules instanceof Map || Symbol.iterator in modules
        ? [...(modules as Iterable<[string, T]>)]
        : Object.entries(modules as Record<string, T>);
    for (const [k, m] of entries) this.addModule(k, m);
  }
  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }
  override forward(): never {
    throw new ArgumentError('ModuleDict has no forward: call its children');
  }
}
