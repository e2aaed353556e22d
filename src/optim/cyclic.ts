// CyclicLR (Smith's cyclical learning rates), as PyTorch 1.13: the lr climbs from baseLr to maxLr
// over stepSizeUp iterations and falls back over stepSizeDown, the amplitude scaled per cycle
// ('triangular', 'triangular2') or per iteration ('exp_range'), or by a custom scaleFn. With
// cycleMomentum the momentum moves inversely between maxMomentum and baseMomentum. PyTorch 1.13
// refuses Adam there; like PyTorch 2.x, an optimizer with `betas` has its beta1 cycled instead.
// A group added later cycles from its lr up to the first group's max/base ratio, with the first
// group's momentum bounds.
import { ArgumentError } from '../errors.js';
import type { Optimizer, ParamGroup } from './optimizer.js';
import { LRScheduler, packState, unpackState, type SchedulerStateDict } from './scheduler-base.js';

export type CyclicMode = 'triangular' | 'triangular2' | 'exp_range';
export interface CyclicLROptions {
  stepSizeUp?: number;
  /** defaults to stepSizeUp */
  stepSizeDown?: number | null;
  mode?: CyclicMode;
  /** exp_range's per-iteration factor */
  gamma?: number;
  /** replaces `mode`: 0 ≤ scaleFn(x) ≤ 1, x the cycle number or the iteration (scaleMode) */
  scaleFn?: ((x: number) => number) | null;
  scaleMode?: 'cycle' | 'iterations';
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  lastEpoch?: number;
}

/** A value per param group: one for all, or a list of the right length (PyTorch's `_format_param`). */
export function perGroup(optimizer: Optimizer, name: string, v: number | readonly number[]): number[] {
  const n = optimizer.paramGroups.length;
  if (!Array.isArray(v)) return new Array<number>(n).fill(v as number);
  if (v.length !== n) throw new ArgumentError(`expected ${n} values for ${name}, got ${v.length}`);
  return [...v];
}

export class CyclicLR extends LRScheduler {
  maxLrs: number[];
  totalSize: number;
  stepRatio: number;
  mode: CyclicMode;
  gamma: number;
  scaleMode: 'cycle' | 'iterations';
  cycleMomentum: boolean;
  // only with cycleMomentum, and useBeta1 only when true: the state dict has PyTorch's keys
  declare useBeta1?: boolean;
  declare baseMomentums: number[];
  declare maxMomentums: number[];
  /** a user's scaleFn (not serialised, as PyTorch) */
  private scaleFnCustom: ((x: number) => number) | null;

  constructor(optimizer: Optimizer, baseLr: number | number[], maxLr: number | number[], opts: CyclicLROptions = {}) {
    const {
      stepSizeUp = 2000,
      stepSizeDown = null,
      mode = 'triangular',
      gamma = 1.0,
      scaleFn = null,
      scaleMode = 'cycle',
      cycleMomentum = true,
      baseMomentum = 0.8,
      maxMomentum = 0.9,
      lastEpoch = -1,
    } = opts;
    const baseLrs = perGroup(optimizer, 'base_lr', baseLr);
    if (lastEpoch === -1)
      optimizer.paramGroups.forEach((g, i) => {
        g.lr = baseLrs[i];
      });
    const maxLrs = perGroup(optimizer, 'max_lr', maxLr);
    if (!['triangular', 'triangular2', 'exp_range'].includes(mode) && !scaleFn)
      throw new ArgumentError('mode is invalid and scale_fn is None');
    if (scaleFn && scaleMode !== 'cycle' && scaleMode !== 'iterations')
      throw new ArgumentError(`scaleMode must be 'cycle' or 'iterations', got ${scaleMode}`);
    let useBeta1 = false,
      baseMomentums: number[] = [],
      maxMomentums: number[] = [];
    if (cycleMomentum) {
      const d = optimizer.defaults;
      if (!('momentum' in d) && !('betas' in d))
        throw new ArgumentError('optimizer must support momentum with `cycle_momentum` option enabled');
      useBeta1 = !('momentum' in d);
      const base = perGroup(optimizer, 'base_momentum', baseMomentum);
      if (lastEpoch === -1) {
        optimizer.paramGroups.forEach((g, i) => {
          if (useBeta1) g.betas = [base[i], ...(g.betas as number[]).slice(1)];
          else g.momentum = base[i];
        });
      }
      baseMomentums = optimizer.paramGroups.map((g) => (useBeta1 ? (g.betas as number[])[0] : (g.momentum as number)));
      maxMomentums = perGroup(optimizer, 'max_momentum', maxMomentum);
    }
    super(optimizer, lastEpoch);
    this.maxLrs = maxLrs;
    const up = stepSizeUp,
      down = stepSizeDown ?? stepSizeUp;
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    this.mode = mode;
    this.gamma = gamma;
    this.scaleFnCustom = scaleFn;
    this.scaleMode = scaleFn ? scaleMode : mode === 'exp_range' ? 'iterations' : 'cycle';
    this.cycleMomentum = cycleMomentum;
    if (cycleMomentum) {
      if (useBeta1) this.useBeta1 = true;
      this.baseMomentums = baseMomentums;
      this.maxMomentums = maxMomentums;
    }
    // the first step runs with base_lrs from `initial_lr`, then they become baseLr (as PyTorch's order)
    this._initialStep();
    this.baseLrs = baseLrs;
  }

  override onParamGroupAdded(group: ParamGroup): void {
    super.onParamGroupAdded(group); // baseLrs: its initialLr, i.e. its lr
    const base = this.baseLrs[this.baseLrs.length - 1];
    this.maxLrs.push(this.baseLrs[0] !== 0 ? (base * this.maxLrs[0]) / this.baseLrs[0] : this.maxLrs[0]);
    if (this.cycleMomentum) {
      this.baseMomentums.push(this.baseMomentums[0]);
      this.maxMomentums.push(this.maxMomentums[0]);
    }
  }

  scaleFn(x: number): number {
    if (this.scaleFnCustom) return this.scaleFnCustom(x);
    if (this.mode === 'triangular') return 1.0;
    if (this.mode === 'triangular2') return 1 / 2.0 ** (x - 1);
    return this.gamma ** x;
  }

  /** lrs at batch index `lastEpoch`; moves the momentum (or beta1) as a side effect, as PyTorch. */
  protected getLr(): number[] {
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1.0 + this.lastEpoch / this.totalSize - cycle;
    const scaleFactor = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const scale = this.scaleFn(this.scaleMode === 'cycle' ? cycle : this.lastEpoch);
    const lrs = this.baseLrs.map((b, i) => b + (this.maxLrs[i] - b) * scaleFactor * scale);
    if (this.cycleMomentum) {
      this.groups.forEach((g, i) => {
        const m = this.maxMomentums[i] - (this.maxMomentums[i] - this.baseMomentums[i]) * scaleFactor * scale;
        if (this.useBeta1) g.betas = [m, ...(g.betas as number[]).slice(1)];
        else g.momentum = m;
      });
    }
    return lrs;
  }

  override stateDict(): SchedulerStateDict {
    return packState(this, ['scaleFnCustom']);
  }
  override loadStateDict(sd: SchedulerStateDict): void {
    unpackState(this, sd, ['scaleFnCustom']);
  }
}
