// torchvision's MobileNetV3 (`mobilenet_v3_large`, `mobilenet_v3_small`): inverted residual blocks
// with optional squeeze-excitation (Hardsigmoid gate) and ReLU or Hardswish, BatchNorm with eps 1e-3
// and momentum 0.01. Same module tree, keys (`features.1.block.1.fc1.weight`, `classifier.3.weight`)
// and printout as torchvision 0.14.
import { add, flatten } from '../autograd/index.js';
import { ArgumentError } from '../errors.js';
import * as nn from '../nn/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { initMobile, makeDivisible } from './mobile-common.js';

/** one row of the paper's Tables 1 and 2 (channels already scaled by widthMult) */
export interface InvertedResidualConfig {
  inputChannels: number;
  kernel: number;
  expandedChannels: number;
  outChannels: number;
  useSe: boolean;
  useHs: boolean;
  stride: number;
  dilation: number;
}

const norm = (c: number) => new nn.BatchNorm2d(c, { eps: 0.001, momentum: 0.01 });

export class InvertedResidual extends nn.Module {
  useResConnect: boolean;
  outChannels: number;
  declare block: nn.Sequential;
  constructor(cnf: InvertedResidualConfig) {
    super();
    if (!(cnf.stride >= 1 && cnf.stride <= 2))
      throw new ArgumentError(`InvertedResidual: illegal stride value ${cnf.stride}`);
    this.useResConnect = cnf.stride === 1 && cnf.inputChannels === cnf.outChannels;
    const act = cnf.useHs ? nn.Hardswish : nn.ReLU;
    const layers: nn.Module[] = [];
    if (cnf.expandedChannels !== cnf.inputChannels) {
      layers.push(
        new nn.Conv2dNormActivation(cnf.inputChannels, cnf.expandedChannels, {
          kernelSize: 1,
          normLayer: norm,
          activationLayer: act,
        }),
      );
    }
    layers.push(
      new nn.Conv2dNormActivation(cnf.expandedChannels, cnf.expandedChannels, {
        kernelSize: cnf.kernel,
        stride: cnf.dilation > 1 ? 1 : cnf.stride,
        dilation: cnf.dilation,
        groups: cnf.expandedChannels,
        normLayer: norm,
        activationLayer: act,
      }),
    );
    if (cnf.useSe) {
      const squeeze = makeDivisible(Math.floor(cnf.expandedChannels / 4), 8);
      layers.push(
        new nn.SqueezeExcitation(cnf.expandedChannels, squeeze, { scaleActivation: () => new nn.Hardsigmoid() }),
      );
    }
    layers.push(
      new nn.Conv2dNormActivation(cnf.expandedChannels, cnf.outChannels, {
        kernelSize: 1,
        normLayer: norm,
        activationLayer: null,
      }),
    );
    this.block = new nn.Sequential(...layers);
    this.outChannels = cnf.outChannels;
  }
  override forward(x: Tensor): Tensor {
    const y = this.block.call(x);
    return this.useResConnect ? add(y, x) : y;
  }
}

export interface MobileNetV3Options {
  numClasses?: number;
  /** scales every layer's channels (default 1) */
  widthMult?: number;
  /** halve the channels of the last stage (torchvision's reduced_tail, for detection backbones) */
  reducedTail?: boolean;
  /** dilate the last stage instead of striding it */
  dilated?: boolean;
  /** the classifier's dropout probability (default 0.2) */
  dropout?: number;
}

