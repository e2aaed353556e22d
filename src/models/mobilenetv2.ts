// torchvision's MobileNetV2 (`mobilenet_v2`): inverted residual blocks (1×1 expand, 3×3 depthwise,
// 1×1 linear projection) with ReLU6. Same module tree, keys (`features.1.conv.0.0.weight`,
// `classifier.1.weight`) and printout as torchvision 0.14, so its checkpoints load with strict: true.
import { add, flatten } from '../autograd/index.js';
import { ArgumentError } from '../errors.js';
import * as nn from '../nn/index.js';
import { adaptiveAvgPool2d } from '../nn/functional/pool.js';
import type { Tensor } from '../tensor/tensor.js';
import { initMobile, makeDivisible } from './mobile-common.js';

export class InvertedResidual extends nn.Module {
  stride: number;
  useResConnect: boolean;
  outChannels: number;
  declare conv: nn.Sequential;
  constructor(inp: number, oup: number, stride: number, expandRatio: number) {
    super();
    if (stride !== 1 && stride !== 2)
      throw new ArgumentError(`InvertedResidual: stride should be 1 or 2 insted of ${stride}`);
    this.stride = stride;
    const hidden = Math.round(inp * expandRatio);
    this.useResConnect = stride === 1 && inp === oup;
    const layers: nn.Module[] = [];
    if (expandRatio !== 1)
      layers.push(new nn.Conv2dNormActivation(inp, hidden, { kernelSize: 1, activationLayer: nn.ReLU6 }));
    layers.push(
      new nn.Conv2dNormActivation(hidden, hidden, { stride, groups: hidden, activationLayer: nn.ReLU6 }), // depthwise
      new nn.Conv2d(hidden, oup, 1, { bias: false }), // pointwise, linear
      new nn.BatchNorm2d(oup),
    );
    this.conv = new nn.Sequential(...layers);
    this.outChannels = oup;
  }
  override forward(x: Tensor): Tensor {
    return this.useResConnect ? add(x, this.conv.call(x)) : this.conv.call(x);
  }
}

export interface MobileNetV2Options {
  numClasses?: number;
  /** scales every layer's channels (default 1) */
  widthMult?: number;
  /** channels are rounded to multiples of this (default 8) */
  roundNearest?: number;
  /** the classifier's dropout probability (default 0.2) */
  dropout?: number;
}

/** t (expansion), c (channels), n (blocks), s (first block's stride) per stage */
const SETTING: [number, number, number, number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

export class MobileNetV2 extends nn.Module {
  lastChannel: number;
  declare features: nn.Sequential;
  /** Dropout then the head Linear at `classifier.1` */
  declare classifier: nn.Sequential;
  constructor(opts: MobileNetV2Options = {}) {
    super();
    const width = opts.widthMult ?? 1,
      round = opts.roundNearest ?? 8;
    let input = makeDivisible(32 * width, round);
    this.lastChannel = makeDivisible(1280 * Math.max(1, width), round);
    const features: nn.Module[] = [new nn.Conv2dNormActivation(3, input, { stride: 2, activationLayer: nn.ReLU6 })];
    for (const [t, c, n, s] of SETTING) {
      const out = makeDivisible(c * width, round);
      for (let i = 0; i < n; i++) {
        features.push(new InvertedResidual(input, out, i === 0 ? s : 1, t));
        input = out;
      }
    }
    features.push(new nn.Conv2dNormActivation(input, this.lastChannel, { kernelSize: 1, activationLayer: nn.ReLU6 }));
    this.features = new nn.Sequential(...features);
    this.classifier = new nn.Sequential(
      new nn.Dropout(opts.dropout ?? 0.2),
      new nn.Linear(this.lastChannel, opts.numClasses ?? 1000),
    );
    initMobile(this, 'normal');
  }
  override forward(x: Tensor): Tensor {
    x = flatten(adaptiveAvgPool2d(this.features.call(x), [1, 1]), 1);
    return this.classifier.call(x);
  }
}

export const mobilenetV2 = (opts: MobileNetV2Options = {}) => new MobileNetV2(opts);
