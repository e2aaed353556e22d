// nn.BatchNorm1d / BatchNorm2d, nn.LayerNorm, nn.GroupNorm.
//
// BatchNorm's buffers are PyTorch's: running_mean, running_var and num_batches_tracked (int32 here,
// int64 in PyTorch; loading converts). With `momentum: null` the running statistics are a
// cumulative average, which needs the batch count on the host: it is read from the buffer on cpu
// and tracked on the host (forward increments, loads) for webgpu, where reading it would wait.
import { noGrad } from '../../autograd/grad-mode.js';
import { DeviceError, ShapeError, ArgumentError, fmtShape } from '../../errors.js';
import { zeros } from '../../tensor/creation.js';
import { defaultDevice } from '../../tensor/device.js';
import type { Tensor } from '../../tensor/tensor.js';
import { batchNorm, groupNorm, layerNorm } from '../functional/norm.js';
import { ones_, zeros_ } from '../init.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { py, pyFloat } from '../repr.js';
import type { LoadPlan } from '../state-dict.js';
import { newParameter, type FactoryOptions } from './common.js';

/**
 * The optional per-element affine of the norm layers: weight (ones) and bias (zeros) of `shape`
 * when `on`, else both registered as None (PyTorch's state-dict and print behaviour).
 */
function registerAffine(m: Module, on: boolean, shape: number[], device: FactoryOptions['device']): void {
  if (on) {
    m.registerParameter('weight', newParameter(shape, device));
    m.registerParameter('bias', newParameter(shape, device));
  } else {
    m.registerParameter('weight', null);
    m.registerParameter('bias', null);
  }
}
function resetAffine(m: { weight: Parameter | null; bias: Parameter | null }): void {
  if (m.weight) ones_(m.weight);
  if (m.bias) zeros_(m.bias);
}

export interface BatchNormOptions extends FactoryOptions {
  eps?: number;
  /** weight of the batch statistic in the running average; null: cumulative average. Default 0.1 */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  declare weight: Parameter | null;
  declare bias: Parameter | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;
  numFeatures: number;
  eps: number;
  momentum: number | null;
  affine: boolean;
  trackRunningStats: boolean;
  /** the batch count as the host knows it (null: unknown, loaded from a webgpu tensor) */
  private batchesSeen: number | null = 0;
  /**
   * Running statistics frozen (set by `finetune.freeze` for a frozen layer): the layer stays in eval
   * mode — normalising with the running statistics and never updating them — through `train()`.
   */
  frozenStats = false;

