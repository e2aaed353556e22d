// nn.Module: the base class of every layer and model.
//
// Calling idiom: a module defines `forward(...)`; callers run it with `module.call(...)`, which runs
// the forward pre-hooks, `forward`, then the forward hooks (PyTorch's `module(x)`). Calling
// `forward` directly skips the hooks, exactly as in PyTorch. JS objects cannot be made callable
// without giving up classes, so there is no `module(x)`.
//
// Registration by assignment: the constructor returns a Proxy around the module, so
// `model.fc = new nn.Linear(512, 2)` registers (or replaces) a child, assigning a Parameter
// registers a parameter, assigning null to a registered name keeps the name with no value (as
// PyTorch's None: `bias: null`), `delete model.fc` removes it, and other values stay plain
// properties. The proxy traps [[Set]] and [[DefineOwnProperty]], so ES2022 class fields
// (`fc = new Linear(...)`, defined with [[Define]] semantics after super() returns) register too;
// a field declared without an initializer (`fc!: Linear`) defines `undefined`, which never
// unregisters an existing entry. Registered values are mirrored as own data properties, so reading
// `model.fc` costs no trap. Registration order (state-dict and print order) is assignment order;
// note that field initializers run before the constructor body. Module subclasses must not use
// `#private` fields (a Proxy hides them from methods called through it); TS `private` is fine.
import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, DeviceError } from '../errors.js';
import { backendFor, type Device } from '../tensor/device.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Parameter } from './parameter.js';
import {
  addModuleRaw,
  handler,
  raw,
  RAW,
  registerBufferRaw,
  registerParameterRaw,
  removeFrom,
  typeName,
  type Raw,
} from './registration.js';
import { addIndent } from './repr.js';
import {
  loadStateDict,
  planLocalLoad,
  stateDict,
  type LoadPlan,
  type LoadResult,
  type StateDict,
  type StateDictInput,
} from './state-dict.js';

export type ForwardPreHook = (module: Module, args: unknown[]) => unknown;
export type ForwardHook = (module: Module, args: unknown[], output: unknown) => unknown;
export interface RemovableHandle {
  remove(): void;
}

let nextHookId = 0;

/**
 * Give module classes their exported names back: a minifier (the browser bundle) renames classes, and
 * `print(model)`, the trainability table and error messages show `constructor.name`. A no-op when the
 * names are intact (Node).
 */
export function keepModuleNames(classes: Record<string, unknown>): void {
  for (const [name, cls] of Object.entries(classes)) {
    if (typeof cls !== 'function' || cls.name === name) continue;
    if (cls === Module || cls.prototype instanceof Module)
      Object.defineProperty(cls, 'name', { value: name, configurable: true });
  }
}

export class Module {
  /** @internal */ declare _parameters: Map<string, Parameter | null>;
  /** @internal */ declare _buffers: Map<string, Tensor | null>;
  /** @internal */ declare _modules: Map<string, Module | null>;
  /** @internal */ declare _nonPersistentBuffers: Set<string>;
  /** @internal */ declare _forwardPreHooks: Map<number, ForwardPreHook>;
  /** @internal */ declare _forwardHooks: Map<number, ForwardHook>;
  /** train mode (dropout active, batch norm on batch statistics) or eval mode */
  declare training: boolean;

  constructor() {
    const hidden = (name: string | symbol, value: unknown) =>
      Object.defineProperty(this, name, { value, writable: true, enumerable: false, configurable: true });
    hidden(RAW, this);
    hidden('_parameters', new Map());
    hidden('_buffers', new Map());
    hidden('_modules', new Map());
    hidden('_nonPersistentBuffers', new Set());
    hidden('_forwardPreHooks', new Map());
    hidden('_forwardHooks', new Map());
    hidden('training', true);
    return new Proxy(this as unknown as Raw, handler);
  }

  // ---------- calling ----------

