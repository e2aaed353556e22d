// Activation modules. `inplace` is accepted and printed for PyTorch parity (torchvision's ResNet
// prints `ReLU(inplace=True)`); the result is computed out of place, with the same values.
import { gelu, leakyRelu, logSoftmax, relu, sigmoid, silu, softmax, tanh } from '../../autograd/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { hardsigmoid, hardswish, relu6 } from '../functional/vision.js';
import { Module } from '../module.js';
import { py, pyFloat } from '../repr.js';

const inplaceRepr = (inplace: boolean) => (inplace ? 'inplace=True' : '');

export class ReLU extends Module {
  inplace: boolean;
  constructor(opts: { inplace?: boolean } = {}) {
    super();
    this.inplace = opts.inplace ?? false;
  }
  override forward(x: Tensor): Tensor {
    return relu(x);
  }
  override extraRepr(): string {
    return inplaceRepr(this.inplace);
  }
}

export class LeakyReLU extends Module {
  negativeSlope: number;
  inplace: boolean;
  constructor(negativeSlope = 0.01, opts: { inplace?: boolean } = {}) {
    super();
    this.negativeSlope = negativeSlope;
    this.inplace = opts.inplace ?? false;
  }
  override forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}${this.inplace ? ', inplace=True' : ''}`;
  }
}

export class GELU extends Module {
  approximate: 'none' | 'tanh';
  constructor(opts: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    this.approximate = opts.approximate ?? 'none';
  }
  override forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class SiLU extends Module {
  inplace: boolean;
  constructor(opts: { inplace?: boolean } = {}) {
    super();
    this.inplace = opts.inplace ?? false;
  }
  override forward(x: Tensor): Tensor {
    return silu(x);
  }
  override extraRepr(): string {
    return inplaceRepr(this.inplace);
  }
}

/** min(max(x, 0), 6) (MobileNetV2); prints `ReLU6(inplace=True)` like PyTorch */
export class ReLU6 extends Module {
  inplace: boolean;
  constructor(opts: { inplace?: boolean } = {}) {
    super();
    this.inplace = opts.inplace ?? false;
  }
  override forward(x: Tensor): Tensor {
    return relu6(x);
  }
  override extraRepr(): string {
    return inplaceRepr(this.inplace);
  }
}

/** x · relu6(x + 3) / 6 (MobileNetV3). PyTorch keeps `inplace` but does not print it. */
export class Hardswish extends Module {
  inplace: boolean;
  constructor(opts: { inplace?: boolean } = {}) {
    super();
    this.inplace = opts.inplace ?? false;
  }
  override forward(x: Tensor): Tensor {
    return hardswish(x);
  }
}

/** relu6(x + 3) / 6 (MobileNetV3's squeeze-excitation gate). `inplace` kept, not printed, as in PyTorch. */
export class Hardsigmoid extends Module {
  inplace: boolean;
  constructor(opts: { inplace?: boolean } = {}) {
    super();
    this.inplace = opts.inplace ?? false;
  }
  override forward(x: Tensor): Tensor {
    return hardsigmoid(x);
  }
}

export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}
export class Tanh extends Module {
  override forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** PyTorch's legacy implicit softmax dim: 0 for 0-, 1- and 3-D input, else 1. */
const implicitDim = (ndim: number) => (ndim === 0 || ndim === 1 || ndim === 3 ? 0 : 1);

export class Softmax extends Module {
  dim: number | null;
  constructor(dim: number | null = null) {
    super();
    this.dim = dim;
  }
  override forward(x: Tensor): Tensor {
    return softmax(x, this.dim ?? implicitDim(x.ndim));
  }
  override extraRepr(): string {
    return `dim=${py(this.dim)}`;
  }
}
export class LogSoftmax extends Module {
  dim: number | null;
  constructor(dim: number | null = null) {
    super();
    this.dim = dim;
  }
  override forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim ?? implicitDim(x.ndim));
  }
  override extraRepr(): string {
    return `dim=${py(this.dim)}`;
  }
}
