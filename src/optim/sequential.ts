// SequentialLR and ChainedScheduler, as PyTorch 1.13. SequentialLR hands control from one scheduler
// to the next at each milestone, where the incoming one restarts at epoch 0 through its closed form
// (`step(0)`); ChainedScheduler steps them all every epoch. A param group added later reaches each
// inner scheduler directly (they attached first); these only extend their own `_lastLr`.
import { ArgumentError, CheckpointError } from '../errors.js';
import type { Optimizer, ParamGroup } from './optimizer.js';
import { type LRScheduler, packState, SchedulerBase, unpackState, type SchedulerStateDict } from './scheduler-base.js';

/** What both share: their schedulers' state dicts nest under `_schedulers`. */
abstract class SchedulerList extends SchedulerBase {
  abstract _schedulers: LRScheduler[];
  abstract step(): void;

  override stateDict(): SchedulerStateDict {
    return { ...packState(this, ['_schedulers']), _schedulers: this._schedulers.map((s) => s.stateDict()) };
  }
  override loadStateDict(sd: SchedulerStateDict): void {
    const subs = sd._schedulers;
    if (!Array.isArray(subs) || subs.length !== this._schedulers.length) {
      throw new CheckpointError(
        `${this.constructor.name} state dict needs _schedulers with ${this._schedulers.length} entries`,
      );
    }
    unpackState(this, sd, ['_schedulers']);
    subs.forEach((s, i) => this._schedulers[i].loadStateDict(s as SchedulerStateDict));
  }
}

export class SequentialLR extends SchedulerList {
  _schedulers: LRScheduler[];
  _milestones: number[];
  lastEpoch: number;

  constructor(
    optimizer: Optimizer,
    schedulers: LRScheduler[],
    milestones: number[],
    { lastEpoch = -1 }: { lastEpoch?: number } = {},
  ) {
    super(optimizer);
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) {
        throw new ArgumentError(
          `Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index ${i} to be different than the optimizer passed in.`,
        );
      }
    });
    if (milestones.length !== schedulers.length - 1) {
      throw new ArgumentError(
        `Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers ${schedulers.length} and the number of milestones to be equal to ${milestones.length}`,
      );
    }
    this._schedulers = [...schedulers];
    this._milestones = [...milestones];
    this.lastEpoch = lastEpoch + 1;
    // undo what constructing the schedulers did, then let the first one take epoch 0 again
    for (const g of optimizer.paramGroups) g.lr = g.initialLr as number;
    for (const s of this._schedulers) s.lastEpoch -= 1;
    this._schedulers[0]._initialStep();
    this._lastLr = this._schedulers[0].getLastLr();
    for (const s of this._schedulers) optimizer._removeParamGroupListener(s);
    this.attach();
  }

  /** index of the scheduler in charge at `epoch` (bisect_right over the milestones) */
  private activeAt(epoch: number): number {
    let idx = 0;
    while (idx < this._milestones.length && this._milestones[idx] <= epoch) idx++;
    return idx;
  }

  /**
   * Every child extends its per-group lists, but only the one in charge may move the new group's lr
   * (a finished warm-up or a later SWALR would otherwise rescale it).
   */
  override onParamGroupAdded(group: ParamGroup): void {
    const active = this._schedulers[this.activeAt(this.lastEpoch)];
    const own = group.lr;
    for (const s of this._schedulers) {
      if (s === active) continue;
      s.onParamGroupAdded(group);
      group.lr = own;
    }
    active.onParamGroupAdded(group);
    super.onParamGroupAdded(group);
  }

  step(): void {
    this.lastEpoch += 1;
    const idx = this.activeAt(this.lastEpoch);
    const s = this._schedulers[idx];
    if (idx > 0 && this._milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this._lastLr = s.getLastLr();
  }
}

/** ChainedScheduler, as PyTorch 1.13: steps every scheduler each epoch, so their factors multiply. */
export class ChainedScheduler extends SchedulerList {
  _schedulers: LRScheduler[];

  constructor(schedulers: LRScheduler[]) {
    if (schedulers.length === 0) throw new ArgumentError('ChainedScheduler needs at least one scheduler');
    schedulers.forEach((s, i) => {
      if (s.optimizer !== schedulers[0].optimizer) {
        throw new ArgumentError(
          `ChainedScheduler expects all schedulers to belong to the same optimizer, but got schedulers at index 0 and ${i} to be different`,
        );
      }
    });
    super(schedulers[0].optimizer);
    this._schedulers = [...schedulers];
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
    this.attach();
  }

  step(): void {
    for (const s of this._schedulers) s.step();
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
}
