// SWALR (PyTorch 1.13's torch.optim.swa_utils.SWALR): anneals each group's lr to its `swa_lr` over
// annealEpochs steps (cos or linear), then holds it. Each step undoes the previous blend to recover
// the lr it started from, so another scheduler may have moved the lr before SWALR takes over.
// Each group carries `swaLr` (`swa_lr` in a state dict), as PyTorch's do.
import { ArgumentError } from '../errors.js';
import type { Optimizer } from './optimizer.js';
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
      throw new ArgumentError(`swa_lr must have the same length as optimizer.param_groups: swa_lr has ${swaLr.length}, optimizer.param_groups has ${n}`);
    }
    const lrs = Array.isArray(swaLr) ? swaLr : new Array<number>(n).fill(swaLr);
    optimizer.paramGroups.forEach((g, i) => { g.swaLr = lrs[i]; });
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear') throw new ArgumentError(`anneal_strategy must by one of 'cos' or 'linear', instead got ${annealStrategy}`);
    if (!Number.isInteger(annealEpochs) || annealEpochs < 0) throw new ArgumentError(`anneal_epochs must be equal or greater than 0, got ${annealEpochs}`);
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

  protected getLr(): number[] {
    let step = this._stepCount - 1;
    if (this.annealEpochs === 0) step = Math.max(1, step);
    const prevT = Math.max(0, Math.min(1, (step - 1) / Math.max(1, this.annealEpochs)));
    const prevAlpha = this.annealFunc(prevT);
    const t = Math.max(0, Math.min(1, step / Math.max(1, this.annealEpochs)));
    const alpha = this.annealFunc(t);
    return this.groups.map((g) => {
      const prev = SWALR.initialLr(g.lr, g.swaLr as number, prevAlpha);
      return (g.swaLr as number) * alpha + prev * (1 - alpha);
    });
  }
}
