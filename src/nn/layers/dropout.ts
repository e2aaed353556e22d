// nn.Dropout, Dropout1d, Dropout2d: active in training mode only. `inplace` is accepted and
// printed for PyTorch parity; the result is computed out of place (same values).
import { ArgumentError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { dropout, dropout1d, dropout2d } from '../functional/misc.js';
import { Module } from '../module.js';
import { py, pyFloat } from '../repr.js';

abstract class DropoutNd extends Module {
  p: number;
  inplace: boolean;
  constructor(p: number, opts: { inplace?: boolean }) {
    super();
    if (!(p >= 0 && p <= 1)) throw new ArgumentError(`dropout probability has to be between 0 and 1, but got ${p}`);
    this.p = p;
    this.inplace = opts.inplace ?? false;
  }
  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=${py(this.inplace)}`;
  }
}

/** Zeroes each element with probability p and scales the rest by 1/(1-p), in training mode. */
export class Dropout extends DropoutNd {
  constructor(p = 0.5, opts: { inplace?: boolean } = {}) {
    super(p, opts);
  }
  override forward(x: Tensor): Tensor {
    return dropout(x, { p: this.p, training: this.training });
  }
}
/** Zeroes whole channels of [N, C, L] input. */
export class Dropout1d extends DropoutNd {
  constructor(p = 0.5, opts: { inplace?: boolean } = {}) {
    super(p, opts);
  }
  override forward(x: Tensor): Tensor {
    return dropout1d(x, { p: this.p, training: this.training });
  }
}
/** Zeroes whole channels of [N, C, H, W] input. */
export class Dropout2d extends DropoutNd {
  constructor(p = 0.5, opts: { inplace?: boolean } = {}) {
    super(p, opts);
  }
  override forward(x: Tensor): Tensor {
    return dropout2d(x, { p: this.p, training: this.training });
  }
}
