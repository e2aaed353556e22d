// The LR scheduler bases. `SchedulerBase` is what every scheduler shares: the optimizer, `_lastLr`,
// state dicts with PyTorch's snake_case field names (`last_epoch`, `base_lrs`, `_step_count`, ...)
// and the param-group hook below. `LRScheduler` is PyTorch 1.13's `_LRScheduler`: construction
// performs the first step (epoch 0), `step()` advances `lastEpoch` and applies the recursive
// (chainable) form `getLr()`, `step(epoch)` uses the closed form where one exists (SequentialLR
// relies on it at milestones). ReduceLROnPlateau, SequentialLR and ChainedScheduler extend
// SchedulerBase only: their PyTorch state dicts have no `base_lrs` / `_step_count`.
//
// Param groups added after a scheduler: fine-tuning adds a group when it unfreezes layers
// (finetune.unfreezeSchedule → optimizer.addParamGroup), and a scheduler keeps lists with one entry
// per group (`baseLrs`, `_lastLr`, CyclicLR's `maxLrs`, ReduceLROnPlateau's `minLrs`, ...). PyTorch
// has no hook for this: its schedulers zip those lists with `param_groups`, so a later group is
// silently left at its lr (or indexing fails). Here the optimizer tells every scheduler attached to
// it (`_addParamGroupListener`, done once a scheduler is fully built) and each extends its own
// lists in `onParamGroupAdded(group)` — the optimizer rather than `fit` notifies, so a hand-written
// loop that adds a group gets the same behaviour and no caller reaches into a scheduler's fields.
// The rule: the new group starts at its own lr (its `initialLr` is that lr unless it was given one)
// and the next `step()` schedules it like the others; what a scheduler needs beyond that (a max lr,
// momentum bounds, a lambda) comes from the first group, as each scheduler's hook says.
import { ArgumentError, CheckpointError } from '../errors.js';
import { Optimizer, toCamel, toSnake, type ParamGroup, type ParamGroupListener } from './optimizer.js';

export type SchedulerStateDict = Record<string, unknown>;

/** What every scheduler offers (ReduceLROnPlateau's `step` takes the metric). */
export interface Scheduler extends ParamGroupListener {
  getLastLr(): number[];
  stateDict(): SchedulerStateDict;
  loadStateDict(sd: SchedulerStateDict): void;
}

// PyTorch's spelling of fields whose camelCase does not map back mechanically
const SNAKE: Record<string, string> = { tMax: 'T_max', t0: 'T_0', tI: 'T_i', tMult: 'T_mult', tCur: 'T_cur' };
const CAMEL: Record<string, string> = Object.fromEntries(Object.entries(SNAKE).map(([a, b]) => [b, a]));
const snake = (k: string) => SNAKE[k] ?? toSnake(k);
const camel = (k: string) => CAMEL[k] ?? toCamel(k);
/** fields a PyTorch scheduler state dict carries that mean nothing here */
const PYTORCH_ONLY = new Set([
  'verbose',
  '_get_lr_called_within_step',
  'anneal_func',
  '_with_counter',
  '_scale_fn_ref',
  '_scale_fn_custom',
]);

/** Plain fields of `obj` (not the optimizer, not functions) as a snake_case state dict, deep-copied. */
export function packState(obj: object, skip: string[] = []): SchedulerStateDict {
  const out: SchedulerStateDict = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'optimizer' || skip.includes(k) || typeof v === 'function') continue;
    out[snake(k)] = structuredClone(v);
  }
  return out;
}
/** Assign a snake_case state dict onto `obj`'s existing fields; an unknown field is an error. */
export function unpackState(obj: object, sd: SchedulerStateDict, skip: string[] = []): void {
  if (!sd || typeof sd !== 'object') throw new CheckpointError('scheduler state dict must be an object');
  const target = obj as Record<string, unknown>;
  const updates: [string, unknown][] = [];
  for (const [k, v] of Object.entries(sd)) {
    if (PYTORCH_ONLY.has(k)) continue;
    const c = camel(k);
    if (skip.includes(c)) continue;
    if (c === 'optimizer' || !Object.hasOwn(target, c) || typeof target[c] === 'function') {
      throw new CheckpointError(`scheduler state dict has an unknown key '${k}' for ${obj.constructor.name}`);
    }
    updates.push([c, v]);
  }
  for (const [c, v] of updates) target[c] = structuredClone(v);
}

/** What every scheduler has: its optimizer, the lrs of the last step, state dicts, the param-group hook. */
export abstract class SchedulerBase implements Scheduler {
  readonly optimizer: Optimizer;
  _lastLr: number[] = [];

  constructor(optimizer: Optimizer) {
    if (!(optimizer instanceof Optimizer))
      throw new ArgumentError(`${(optimizer as object)?.constructor?.name ?? typeof optimizer} is not an Optimizer`);
    this.optimizer = optimizer;
  }

  protected get groups(): ParamGroup[] {
    return this.optimizer.paramGroups;
  }
  /** Hear of groups added from now on; a subclass calls it once its constructor has done the rest. */
  protected attach(): void {
    this.optimizer._addParamGroupListener(this);
  }
  /** A group was added to the optimizer after this scheduler: extend the per-group state (see the header). */
  onParamGroupAdded(group: ParamGroup): void {
    this._lastLr.push(group.lr);
  }

  getLastLr(): number[] {
    return [...this._lastLr];
  }
  stateDict(): SchedulerStateDict {
    return packState(this);
  }
  loadStateDict(sd: SchedulerStateDict): void {
    unpackState(this, sd);
  }
}

export abstract class LRScheduler extends SchedulerBase {
  baseLrs: number[];
  lastEpoch: number;
  _stepCount = 0;

  /** Subclasses set their fields, then call `this._initialStep()` (PyTorch does it in the base constructor). */
  constructor(optimizer: Optimizer, lastEpoch = -1) {
    super(optimizer);
    if (lastEpoch === -1) {
      for (const g of optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      optimizer.paramGroups.forEach((g, i) => {
        if (g.initialLr === undefined)
          throw new ArgumentError(
            `param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`,
          );
      });
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  /** @internal The first step, at the end of each subclass's constructor (which is then complete: attach). */
  _initialStep(): void {
    this._stepCount = 0;
    this.step();
    this.attach();
  }

  /** The new group's base lr is its `initialLr`, which is its lr unless it was given one. */
  override onParamGroupAdded(group: ParamGroup): void {
    if (group.initialLr === undefined) group.initialLr = group.lr;
    this.baseLrs.push(group.initialLr as number);
    super.onParamGroupAdded(group);
  }

  /** The chainable form: next lrs from the current ones. */
  protected abstract getLr(): number[];
  /** The closed form at `lastEpoch`, where the schedule has one. */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** Advance one epoch (or jump to `epoch`, with the closed form) and set each group's lr. */
  step(epoch?: number): void {
    this._stepCount += 1;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch += 1;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    this.groups.forEach((g, i) => {
      g.lr = values[i];
    });
    this._lastLr = this.groups.map((g) => g.lr);
  }
}
