// The epoch-indexed schedules of PyTorch 1.13, each with its recursive `getLr` (what `step()` uses)
// and, where PyTorch has one, its closed form (used by `step(epoch)`).
import { ArgumentError } from '../errors.js';
import type { Optimizer, ParamGroup } from './optimizer.js';
import { LRScheduler, packState, unpackState, type SchedulerStateDict } from './scheduler-base.js';

type Lambdas = ((epoch: number) => number) | ((epoch: number) => number)[];

/** One function per param group (one given for all, or a list), serialised as PyTorch does. */
abstract class PerGroupLambdaLR extends LRScheduler {
  lrLambdas: ((epoch: number) => number)[];
  constructor(optimizer: Optimizer, lrLambda: Lambdas, lastEpoch: number) {
    super(optimizer, lastEpoch);
    const n = optimizer.paramGroups.length;
    if (Array.isArray(lrLambda)) {
      if (lrLambda.length !== n) throw new ArgumentError(`Expected ${n} lr_lambdas, but got ${lrLambda.length}`);
      this.lrLambdas = [...lrLambda];
    } else this.lrLambdas = new Array(n).fill(lrLambda);
    this._initialStep();
  }
  /**
   * A group added later follows the function when one was given for all groups; with one function
   * per group there is none that is its, and it keeps its lr (a factor of 1), as PyTorch leaves it.
   */
  override onParamGroupAdded(group: ParamGroup): void {
    const first = this.lrLambdas[0];
    this.lrLambdas.push(this.lrLambdas.every((f) => f === first) ? first : () => 1);
    super.onParamGroupAdded(group);
  }
  /** PyTorch stores `lr_lambdas: [None, ...]` for plain functions (they cannot be serialised). */
  override stateDict(): SchedulerStateDict {
    return { ...packState(this, ['lrLambdas']), lr_lambdas: this.lrLambdas.map(() => null) };
  }
  override loadStateDict(sd: SchedulerStateDict): void {
    unpackState(this, sd, ['lrLambdas']);
  }
}

/** lr = initial lr × lrLambda(epoch); one function, or one per param group. */
export class LambdaLR extends PerGroupLambdaLR {
  constructor(optimizer: Optimizer, lrLambda: Lambdas, { lastEpoch = -1 }: { lastEpoch?: number } = {}) {
    super(optimizer, lrLambda, lastEpoch);
  }
  protected getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i](this.lastEpoch));
  }
}

/** lr = previous lr × lrLambda(epoch) from the first step on (epoch 0 keeps the initial lr). */
export class MultiplicativeLR extends PerGroupLambdaLR {
  constructor(optimizer: Optimizer, lrLambda: Lambdas, { lastEpoch = -1 }: { lastEpoch?: number } = {}) {
    super(optimizer, lrLambda, lastEpoch);
  }
  protected getLr(): number[] {
    if (this.lastEpoch > 0) return this.groups.map((g, i) => g.lr * this.lrLambdas[i](this.lastEpoch));
    return this.groups.map((g) => g.lr);
  }
}

/** Multiply by gamma every `stepSize` epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  constructor(
    optimizer: Optimizer,
    stepSize: number,
    { gamma = 0.1, lastEpoch = -1 }: { gamma?: number; lastEpoch?: number } = {},
  ) {
    super(optimizer, lastEpoch);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this._initialStep();
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** Multiply by gamma at each milestone (a milestone listed twice multiplies twice). */
export class MultiStepLR extends LRScheduler {
  /** epoch → how many times it is listed (PyTorch's Counter) */
  milestones: Record<number, number>;
  gamma: number;
  constructor(
    optimizer: Optimizer,
    milestones: number[],
    { gamma = 0.1, lastEpoch = -1 }: { gamma?: number; lastEpoch?: number } = {},
  ) {
    super(optimizer, lastEpoch);
    this.milestones = {};
    for (const m of milestones) this.milestones[m] = (this.milestones[m] ?? 0) + 1;
    this.gamma = gamma;
    this._initialStep();
  }
  protected getLr(): number[] {
    const k = this.milestones[this.lastEpoch];
    if (!k) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma ** k);
  }
  protected override closedFormLr(): number[] {
    let passed = 0; // bisect_right over the sorted milestones with multiplicity
    for (const [m, k] of Object.entries(this.milestones)) if (Number(m) <= this.lastEpoch) passed += k;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }
}

