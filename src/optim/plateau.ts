// ReduceLROnPlateau, as PyTorch 1.13: multiply each group's lr by `factor` once the metric has not
// improved (beyond `threshold`, relative or absolute) for more than `patience` steps, then wait
// `cooldown` steps; never below `minLr`, and changes smaller than `eps` are skipped. It extends
// SchedulerBase, not LRScheduler: its `step` takes the metric, and its PyTorch state dict has no
// `base_lrs` or `_step_count`.
import { ArgumentError, DeviceError, fmtShape } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { Optimizer, ParamGroup } from './optimizer.js';
import { SchedulerBase } from './scheduler-base.js';

export interface ReduceLROnPlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number | number[];
  eps?: number;
}

export class ReduceLROnPlateau extends SchedulerBase {
  factor: number;
  minLrs: number[];
  patience: number;
  cooldown: number;
  cooldownCounter = 0;
  mode: 'min' | 'max';
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  best: number;
  numBadEpochs = 0;
  modeWorse: number;
  eps: number;
  lastEpoch = 0;

  constructor(optimizer: Optimizer, opts: ReduceLROnPlateauOptions = {}) {
    const {
      mode = 'min',
      factor = 0.1,
      patience = 10,
      threshold = 1e-4,
      thresholdMode = 'rel',
      cooldown = 0,
      minLr = 0,
      eps = 1e-8,
    } = opts;
    if (factor >= 1.0) throw new ArgumentError('Factor should be < 1.0.');
    super(optimizer);
    this.factor = factor;
    const n = optimizer.paramGroups.length;
    if (Array.isArray(minLr)) {
      if (minLr.length !== n) throw new ArgumentError(`expected ${n} min_lrs, got ${minLr.length}`);
      this.minLrs = [...minLr];
    } else this.minLrs = new Array(n).fill(minLr);
    this.patience = patience;
    this.cooldown = cooldown;
    this.eps = eps;
    if (mode !== 'min' && mode !== 'max') throw new ArgumentError(`mode ${mode} is unknown!`);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs')
      throw new ArgumentError(`threshold mode ${thresholdMode} is unknown!`);
    this.mode = mode;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.modeWorse = mode === 'min' ? Infinity : -Infinity;
    this.best = this.modeWorse;
    this._lastLr = optimizer.paramGroups.map((g) => g.lr);
    this.attach();
  }

  /** The new group's floor is the first group's `minLr`. */
  override onParamGroupAdded(group: ParamGroup): void {
    this.minLrs.push(this.minLrs[0] ?? 0);
    super.onParamGroupAdded(group);
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.thresholdMode === 'rel') return a < best * (1 - this.threshold);
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.thresholdMode === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  /** `metric`: a number, or a one-element cpu tensor (a webgpu value must be read first: `await loss.item()`). */
  step(metric: number | Tensor): void {
    let current: number;
    if (metric instanceof Tensor) {
      if (metric.numel() !== 1)
        throw new ArgumentError(
          `ReduceLROnPlateau.step: metric must have one element, got shape ${fmtShape(metric.shape)}`,
        );
      if (metric.device !== 'cpu')
        throw new DeviceError(`ReduceLROnPlateau.step: the metric is on ${metric.device}; pass await metric.item()`);
      current = metric.dataSync()[0];
    } else current = Number(metric);
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else this.numBadEpochs += 1;
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs in cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  private reduceLr(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const oldLr = g.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]);
      if (oldLr - newLr > this.eps) g.lr = newLr;
    });
  }
}
