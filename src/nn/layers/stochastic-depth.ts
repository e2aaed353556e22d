// torchvision.ops.StochasticDepth: drops a residual branch per sample ('row') or for the whole batch
// ('batch') while training (EfficientNet's MBConv, ConvNeXt's CNBlock); the identity in eval mode.
import type { Tensor } from '../../tensor/tensor.js';
import { stochasticDepth, type StochasticDepthMode } from '../functional/vision.js';
import { ArgumentError } from '../../errors.js';
import { Module } from '../module.js';
import { pyFloat } from '../repr.js';

export class StochasticDepth extends Module {
  p: number;
  mode: StochasticDepthMode;
  constructor(p: number, mode: StochasticDepthMode) {
    super();
    // torchvision checks at call time; checking here too names the mistake where it is made
    if (!(p >= 0 && p <= 1))
      throw new ArgumentError(`StochasticDepth: drop probability has to be between 0 and 1, but got ${p}`);
    if (mode !== 'row' && mode !== 'batch')
      throw new ArgumentError(`StochasticDepth: mode has to be either 'batch' or 'row', but got ${mode}`);
    this.p = p;
    this.mode = mode;
  }
  override forward(x: Tensor): Tensor {
    return stochasticDepth(x, this.p, this.mode, { training: this.training });
  }
  /** torchvision's __repr__: `StochasticDepth(p=0.0125, mode=row)` (mode unquoted) */
  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, mode=${this.mode}`;
  }
}