  /** The computation. Subclasses override it; run it with `call` so hooks apply. */
  forward(..._args: any[]): any {
    // eslint-disable-line @typescript-eslint/no-explicit-any
    throw new ArgumentError(`Module [${this._getName()}] is missing the required "forward" function`);
  }
  /** PyTorch's `module(...)`: forward pre-hooks, `forward`, forward hooks. */
  call<M extends Module>(this: M, ...args: Parameters<M['forward']>): ReturnType<M['forward']> {
    let a: unknown[] = args;
    for (const h of this._forwardPreHooks.values()) {
      const r = h(this, a);
      if (r !== undefined) a = Array.isArray(r) ? r : [r];
    }
    let out = this.forward(...a);
    for (const h of this._forwardHooks.values()) {
      const r = h(this, a, out);
      if (r !== undefined) out = r;
    }
    return out;
  }
  /** `hook(module, args)` runs before forward; a returned value (an array = all args) replaces the args. */
  registerForwardPreHook(hook: ForwardPreHook): RemovableHandle {
    return addHook(this._forwardPreHooks, hook);
  }
  /** `hook(module, args, output)` runs after forward; a returned value replaces the output. */
  registerForwardHook(hook: ForwardHook): RemovableHandle {
    return addHook(this._forwardHooks, hook);
  }

  // ---------- registration ----------

  registerParameter(name: string, param: Parameter | null): void {
    registerParameterRaw(raw(this), name, param);
  }
  /** A tensor that is state but not a parameter (running statistics); in the state dict unless `persistent: false`. */
  registerBuffer(name: string, tensor: Tensor | null, opts: { persistent?: boolean } = {}): void {
    registerBufferRaw(raw(this), name, tensor, opts.persistent ?? true);
  }
  addModule(name: string, module: Module | null): void {
    addModuleRaw(raw(this), name, module);
  }
  registerModule(name: string, module: Module | null): void {
    addModuleRaw(raw(this), name, module);
  }

  // ---------- traversal (arrays, registration order, each object once) ----------

