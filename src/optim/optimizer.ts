// The optimizer base: parameter groups, per-parameter state, zeroGrad, step, and state dicts in
// PyTorch's layout (`state` keyed by parameter index across groups, `param_groups` with index lists
// and snake_case hyperparameters), so a PyTorch optimizer checkpoint maps onto it key for key.
import { enableGrad } from '../autograd/grad-mode.js';
import { ArgumentError, CheckpointError, DeviceError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { keep } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';

/** A value in one parameter's state: a state tensor, a host counter, or PyTorch's `None`. */
export type StateValue = Tensor | number | null;
/** One parameter's state, keyed as PyTorch keys it (`momentum_buffer`, `exp_avg`, `step`, ...). */
export type ParamState = Record<string, StateValue>;

export interface ParamGroup {
  params: Tensor[];
  lr: number;
  /** set by the first LR scheduler attached to the optimizer (PyTorch's `initial_lr`) */
  initialLr?: number;
  [key: string]: unknown;
}
/** A parameter group as given to a constructor or `addParamGroup`: missing options take the defaults. */
export interface ParamGroupInput {
  params: Iterable<Tensor> | Tensor;
  [key: string]: unknown;
}
export type Params = Iterable<Tensor> | Iterable<ParamGroupInput>;

export interface OptimizerStateDict {
  /** per parameter index (counted across groups in order): its state */
  state: Record<number, Record<string, unknown>>;
  /** each group's hyperparameters in snake_case, `params` as the list of parameter indices */
  param_groups: Record<string, unknown>[];
}

/** Marks a default that every group must supply (SGD's `lr`, as PyTorch's `required`). */
export const required: unique symbol = Symbol('required');

/** camelCase ↔ PyTorch's snake_case (`weightDecay` ↔ `weight_decay`, `_stepCount` ↔ `_step_count`) */
export const toSnake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const toCamel = (k: string) => {
  const lead = /^_*/.exec(k)![0];
  return lead + k.slice(lead.length).replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
};

/**
 * Keeps state per param group and must hear of groups added after it attached (LR schedulers;
 * scheduler-base.ts says why PyTorch has no such hook and this library does).
 */
export interface ParamGroupListener {
  onParamGroupAdded(group: ParamGroup): void;
}

export abstract class Optimizer<G extends ParamGroup = ParamGroup> {
  readonly defaults: Record<string, unknown>;
  paramGroups: G[] = [];
  /** per-parameter state, created on a parameter's first step */
  state = new Map<Tensor, ParamState>();
  /** told of each group `addParamGroup` adds, in the order they attached */
  private readonly paramGroupListeners: ParamGroupListener[] = [];

  constructor(params: Params, defaults: Record<string, unknown>) {
    this.defaults = defaults;
    if (params instanceof Tensor) {
      throw new ArgumentError(
        `params argument given to the optimizer should be an iterable of Tensors or param groups, but got a Tensor of shape ${fmtShape(params.shape)}`,
      );
    }
    const list = Array.from(params as Iterable<Tensor | ParamGroupInput>);
    if (list.length === 0) throw new ArgumentError('optimizer got an empty parameter list');
    const groups: ParamGroupInput[] = list.every((p) => p instanceof Tensor)
      ? [{ params: list as Tensor[] }]
      : list.map((g, i) => {
          if (g instanceof Tensor || !g || typeof g !== 'object') {
            throw new ArgumentError(
              `optimizer params must be all Tensors or all param groups ({ params, ... }); entry ${i} is ${g instanceof Tensor ? 'a Tensor' : typeof g}`,
            );
          }
          return g;
        });
    for (const g of groups) this.addParamGroup(g);
  }

  /** Add a group (e.g. layers unfrozen later in fine-tuning); options it leaves out take the defaults. */
  addParamGroup(group: ParamGroupInput): void {
    if (!group || typeof group !== 'object' || !('params' in group))
      throw new ArgumentError('param group must be an object with a `params` entry');
    const raw = group.params;
    if (raw instanceof Set) {
      throw new ArgumentError(
        'optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will change between runs. Please use an array instead.',
      );
    }
    const params = raw instanceof Tensor ? [raw] : Array.from(raw as Iterable<Tensor>);
    params.forEach((p, i) => {
      if (!(p instanceof Tensor))
        throw new ArgumentError(
          `optimizer can only optimize Tensors, but params[${i}] of the group is ${p === null ? 'null' : typeof p}`,
        );
      if (!p.isLeaf)
        throw new ArgumentError(
          `can't optimize a non-leaf Tensor (params[${i}], shape ${fmtShape(p.shape)}, made by ${p.gradFn!.name})`,
        );
    });
    const out: Record<string, unknown> = { ...group, params };
    for (const [name, dflt] of Object.entries(this.defaults)) {
      if (out[name] !== undefined) continue;
      if (dflt === required)
        throw new ArgumentError(`parameter group didn't specify a value of required optimization parameter ${name}`);
      out[name] = Array.isArray(dflt) ? [...dflt] : dflt;
    }
    if (new Set(params).size !== params.length) {
      throw new ArgumentError('optimizer contains a parameter group with duplicate parameters');
    }
    for (const g of this.paramGroups) {
      const dup = params.find((p) => g.params.includes(p));
      if (dup)
        throw new ArgumentError(
          `some parameters appear in more than one parameter group (shape ${fmtShape(dup.shape)})`,
        );
    }
    this.paramGroups.push(out as G);
    for (const l of this.paramGroupListeners) l.onParamGroupAdded(out as G);
  }

  /** @internal Called by a scheduler's constructor: `onParamGroupAdded` then runs for every later group. */
  _addParamGroupListener(l: ParamGroupListener): void {
    if (!this.paramGroupListeners.includes(l)) this.paramGroupListeners.push(l);
  }
  /** @internal A SequentialLR takes over its children's notifications (only the active one may set the lr). */
  _removeParamGroupListener(l: ParamGroupListener): void {
    const i = this.paramGroupListeners.indexOf(l);
    if (i >= 0) this.paramGroupListeners.splice(i, 1);
  }

  /** Clear the gradients: drop them (default, frees their memory now) or fill them with zeros. */
  zeroGrad({ setToNone = true }: { setToNone?: boolean } = {}): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        const grad = p.grad;
        if (!grad) continue;
        if (setToNone) {
          p.grad = null;
          // `.grad` tensors are kept (outside every scope); the optimizer owns them the way the
          // autograd engine does when it accumulates, so drop means free
          grad.dispose();
        } else if (!grad.isDisposed) {
          grad.backend.fill(grad, 0);
        }
      }
    }
  }

  /**
   * One update of every parameter that has a gradient (one fused kernel each, in place, no
   * readback). `closure` re-evaluates the loss (with grad enabled) and its result is returned.
   */
  step(closure?: () => Tensor): Tensor | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const grad = p.grad;
        if (!grad) continue; // frozen or unused: PyTorch skips it and makes no state
        const g = checkParam(p, grad);
        let st = this.state.get(p);
        if (!st) this.state.set(p, (st = {}));
        try {
          this.update(p, g, group, st);
        } finally {
          if (g !== grad) g.dispose();
        }
      }
    }
    return loss;
  }

  /** Apply one update to `p` with the dense gradient `g`, creating state on first use. */
  protected abstract update(p: Tensor, g: Tensor, group: G, state: ParamState): void;

  /** How a state value appears in `stateDict()` (Adam stores `step` as a tensor, as PyTorch 1.13). */
  protected exportState(_key: string, v: StateValue): unknown {
    return v;
  }

  /** The state in PyTorch's layout. State tensors are shared, not copied (as PyTorch). */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    let next = 0;
    const param_groups = this.paramGroups.map((g) => {
      const packed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') packed[toSnake(k)] = Array.isArray(v) ? [...v] : v;
      packed.params = g.params.map((p) => {
        if (!index.has(p)) index.set(p, next++);
        return index.get(p)!;
      });
      return packed;
    });
    const state: Record<number, Record<string, unknown>> = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(st)) out[k] = this.exportState(k, v);
      state[i] = out;
    }
    return { state, param_groups };
  }

  /**
   * Load a state dict from `stateDict()` (or a PyTorch checkpoint): state tensors are copied onto
   * each parameter's device; group hyperparameters replace the current ones, `params` stay.
   * Everything is checked before anything changes.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    if (!sd || typeof sd !== 'object' || !Array.isArray(sd.param_groups) || !sd.state || typeof sd.state !== 'object') {
      throw new CheckpointError('optimizer state dict must have `state` (an object) and `param_groups` (an array)');
    }
    const saved = sd.param_groups;
    if (saved.length !== this.paramGroups.length) {
      throw new CheckpointError(
        `loaded state dict has a different number of parameter groups (${saved.length}, optimizer has ${this.paramGroups.length})`,
      );
    }
    const idMap = new Map<number, Tensor>();
    saved.forEach((sg, gi) => {
      const ids = sg.params;
      const mine = this.paramGroups[gi].params;
      if (!Array.isArray(ids) || ids.length !== mine.length) {
        throw new CheckpointError(
          `loaded state dict contains a parameter group that doesn't match the size of optimizer's group (param_groups[${gi}] has ${Array.isArray(ids) ? ids.length : 'no'} params, the optimizer's group ${mine.length})`,
        );
      }
      ids.forEach((id, k) => idMap.set(Number(id), mine[k]));
    });
    const made: Tensor[] = [];
    const newState = new Map<Tensor, ParamState>();
    try {
      for (const [key, entry] of Object.entries(sd.state)) {
        const p = idMap.get(Number(key));
        if (!p)
          throw new CheckpointError(
            `state[${key}] names no parameter of the optimizer's groups (indices 0..${idMap.size - 1})`,
          );
        if (!entry || typeof entry !== 'object') throw new CheckpointError(`state[${key}] is not an object`);
        const st: ParamState = {};
        for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
          st[k] = importState(`state[${key}].${k}`, k, v, p, made);
        }
        newState.set(p, st);
      }
    } catch (e) {
      for (const t of made) t.dispose();
      throw e;
    }
    for (const st of this.state.values())
      for (const v of Object.values(st)) if (v instanceof Tensor && !made.includes(v)) v.dispose();
    this.state = newState;
    saved.forEach((sg, gi) => {
      const g = this.paramGroups[gi] as Record<string, unknown>;
      for (const [k, v] of Object.entries(sg)) {
        if (k === 'params' || k === '__proto__' || k === 'constructor') continue;
        g[toCamel(k)] = Array.isArray(v) ? [...v] : v;
      }
    });
  }
}

/** `p`'s gradient as a dense tensor the fused kernels can take (a temporary copy when it is a view). */
function checkParam(p: Tensor, grad: Tensor): Tensor {
  if (p.dtype !== 'float32')
    throw new DTypeError(
      `optimizer: parameter of shape ${fmtShape(p.shape)} is ${p.dtype}; only float32 parameters can be optimized`,
    );
  if (!p.isContiguous() || p.offset !== 0) {
    throw new ArgumentError(
      `optimizer: parameters are updated in place by fused kernels and must be contiguous at offset 0; this one has shape ${fmtShape(p.shape)}, strides ${fmtShape(p.strides)}, offset ${p.offset} (optimize the tensor that owns the storage, not a view of it)`,
    );
  }
  if (grad.device !== p.device)
    throw new DeviceError(
      `optimizer: gradient is on ${grad.device} but its parameter (shape ${fmtShape(p.shape)}) is on ${p.device}`,
    );
  if (grad.shape.length !== p.shape.length || grad.shape.some((s, i) => s !== p.shape[i])) {
    throw new ShapeError(
      `optimizer: gradient of shape ${fmtShape(grad.shape)} does not match its parameter's shape ${fmtShape(p.shape)}`,
    );
  }
  if (grad.dtype !== 'float32')
    throw new DTypeError(`optimizer: gradient of shape ${fmtShape(grad.shape)} is ${grad.dtype}, expected float32`);
  return grad.isContiguous() && grad.offset === 0 ? grad : grad._contiguousRaw();
}