// input, kernel, expanded, out, SE, activation (RE/HS), stride; '/' marks channels halved by reducedTail
type Row = [number | string, number, number | string, number | string, boolean, 'RE' | 'HS', number];
const LARGE: Row[] = [
  [16, 3, 16, 16, false, 'RE', 1],
  [16, 3, 64, 24, false, 'RE', 2],
  [24, 3, 72, 24, false, 'RE', 1],
  [24, 5, 72, 40, true, 'RE', 2],
  [40, 5, 120, 40, true, 'RE', 1],
  [40, 5, 120, 40, true, 'RE', 1],
  [40, 3, 240, 80, false, 'HS', 2],
  [80, 3, 200, 80, false, 'HS', 1],
  [80, 3, 184, 80, false, 'HS', 1],
  [80, 3, 184, 80, false, 'HS', 1],
  [80, 3, 480, 112, true, 'HS', 1],
  [112, 3, 672, 112, true, 'HS', 1],
  [112, 5, 672, '160/', true, 'HS', 2],
  ['160/', 5, '960/', '160/', true, 'HS', 1],
  ['160/', 5, '960/', '160/', true, 'HS', 1],
];
const SMALL: Row[] = [
  [16, 3, 16, 16, true, 'RE', 2],
  [16, 3, 72, 24, false, 'RE', 2],
  [24, 3, 88, 24, false, 'RE', 1],
  [24, 5, 96, 40, true, 'HS', 2],
  [40, 5, 240, 40, true, 'HS', 1],
  [40, 5, 240, 40, true, 'HS', 1],
  [40, 5, 120, 48, true, 'HS', 1],
  [48, 5, 144, 48, true, 'HS', 1],
  [48, 5, 288, '96/', true, 'HS', 2],
  ['96/', 5, '576/', '96/', true, 'HS', 1],
  ['96/', 5, '576/', '96/', true, 'HS', 1],
];

/** torchvision's _mobilenet_v3_conf: the block configs and the classifier's hidden width */
export function mobilenetV3Config(
  arch: 'large' | 'small',
  opts: MobileNetV3Options = {},
): { setting: InvertedResidualConfig[]; lastChannel: number } {
  const width = opts.widthMult ?? 1,
    div = opts.reducedTail ? 2 : 1,
    dilation = opts.dilated ? 2 : 1;
  const adjust = (c: number) => makeDivisible(c * width, 8);
  const ch = (c: number | string) => (typeof c === 'number' ? c : Math.floor(parseInt(c, 10) / div));
  const rows = arch === 'large' ? LARGE : SMALL;
  const setting = rows.map(([i, k, e, o, se, a, s]) => ({
    inputChannels: adjust(ch(i)),
    kernel: k,
    expandedChannels: adjust(ch(e)),
    outChannels: adjust(ch(o)),
    useSe: se,
    useHs: a === 'HS',
    stride: s,
    dilation: typeof o === 'string' || typeof i === 'string' ? dilation : 1, // the C4 stage
  }));
  return { setting, lastChannel: adjust(Math.floor((arch === 'large' ? 1280 : 1024) / div)) };
}

export class MobileNetV3 extends nn.Module {
  declare features: nn.Sequential;
  declare avgpool: nn.AdaptiveAvgPool2d;
  /** Linear, Hardswish, Dropout, then the head Linear at `classifier.3` */
  declare classifier: nn.Sequential;
  constructor(
    setting: InvertedResidualConfig[],
    lastChannel: number,
    opts: { numClasses?: number; dropout?: number } = {},
  ) {
    super();
    if (!setting.length) throw new ArgumentError('MobileNetV3: the inverted_residual_setting should not be empty');
    const first = setting[0].inputChannels;
    const layers: nn.Module[] = [
      new nn.Conv2dNormActivation(3, first, { stride: 2, normLayer: norm, activationLayer: nn.Hardswish }),
    ];
    for (const cnf of setting) layers.push(new InvertedResidual(cnf));
    const lastIn = setting[setting.length - 1].outChannels,
      lastOut = 6 * lastIn;
    layers.push(
      new nn.Conv2dNormActivation(lastIn, lastOut, { kernelSize: 1, normLayer: norm, activationLayer: nn.Hardswish }),
    );
    this.features = new nn.Sequential(...layers);
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    this.classifier = new nn.Sequential(
      new nn.Linear(lastOut, lastChannel),
      new nn.Hardswish({ inplace: true }),
      new nn.Dropout(opts.dropout ?? 0.2, { inplace: true }),
      new nn.Linear(lastChannel, opts.numClasses ?? 1000),
    );
    initMobile(this, 'normal');
  }
  override forward(x: Tensor): Tensor {
    return this.classifier.call(flatten(this.avgpool.call(this.features.call(x)), 1));
  }
}

function build(arch: 'large' | 'small', opts: MobileNetV3Options): MobileNetV3 {
  const { setting, lastChannel } = mobilenetV3Config(arch, opts);
  return new MobileNetV3(setting, lastChannel, opts);
}
export const mobilenetV3Large = (opts: MobileNetV3Options = {}) => build('large', opts);
export const mobilenetV3Small = (opts: MobileNetV3Options = {}) => build('small', opts);