  namedChildren(): [string, Module][] {
    const seen = new Set<Module>();
    const out: [string, Module][] = [];
    for (const [name, m] of this._modules) {
      if (m && !seen.has(m)) {
        seen.add(m);
        out.push([name, m]);
      }
    }
    return out;
  }
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }
  /** This module and every descendant, pre-order, with dotted names (`layer1.0.conv1`); this one is ''. */
  namedModules(opts: { prefix?: string; removeDuplicate?: boolean } = {}): [string, Module][] {
    const out: [string, Module][] = [];
    const memo = new Set<Module>();
    const removeDuplicate = opts.removeDuplicate ?? true;
    const walk = (m: Module, prefix: string) => {
      if (memo.has(m)) return;
      if (removeDuplicate) memo.add(m);
      out.push([prefix, m]);
      for (const [name, c] of m._modules) if (c) walk(c, prefix ? `${prefix}.${name}` : name);
    };
    walk(this, opts.prefix ?? '');
    return out;
  }
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }
  private namedMembers<T extends Tensor>(
    kind: '_parameters' | '_buffers',
    opts: { prefix?: string; recurse?: boolean; removeDuplicate?: boolean },
  ): [string, T][] {
    const removeDuplicate = opts.removeDuplicate ?? true;
    const mods: [string, Module][] =
      (opts.recurse ?? true)
        ? this.namedModules({ prefix: opts.prefix, removeDuplicate })
        : [[opts.prefix ?? '', this]];
    const memo = new Set<Tensor>();
    const out: [string, T][] = [];
    for (const [prefix, m] of mods) {
      for (const [k, v] of m[kind]) {
        if (!v || memo.has(v)) continue;
        if (removeDuplicate) memo.add(v);
        out.push([prefix ? `${prefix}.${k}` : k, v as T]);
      }
    }
    return out;
  }
  /** `[name, parameter]` pairs (`fc.weight`); a parameter shared by two modules appears once. */
  namedParameters(opts: { prefix?: string; recurse?: boolean; removeDuplicate?: boolean } = {}): [string, Parameter][] {
    return this.namedMembers<Parameter>('_parameters', opts);
  }
  parameters(opts: { recurse?: boolean } = {}): Parameter[] {
    return this.namedParameters(opts).map(([, p]) => p);
  }
  /** `[name, buffer]` pairs, persistent or not. */
  namedBuffers(opts: { prefix?: string; recurse?: boolean; removeDuplicate?: boolean } = {}): [string, Tensor][] {
    return this.namedMembers<Tensor>('_buffers', opts);
  }
  buffers(opts: { recurse?: boolean } = {}): Tensor[] {
    return this.namedBuffers(opts).map(([, b]) => b);
  }

  /** The descendant at a dotted path (`'layer4.1'`); '' is this module. */
  getSubmodule(target: string): Module {
    if (target === '') return this;
    let mod: Module = this;
    for (const item of target.split('.')) {
      const next = mod._modules.get(item);
      if (!mod._modules.has(item) || !next)
        throw new ArgumentError(`${mod._getName()} has no attribute \`${item}\` (looking up submodule '${target}')`);
      mod = next;
    }
    return mod;
  }
  /** The parameter at a dotted path (`'fc.weight'`). */
  getParameter(target: string): Parameter {
    const i = target.lastIndexOf('.');
    const mod = this.getSubmodule(i < 0 ? '' : target.slice(0, i));
    const name = target.slice(i + 1);
    const p = mod._parameters.get(name);
    if (!p) throw new ArgumentError(`${mod._getName()} has no parameter \`${name}\` (looking up '${target}')`);
    return p;
  }
  /** The buffer at a dotted path (`'bn1.running_mean'`). */
  getBuffer(target: string): Tensor {
    const i = target.lastIndexOf('.');
    const mod = this.getSubmodule(i < 0 ? '' : target.slice(0, i));
    const name = target.slice(i + 1);
    const b = mod._buffers.get(name);
    if (!b) throw new ArgumentError(`${mod._getName()} has no buffer \`${name}\` (looking up '${target}')`);
    return b;
  }

  // ---------- state dicts ----------

  /**
   * Parameters and persistent buffers by PyTorch key (`layer1.0.bn1.running_mean`), in PyTorch's
   * order: each module's own parameters, then its buffers, then its children. Values are detached
   * views sharing storage (the parameters themselves with `keepVars: true`).
   */
  stateDict(opts: { prefix?: string; keepVars?: boolean } = {}): StateDict {
    return stateDict(this, opts.prefix ?? '', !!opts.keepVars);
  }
  /**
   * Copy `sd` into this module's parameters and buffers (device and dtype converted; never
   * aliased). Everything is validated before anything is copied: a shape mismatch always throws
   * (naming the key and both shapes), and with `strict` (default) missing or unexpected keys do
   * too; when it throws, the module is unchanged.
   *
   * ```ts
   * model.loadStateDict(await torch.load('resnet18.pth'));            // every key must match
   * const { missingKeys, unexpectedKeys } = model.loadStateDict(sd, { strict: false });
   * // the seed's pattern: a new model takes only the keys it shares with the old one
   * const own = model.stateDict();
   * for (const [k, v] of Object.entries(pretrained)) if (k in own) own[k] = v;
   * model.loadStateDict(own);
   * ```
   */
  loadStateDict(sd: StateDictInput, opts: { strict?: boolean } = {}): LoadResult {
    return loadStateDict(this, sd, opts.strict ?? true);
  }
  /** @internal Plan the copies into this module's own state (not its children's). BatchNorm overrides it. */
  _loadFromStateDict(sd: ReadonlyMap<string, unknown>, prefix: string, plan: LoadPlan): void {
    planLocalLoad(this, sd, prefix, plan);
  }

  // ---------- modes, gradients, devices ----------

  train(mode = true): this {
    if (typeof mode !== 'boolean')
      throw new ArgumentError(`training mode is expected to be boolean, got ${typeName(mode)}`);
    this.training = mode;
    for (const c of this.children()) c.train(mode);
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  /** Set requiresGrad on every parameter (false freezes the module). */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }
  /** Reset gradients: disposed and set to null (default), or filled with zeros. */
  zeroGrad(opts: { setToNone?: boolean } = {}): void {
    const setToNone = opts.setToNone ?? true;
    for (const p of this.parameters()) {
      const g = p.grad;
      if (!g) continue;
      if (setToNone) {
        p.grad = null;
        g.dispose();
      } else noGrad(() => g.zero_());
    }
  }
  /** Apply `fn` to every child (recursively), then to this module. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /** Every distinct tensor a device move must carry: parameters, their gradients and buffers. */
  private stateTensors(): Tensor[] {
    const out = new Set<Tensor>();
    for (const m of this.modules()) {
      for (const p of m._parameters.values())
        if (p) {
          out.add(p);
          if (p.grad) out.add(p.grad);
        }
      for (const b of m._buffers.values()) if (b) out.add(b);
    }
    return [...out];
  }
  /**
   * Move parameters, gradients and buffers to `device` in place: the same Parameter objects now
   * live there, so optimizers built before stay valid. cpu → webgpu is synchronous; reading back
   * from webgpu is not, so that direction is `await model.toAsync('cpu')`.
   */
  to(device: Device): this {
    backendFor(device);
    const ts = this.stateTensors().filter((t) => t.device !== device);
    const stuck = ts.find((t) => t.device !== 'cpu');
    if (stuck)
      throw new DeviceError(
        `${this._getName()}.to('${device}'): moving ${stuck.device} tensors to ${device} reads them back, which is asynchronous: use await model.toAsync('${device}')`,
      );
    for (const t of ts) {
      const moved = t._transfer(device);
      t._adoptStorage(moved);
      moved.dispose();
    }
    return this;
  }
  /** `to` for any direction (reads every tensor first; nothing moves if a read fails). */
  async toAsync(device: Device): Promise<this> {
    backendFor(device);
    const ts = this.stateTensors().filter((t) => t.device !== device);
    const moved = await Promise.all(ts.map((t) => t.toAsync(device)));
    ts.forEach((t, i) => {
      t._adoptStorage(moved[i]);
      moved[i].dispose();
    });
    return this;
  }

  // ---------- printing ----------

  /** @internal the class name PyTorch prints */
  _getName(): string {
    return this.constructor.name;
  }
  /** The text inside this module's parentheses when printed (`in_features=512, ...`). */
  extraRepr(): string {
    return '';
  }
  /** PyTorch's `print(model)`, character for character. */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra ? extra.split('\n') : [];
    const childLines = [...this._modules].map(([k, m]) => `(${k}): ${addIndent(m ? m.toString() : 'None', 2)}`);
    const lines = [...extraLines, ...childLines];
    let s = `${this._getName()}(`;
    if (lines.length) {
      if (extraLines.length === 1 && !childLines.length) s += extraLines[0];
      else s += `\n  ${lines.join('\n  ')}\n`;
    }
    return `${s})`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/**
 * @internal Replace a module's children wholesale, in the given order (containers renumber their
 * keys after a deletion or an insertion, as PyTorch's do).
 */
export function _resetModules(m: Module, entries: readonly [string, Module | null][]): void {
  const t = raw(m);
  for (const name of [...t._modules.keys()]) removeFrom(t, name, null);
  for (const [name, c] of entries) addModuleRaw(t, name, c);
}

function addHook<H>(map: Map<number, H>, hook: H): RemovableHandle {
  const id = nextHookId++;
  map.set(id, hook);
  return { remove: () => void map.delete(id) };
}
