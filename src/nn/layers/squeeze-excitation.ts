// torchvision.ops.SqueezeExcitation (MobileNetV3, EfficientNet): a per-channel gate computed from the
// globally pooled input by two 1×1 convolutions. Keys `fc1.*`, `fc2.*` and the printout are
// torchvision's; the activations are constructor arguments as there (ReLU/Sigmoid by default,
// MobileNetV3 passes Hardsigmoid, EfficientNet SiLU(inplace=True)).
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { ReLU, Sigmoid } from './activation.js';
import { Conv2d } from './conv.js';
import { AdaptiveAvgPool2d } from './pool.js';

export interface SqueezeExcitationOptions {
  /** builds the activation between fc1 and fc2 (default `new nn.ReLU()`) */
  activation?: () => Module;
  /** builds the gate after fc2 (default `new nn.Sigmoid()`) */
  scaleActivation?: () => Module;
}

export class SqueezeExcitation extends Module {
  declare avgpool: AdaptiveAvgPool2d;
  declare fc1: Conv2d;
  declare fc2: Conv2d;
  declare activation: Module;
  /** torchvision's attribute name (it is in the printout), as BatchNorm's `running_mean` */
  declare scale_activation: Module;
  constructor(inputChannels: number, squeezeChannels: number, opts: SqueezeExcitationOptions = {}) {
    super();
    this.avgpool = new AdaptiveAvgPool2d(1);
    this.fc1 = new Conv2d(inputChannels, squeezeChannels, 1);
    this.fc2 = new Conv2d(squeezeChannels, inputChannels, 1);
    this.activation = opts.activation ? opts.activation() : new ReLU();
    this.scale_activation = opts.scaleActivation ? opts.scaleActivation() : new Sigmoid();
  }
  /** the gate, [N, C, 1, 1] */
  scale(x: Tensor): Tensor {
    const s = this.fc1.call(this.avgpool.call(x));
    return this.scale_activation.call(this.fc2.call(this.activation.call(s)));
  }
  override forward(x: Tensor): Tensor {
    return this.scale(x).mul(x);
  }
}
