// SWALR (PyTorch 1.13's torch.optim.swa_utils.SWALR): anneals each group's lr to its `swa_lr` over
// annealEpochs steps (cos or linear), then holds it. Each step undoes the previous blend to recover
// the lr it started from, so another scheduler may have moved the lr before SWALR takes over.
// Each group carries `swaLr` (`swa_lr` in a state dict), as PyTorch's do. A group added later takes
// the first group's swaLr unless it has its own, and its lr is blended to where the anneal stands,
// since each step reads the lr it finds as already blended.
import { ArgumentError } from '../errors.js';
import type { Optimizer, ParamGroup } from './optimizer.js';
import { LRScheduler } from './scheduler-base.js';

export interface SWALROptions {
  annealEpochs?: number;
  annealStrategy?: 'cos' | 'linear';
  lastEpoch?: number;
}

const ANNEAL = {
  linear: (t: number) => t,
  cos: (t: number) => (1 - Math.cos(Math.PI * t)) / 2,
};

export class SWALR extends LRScheduler {
  annealEpochs: number;
  /** not serialised (PyTorch's state dict carries the function itself) */
  private annealFunc: (t: number) => number;

  constructor(optimizer: Optimizer, swaLr: number | number[], opts: SWALROptions = {}) {
    const { annealEpochs = 10, annealStrategy = 'cos', lastEpoch = -1 } = opts;
    const n = optimizer.paramGroups.length;
    if (Array.isArray(swaLr) && swaLr.length !== n) {
      throw new ArgumentError(
        `swa_lr must have the same length as optimizer.param_groups: swa_lr has ${swaLr.length}, optimizer.param_groups has ${n}`,
      );
    }
    const lrs = Array.isArray(swaLr) ? swaLr : new Array<number>(n).fill(swaLr);
    optimizer.paramGroups.forEach((g, i) => {
      g.swaLr = lrs[i];
    });
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear')
      throw new ArgumentError(`anneal_strategy must by one of 'cos' or 'linear', instead got ${annealStrategy}`);
    if (!Number.isInteger(annealEpochs) || annealEpochs < 0)
      throw new ArgumentError(`anneal_epochs must be equal or greater than 0, got ${annealEpochs}`);
    super(optimizer, lastEpoch);
    this.annealFunc = ANNEAL[annealStrategy];
    this.annealEpochs = annealEpochs;
    this._initialStep();
  }

  /** the lr that blended with swaLr by `alpha` gave `lr` */
  private static initialLr(lr: number, swaLr: number, alpha: number): number {
    if (alpha === 1) return swaLr;
    return (lr - alpha * swaLr) / (1 - alpha);
  }

  /** how far (0 → 1) the lr has moved to swaLr after `step` steps */
  private alphaAt(step: number): number {
    return this.annealFunc(Math.max(0, Math.min(1, step / Math.max(1, this.annealEpochs))));
  }
  /** the anneal step the last `step()` ran */
  private get annealStep(): number {
    const step = this._stepCount - 1;
    return this.annealEpochs === 0 ? Math.max(1, step) : step;
  }

  override onParamGroupAdded(group: ParamGroup): void {
    if (group.swaLr === undefined) group.swaLr = this.groups[0].swaLr;
    super.onParamGroupAdded(group);
    const alpha = this.alphaAt(this.annealStep);
    group.lr = (group.swaLr as number) * alpha + group.lr * (1 - alpha);
    this._lastLr[this._lastLr.length - 1] = group.lr;
  }

  protected getLr(): number[] {
    const step = this.annealStep;
    const prevAlpha = this.alphaAt(step - 1);
    const alpha = this.alphaAt(step);
    return this.groups.map((g) => {
      const prev = SWALR.initialLr(g.lr, g.swaLr as number, prevAlpha);
      return (g.swaLr as number) * alpha + prev * (1 - alpha);
    });
  }
}
