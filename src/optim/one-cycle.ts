// OneCycleLR (Smith & Topin's 1cycle), as PyTorch 1.13: warm up from maxLr/divFactor to maxLr, anneal
// to initial/finalDivFactor (cos or linear), optionally in three phases; cycles SGD's momentum or
// Adam's beta1 inversely to the lr. It writes `initialLr`, `maxLr`, `minLr`, `maxMomentum`,
// `baseMomentum` into each param group, as PyTorch does. A group added later has its lr as its max
// lr and the first group's cycle shape (divFactor, finalDivFactor, momentum bounds).
import { ArgumentError } from '../errors.js';
import type { Optimizer, ParamGroup } from './optimizer.js';
import { LRScheduler } from './scheduler-base.js';

export interface OneCycleLROptions {
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
  lastEpoch?: number;
}

/** One phase, keyed as PyTorch's `_schedule_phases` (its values name param-group fields). */
interface Phase {
  end_step: number;
  start_lr: string;
  end_lr: string;
  start_momentum: string;
  end_momentum: string;
}
const GROUP_KEY: Record<string, string> = {
  initial_lr: 'initialLr',
  max_lr: 'maxLr',
  min_lr: 'minLr',
  max_momentum: 'maxMomentum',
  base_momentum: 'baseMomentum',
};

export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  _schedulePhases: Phase[];
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  useBeta1 = false;

  constructor(optimizer: Optimizer, maxLr: number | number[], opts: OneCycleLROptions = {}) {
    const {
      totalSteps,
      epochs,
      stepsPerEpoch,
      pctStart = 0.3,
      annealStrategy = 'cos',
      cycleMomentum = true,
      baseMomentum = 0.85,
      maxMomentum = 0.95,
      divFactor = 25,
      finalDivFactor = 1e4,
      threePhase = false,
      lastEpoch = -1,
    } = opts;
    let total: number;
    if (totalSteps === undefined && epochs === undefined && stepsPerEpoch === undefined) {
      throw new ArgumentError('You must define either totalSteps OR (epochs AND stepsPerEpoch)');
    } else if (totalSteps !== undefined) {
      if (!(totalSteps > 0) || !Number.isInteger(totalSteps))
        throw new ArgumentError(`Expected positive integer totalSteps, but got ${totalSteps}`);
      total = totalSteps;
    } else {
      if (!(epochs! > 0) || !Number.isInteger(epochs))
        throw new ArgumentError(`Expected positive integer epochs, but got ${epochs}`);
      if (!(stepsPerEpoch! > 0) || !Number.isInteger(stepsPerEpoch))
        throw new ArgumentError(`Expected positive integer stepsPerEpoch, but got ${stepsPerEpoch}`);
      total = epochs! * stepsPerEpoch!;
    }
    if (!(pctStart >= 0 && pctStart <= 1))
      throw new ArgumentError(`Expected float between 0 and 1 pctStart, but got ${pctStart}`);
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear')
      throw new ArgumentError(`annealStrategy must by one of 'cos' or 'linear', instead got ${annealStrategy}`);
    const groups = optimizer.paramGroups;
    const perGroup = (name: string, v: number | number[]) => {
      if (!Array.isArray(v)) return groups.map(() => v);
      if (v.length !== groups.length)
        throw new ArgumentError(`expected ${groups.length} values for ${name}, got ${v.length}`);
      return v;
    };
    const maxLrs = perGroup('maxLr', maxLr);
    if (lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i] / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = g.initialLr / finalDivFactor;
      });
    }
    let useBeta1 = false;
    if (cycleMomentum) {
      const d = optimizer.defaults;
      if (!('momentum' in d) && !('betas' in d))
        throw new ArgumentError('optimizer must support momentum with `cycleMomentum` option enabled');
      useBeta1 = 'betas' in d;
      const maxM = perGroup('maxMomentum', maxMomentum),
        baseM = perGroup('baseMomentum', baseMomentum);
      if (lastEpoch === -1) {
        groups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxM[i], ...(g.betas as number[]).slice(1)];
          else g.momentum = maxM[i];
          g.maxMomentum = maxM[i];
          g.baseMomentum = baseM[i];
        });
      }
    }
    super(optimizer, lastEpoch);
    this.totalSteps = total;
    this._schedulePhases = threePhase
      ? [
          {
            end_step: pctStart * total - 1,
            start_lr: 'initial_lr',
            end_lr: 'max_lr',
            start_momentum: 'max_momentum',
            end_momentum: 'base_momentum',
          },
          {
            end_step: 2 * pctStart * total - 2,
            start_lr: 'max_lr',
            end_lr: 'initial_lr',
            start_momentum: 'base_momentum',
            end_momentum: 'max_momentum',
          },
          {
            end_step: total - 1,
            start_lr: 'initial_lr',
            end_lr: 'min_lr',
            start_momentum: 'max_momentum',
            end_momentum: 'max_momentum',
          },
        ]
      : [
          {
            end_step: pctStart * total - 1,
            start_lr: 'initial_lr',
            end_lr: 'max_lr',
            start_momentum: 'max_momentum',
            end_momentum: 'base_momentum',
          },
          {
            end_step: total - 1,
            start_lr: 'max_lr',
            end_lr: 'min_lr',
            start_momentum: 'base_momentum',
            end_momentum: 'max_momentum',
          },
        ];
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this._initialStep();
  }

  override onParamGroupAdded(group: ParamGroup): void {
    const first = this.groups[0];
    const scale = (first.maxLr as number) !== 0 ? group.lr / (first.maxLr as number) : 1;
    group.maxLr = group.lr;
    group.initialLr = (first.initialLr as number) * scale;
    group.minLr = (first.minLr as number) * scale;
    if (this.cycleMomentum) {
      group.maxMomentum = first.maxMomentum;
      group.baseMomentum = first.baseMomentum;
    }
    super.onParamGroupAdded(group);
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'linear') return (end - start) * pct + start;
    const cosOut = Math.cos(Math.PI * pct) + 1;
    return end + ((start - end) / 2.0) * cosOut;
  }

  protected getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new ArgumentError(
        `Tried to step ${stepNum + 1} times. The specified number of total steps is ${this.totalSteps}`,
      );
    }
    const phases = this._schedulePhases;
    return this.groups.map((group) => {
      const field = (k: string) => group[GROUP_KEY[k]] as number;
      let startStep = 0;
      let lr = 0,
        momentum = 0;
      for (let i = 0; i < phases.length; i++) {
        const endStep = phases[i].end_step;
        if (stepNum <= endStep || i === phases.length - 1) {
          const pct = (stepNum - startStep) / (endStep - startStep);
          lr = this.anneal(field(phases[i].start_lr), field(phases[i].end_lr), pct);
          if (this.cycleMomentum)
            momentum = this.anneal(field(phases[i].start_momentum), field(phases[i].end_momentum), pct);
          break;
        }
        startStep = endStep;
      }
      if (this.cycleMomentum) {
        if (this.useBeta1) group.betas = [momentum, ...(group.betas as number[]).slice(1)];
        else group.momentum = momentum;
      }
      return lr;
    });
  }
}
