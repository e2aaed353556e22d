// nn.Linear and nn.Identity.
import { linear } from '../../autograd/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { py } from '../repr.js';
import { newParameter, resetLinearLike, type FactoryOptions } from './common.js';

export interface LinearOptions extends FactoryOptions {
  bias?: boolean;
}

/** y = x Wᵀ + b; weight [outFeatures, inFeatures], bias [outFeatures]. */
export class Linear extends Module {
  declare weight: Parameter;
  declare bias: Parameter | null;
  inFeatures: number;
  outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = newParameter([outFeatures, inFeatures], opts.device);
    if (opts.bias ?? true) this.bias = newParameter([outFeatures], opts.device);
    else this.registerParameter('bias', null);
    this.resetParameters();
  }

  /** PyTorch's init: kaiming_uniform_(a=√5), i.e. U(±1/√fan_in), for the weight and the bias. */
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias);
  }
  override forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${py(this.bias !== null)}`;
  }
}

/** Returns its input (a placeholder that keeps a model's structure, e.g. a removed head). */
export class Identity extends Module {
  /** arguments are accepted and ignored, as in PyTorch */
  constructor(..._args: unknown[]) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return x;
  }
}
