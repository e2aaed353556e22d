// Gradual unfreezing (ULMFiT-style): `unfreezeSchedule(model, ['fc', 'layer4', 'layer3'], { every: 1 })`
// trains 'fc' first, unfreezes 'layer4' one epoch later, 'layer3' after another. `fit` calls
// `onEpochStart(epoch, optimizer)` before each epoch; parameters that become trainable and are not in
// the optimizer yet are added to it as a new param group. The state is a function of the epoch, so
// resuming at epoch k rebuilds exactly the groups the interrupted run had.
import { ArgumentError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Tensor } from '../tensor/tensor.js';
import { unfreeze } from './freeze.js';
import { asPatterns, type Patterns } from './patterns.js';

export interface UnfreezeScheduleOptions {
  /** epochs between two unfreezing steps (default 1) */
  every?: number;
  /** options of the param groups added to the optimizer (e.g. a smaller `lr`); default: the optimizer's defaults */
  groupOptions?: Record<string, unknown> | ((stage: number) => Record<string, unknown>);
}

export interface UnfreezeEvent {
  epoch: number;
  stage: number;
  /** parameter names made trainable */
  unfrozen: string[];
  /** parameters added to the optimizer as a new group (0 when it already held them) */
  added: number;
}

/** Something that changes the model at epoch starts (what `fit`'s `unfreeze` option takes). */
export interface EpochCallback {
  onEpochStart(epoch: number, optimizer: Optimizer): UnfreezeEvent | null;
}

export class UnfreezeSchedule implements EpochCallback {
  readonly stages: Patterns[];
  readonly every: number;
  /** stages already applied */
  applied = 0;
  readonly events: UnfreezeEvent[] = [];

  constructor(
    readonly model: Module,
    stages: readonly Patterns[],
    private readonly opts: UnfreezeScheduleOptions = {},
  ) {
    if (!Array.isArray(stages) || stages.length === 0)
      throw new ArgumentError('unfreezeSchedule: give at least one stage (pattern or list of patterns)');
    stages.forEach((s) => asPatterns(s, 'unfreezeSchedule'));
    this.stages = [...stages];
    this.every = opts.every ?? 1;
    if (!Number.isInteger(this.every) || this.every < 1)
      throw new ArgumentError(`unfreezeSchedule: every must be a positive integer, got ${opts.every}`);
  }

  /** How many stages are unfrozen during `epoch` (0-based): stage s opens at epoch s * every. */
  stagesAt(epoch: number): number {
    return Math.min(this.stages.length, Math.floor(epoch / this.every) + 1);
  }

  /** Apply every stage due by `epoch`; returns what changed (null when nothing did). */
  onEpochStart(epoch: number, optimizer: Optimizer): UnfreezeEvent | null {
    const due = this.stagesAt(epoch);
    if (due <= this.applied) return null;
    const unfrozen: string[] = [];
    let added = 0;
    for (let s = this.applied; s < due; s++) {
      const names = unfreeze(this.model, this.stages[s]);
      unfrozen.push(...names);
      added += this.addToOptimizer(optimizer, s);
    }
    this.applied = due;
    const ev = { epoch, stage: due - 1, unfrozen, added };
    this.events.push(ev);
    return ev;
  }

  private addToOptimizer(optimizer: Optimizer, stage: number): number {
    const inOpt = new Set<Tensor>(optimizer.paramGroups.flatMap((g) => g.params));
    const fresh = this.model.parameters().filter((p) => p.requiresGrad && !inOpt.has(p));
    if (!fresh.length) return 0;
    const extra =
      typeof this.opts.groupOptions === 'function' ? this.opts.groupOptions(stage) : (this.opts.groupOptions ?? {});
    // schedulers attached to the optimizer extend their per-group state themselves (scheduler-base.ts)
    optimizer.addParamGroup({ ...extra, params: fresh });
    return fresh.length;
  }
}

export function unfreezeSchedule(
  model: Module,
  stages: readonly Patterns[],
  opts: UnfreezeScheduleOptions = {},
): UnfreezeSchedule {
  return new UnfreezeSchedule(model, stages, opts);
}