/** One loaded state value: tensors copied to the parameter's device (kept), `step` to a number. */
function importState(where: string, key: string, v: unknown, p: Tensor, made: Tensor[]): StateValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (!(v instanceof Tensor))
    throw new CheckpointError(`${where}: expected a Tensor, a number or null, got ${typeof v}`);
  if (key === 'step') {
    // PyTorch 1.13 keeps Adam's step as a 0-dim tensor; here it is a host number
    if (v.numel() !== 1) throw new CheckpointError(`${where}: expected one value, got shape ${fmtShape(v.shape)}`);
    if (v.device !== 'cpu')
      throw new DeviceError(
        `${where} is a ${v.device} tensor; reading it is asynchronous: move the state dict's step to cpu first (await t.toAsync('cpu'))`,
      );
    return v.dataSync()[0];
  }
  if (v.shape.length !== p.shape.length || v.shape.some((s, i) => s !== p.shape[i])) {
    throw new CheckpointError(
      `${where}: shape ${fmtShape(v.shape)} does not match its parameter's shape ${fmtShape(p.shape)}`,
    );
  }
  if (v.dtype !== 'float32') throw new CheckpointError(`${where}: dtype ${v.dtype}, expected float32`);
  let out: Tensor;
  if (v.device === p.device) {
    out = Tensor.empty(p.shape, 'float32', p.device);
    p.backend.copy(v, out);
  } else if (v.device === 'cpu') {
    out = v._transfer(p.device);
  } else {
    throw new DeviceError(
      `${where} is on ${v.device} but its parameter is on ${p.device}: reading it back is asynchronous, move the state to ${p.device} first`,
    );
  }
  made.push(keep(out));
  return out;
}

/**
 * PyTorch 1.13's implementation switches, accepted so its code and state dicts carry over: every
 * step here is one fused kernel per parameter whatever `foreach`/`fused`/`capturable` say; a step
 * cannot be differentiated, so `differentiable: true` is refused.
 */
export interface ImplementationFlags {
  foreach?: boolean | null;
  differentiable?: boolean;
  capturable?: boolean;
  fused?: boolean;
}
/** The flags `keys` (the ones this optimizer class has in PyTorch 1.13) with PyTorch's defaults. */
export function implementationFlags(
  keys: readonly (keyof ImplementationFlags)[],
  opts: ImplementationFlags,
): Record<string, unknown> {
  if (opts.differentiable)
    throw new ArgumentError(
      "differentiable=true is not supported: finetorch's optimizer steps are fused kernels that autograd does not record",
    );
  const dflt: Required<ImplementationFlags> = { foreach: null, differentiable: false, capturable: false, fused: false };
  return Object.fromEntries(keys.map((k) => [k, opts[k] ?? dflt[k]]));
}

/** Shared argument checks, with PyTorch's messages. */
export function checkNonNegative(what: string, v: number): void {
  if (!(v >= 0)) throw new ArgumentError(`Invalid ${what}: ${v}`);
}