/** Multiply by `factor` until epoch `totalIters`, then restore the lr. */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;
  constructor(
    optimizer: Optimizer,
    {
      factor = 1 / 3,
      totalIters = 5,
      lastEpoch = -1,
    }: { factor?: number; totalIters?: number; lastEpoch?: number } = {},
  ) {
    if (factor > 1 || factor < 0)
      throw new ArgumentError('Constant multiplicative factor expected to be between 0 and 1.');
    super(optimizer, lastEpoch);
    this.factor = factor;
    this.totalIters = totalIters;
    this._initialStep();
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1.0 / this.factor));
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.factorAt(this.lastEpoch));
  }
  private factorAt(epoch: number): number {
    return this.factor + (epoch >= this.totalIters ? 1 : 0) * (1 - this.factor);
  }
  /** A group added mid-warm-up joins it scaled, so the recursive step back at totalIters restores its own lr. */
  override onParamGroupAdded(group: ParamGroup): void {
    super.onParamGroupAdded(group);
    joinAtFactor(this, group, this.factorAt(this.lastEpoch));
  }
}

/**
 * Polynomial decay to 0 over totalIters epochs: lr = initial × (1 - min(t, T)/T)^power, with
 * PyTorch 2.x's semantics (the reference script checks them against the closed form).
 */
export class PolynomialLR extends LRScheduler {
  totalIters: number;
  power: number;
  constructor(
    optimizer: Optimizer,
    { totalIters = 5, power = 1.0, lastEpoch = -1 }: { totalIters?: number; power?: number; lastEpoch?: number } = {},
  ) {
    super(optimizer, lastEpoch);
    this.totalIters = totalIters;
    this.power = power;
    this._initialStep();
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch > this.totalIters) return this.groups.map((g) => g.lr);
    const T = this.totalIters,
      e = this.lastEpoch;
    const decay = ((1.0 - e / T) / (1.0 - (e - 1) / T)) ** this.power;
    return this.groups.map((g) => g.lr * decay);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map(
      (b) => b * (1.0 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power,
    );
  }
}

/** Multiply by gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;
  constructor(optimizer: Optimizer, gamma: number, { lastEpoch = -1 }: { lastEpoch?: number } = {}) {
    super(optimizer, lastEpoch);
    this.gamma = gamma;
    this._initialStep();
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

/** Multiply by a factor that goes linearly from startFactor to endFactor over totalIters epochs. */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  constructor(
    optimizer: Optimizer,
    {
      startFactor = 1 / 3,
      endFactor = 1.0,
      totalIters = 5,
      lastEpoch = -1,
    }: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {},
  ) {
    if (startFactor > 1 || startFactor < 0)
      throw new ArgumentError('Starting multiplicative factor expected to be between 0 and 1.');
    if (endFactor > 1 || endFactor < 0)
      throw new ArgumentError('Ending multiplicative factor expected to be between 0 and 1.');
    super(optimizer, lastEpoch);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this._initialStep();
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr * this.startFactor);
    if (this.lastEpoch > this.totalIters) return this.groups.map((g) => g.lr);
    const d = this.endFactor - this.startFactor;
    return this.groups.map((g) => g.lr * (1 + d / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * d)));
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.factorAt(this.lastEpoch));
  }
  private factorAt(epoch: number): number {
    return (
      this.startFactor + ((this.endFactor - this.startFactor) * Math.min(this.totalIters, epoch)) / this.totalIters
    );
  }
  /** A group added mid-ramp joins at the ramp's current factor, so the recursive steps end at its own lr × endFactor. */
  override onParamGroupAdded(group: ParamGroup): void {
    super.onParamGroupAdded(group);
    joinAtFactor(this, group, this.factorAt(this.lastEpoch));
  }
}

/**
 * ConstantLR and LinearLR step recursively by ratios of their factor, which only works for an lr that
 * already carries the current factor: the new group's lr becomes its initial lr × that factor.
 */
function joinAtFactor(s: LRScheduler, group: ParamGroup, factor: number): void {
  group.lr = (group.initialLr as number) * factor;
  s._lastLr[s._lastLr.length - 1] = group.lr;
}

/**
 * Cosine annealing from the initial lr to etaMin over tMax epochs, in PyTorch's recursive form
 * (each lr derived from the previous one), which is what `step()` follows; past tMax it climbs
 * back, as PyTorch's does.
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;
  constructor(
    optimizer: Optimizer,
    tMax: number,
    { etaMin = 0, lastEpoch = -1 }: { etaMin?: number; lastEpoch?: number } = {},
  ) {
    super(optimizer, lastEpoch);
    this.tMax = tMax;
    this.etaMin = etaMin;
    this._initialStep();
  }
  protected getLr(): number[] {
    const { lastEpoch: e, tMax: T, etaMin } = this;
    if (e === 0) return this.groups.map((g) => g.lr);
    if (this._stepCount === 1 && e > 0) {
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((e * Math.PI) / T))) / 2);
    }
    if ((e - 1 - T) % (2 * T) === 0) {
      return this.groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return this.groups.map(
      (g) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (g.lr - etaMin) + etaMin,
    );
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map(
      (b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2,
    );
  }
}