  constructor(numFeatures: number, opts: BatchNormOptions) {
    super();
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    const device = opts.device ?? defaultDevice();
    registerAffine(this, this.affine, [numFeatures], device);
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures], { device }));
      this.registerBuffer('running_var', zeros([numFeatures], { device }));
      this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'int32', device }));
    } else {
      this.registerBuffer('running_mean', null);
      this.registerBuffer('running_var', null);
      this.registerBuffer('num_batches_tracked', null);
    }
    this.resetParameters();
  }

  protected abstract checkInputDim(x: Tensor): void;

  override train(mode = true): this {
    return super.train(this.frozenStats ? false : mode);
  }

  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    zeros_(this.running_mean!);
    ones_(this.running_var!);
    noGrad(() => this.num_batches_tracked!.zero_());
    this.batchesSeen = 0;
  }
  resetParameters(): void {
    this.resetRunningStats();
    resetAffine(this);
  }

  private batchCount(): number {
    const nbt = this.num_batches_tracked!;
    if (nbt.device === 'cpu') return (this.batchesSeen = nbt.dataSync()[0]);
    if (this.batchesSeen === null) {
      throw new DeviceError(
        `${this._getName()} with momentum=null needs num_batches_tracked on the host, but it was loaded from a ${nbt.device} tensor; load the state dict from cpu tensors`,
      );
    }
    return this.batchesSeen;
  }

  override forward(x: Tensor): Tensor {
    this.checkInputDim(x);
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked) {
      noGrad(() => this.num_batches_tracked!.add_(1));
      if (this.batchesSeen !== null) this.batchesSeen++;
      if (this.momentum === null) factor = 1 / this.batchCount();
    }
    const bnTraining = this.training || (this.running_mean === null && this.running_var === null);
    const useRunning = !this.training || this.trackRunningStats;
    return batchNorm(x, useRunning ? this.running_mean : null, useRunning ? this.running_var : null, {
      weight: this.weight,
      bias: this.bias,
      training: bnTraining,
      momentum: factor,
      eps: this.eps,
    });
  }

  /**
   * A checkpoint without num_batches_tracked (PyTorch < 0.4.1, or any without version metadata,
   * such as safetensors) loads with the count 0, as PyTorch does.
   */
  override _loadFromStateDict(sd: ReadonlyMap<string, unknown>, prefix: string, plan: LoadPlan): void {
    const key = `${prefix}num_batches_tracked`;
    const missingBefore = plan.missingKeys.length,
      copiesBefore = plan.copies.length;
    super._loadFromStateDict(sd, prefix, plan);
    const nbt = this.num_batches_tracked;
    if (!this.trackRunningStats || !nbt) return;
    const i = plan.missingKeys.indexOf(key, missingBefore);
    if (i >= 0) {
      plan.missingKeys.splice(i, 1);
      plan.copies.push({ key, dst: nbt, src: zeros([], { dtype: 'int32', device: 'cpu' }), temp: true });
    }
    const c = plan.copies.slice(copiesBefore).find((e) => e.key === key);
    if (c) {
      const n = c.src.device === 'cpu' ? Math.trunc(c.src.dataSync()[0]) : null;
      plan.after.push(() => {
        this.batchesSeen = n;
      });
    }
  }

  override extraRepr(): string {
    return (
      `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${this.momentum === null ? 'None' : pyFloat(this.momentum)}, ` +
      `affine=${py(this.affine)}, track_running_stats=${py(this.trackRunningStats)}`
    );
  }
}

/** Batch norm over [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts);
  }
  protected checkInputDim(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3)
      throw new ShapeError(`BatchNorm1d: expected 2D or 3D input (got ${x.ndim}D input of shape ${fmtShape(x.shape)})`);
  }
}
/** Batch norm over [N, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts);
  }
  protected checkInputDim(x: Tensor): void {
    if (x.ndim !== 4)
      throw new ShapeError(`BatchNorm2d: expected 4D input (got ${x.ndim}D input of shape ${fmtShape(x.shape)})`);
  }
}

export interface LayerNormOptions extends FactoryOptions {
  eps?: number;
  elementwiseAffine?: boolean;
}

/** Normalises over the trailing `normalizedShape` dims, with a per-element affine. */
export class LayerNorm extends Module {
  declare weight: Parameter | null;
  declare bias: Parameter | null;
  normalizedShape: number[];
  eps: number;
  elementwiseAffine: boolean;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = opts.eps ?? 1e-5;
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    registerAffine(this, this.elementwiseAffine, this.normalizedShape, opts.device);
    this.resetParameters();
  }
  resetParameters(): void {
    resetAffine(this);
  }
  override forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
  override extraRepr(): string {
    return `${py(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${py(this.elementwiseAffine)}`;
  }
}

export interface GroupNormOptions extends FactoryOptions {
  eps?: number;
  affine?: boolean;
}

/** Normalises each group of numChannels/numGroups channels, with a per-channel affine. */
export class GroupNorm extends Module {
  declare weight: Parameter | null;
  declare bias: Parameter | null;
  numGroups: number;
  numChannels: number;
  eps: number;
  affine: boolean;

  constructor(numGroups: number, numChannels: number, opts: GroupNormOptions = {}) {
    super();
    if (numChannels % numGroups !== 0)
      throw new ArgumentError(
        `GroupNorm: num_channels must be divisible by num_groups (num_channels=${numChannels}, num_groups=${numGroups})`,
      );
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = opts.eps ?? 1e-5;
    this.affine = opts.affine ?? true;
    registerAffine(this, this.affine, [numChannels], opts.device);
    this.resetParameters();
  }
  resetParameters(): void {
    resetAffine(this);
  }
  override forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${py(this.affine)}`;
  }
}
