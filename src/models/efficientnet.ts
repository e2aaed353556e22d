// torchvision's EfficientNet B0–B3 (`efficientnet_b0` … `efficientnet_b3`): MBConv blocks (expand,
// depthwise, squeeze-excitation with SiLU, project) with per-block stochastic depth growing linearly
// with depth; B1–B3 scale the B0 table by width (channels) and depth (blocks per stage). Same module
// tree, keys (`features.1.0.block.1.fc1.weight`, `classifier.1.weight`) and printout as torchvision
// 0.14. (B4–B7 use BatchNorm eps 1e-3 and larger inputs; not built here.)
import { add, flatten } from '../autograd/index.js';
import { ArgumentError } from '../errors.js';
import * as nn from '../nn/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { initMobile, makeDivisible } from './mobile-common.js';

/** one MBConv stage of the B0 table after width/depth scaling */
export interface MBConvConfig {
  expandRatio: number;
  kernel: number;
  stride: number;
  inputChannels: number;
  outChannels: number;
  numLayers: number;
}

const silu = nn.SiLU;

export class MBConv extends nn.Module {
  useResConnect: boolean;
  outChannels: number;
  declare block: nn.Sequential;
  /** torchvision's attribute name (it is in the printout) */
  declare stochastic_depth: nn.StochasticDepth;
  constructor(cnf: MBConvConfig, stochasticDepthProb: number) {
    super();
    if (!(cnf.stride >= 1 && cnf.stride <= 2)) throw new ArgumentError(`MBConv: illegal stride value ${cnf.stride}`);
    this.useResConnect = cnf.stride === 1 && cnf.inputChannels === cnf.outChannels;
    const layers: nn.Module[] = [];
    const expanded = makeDivisible(cnf.inputChannels * cnf.expandRatio, 8);
    if (expanded !== cnf.inputChannels)
      layers.push(new nn.Conv2dNormActivation(cnf.inputChannels, expanded, { kernelSize: 1, activationLayer: silu }));
    layers.push(
      new nn.Conv2dNormActivation(expanded, expanded, {
        kernelSize: cnf.kernel,
        stride: cnf.stride,
        groups: expanded,
        activationLayer: silu,
      }),
    );
    const squeeze = Math.max(1, Math.floor(cnf.inputChannels / 4));
    layers.push(new nn.SqueezeExcitation(expanded, squeeze, { activation: () => new nn.SiLU({ inplace: true }) }));
    layers.push(new nn.Conv2dNormActivation(expanded, cnf.outChannels, { kernelSize: 1, activationLayer: null }));
    this.block = new nn.Sequential(...layers);
    this.stochastic_depth = new nn.StochasticDepth(stochasticDepthProb, 'row');
    this.outChannels = cnf.outChannels;
  }
  override forward(x: Tensor): Tensor {
    const y = this.block.call(x);
    return this.useResConnect ? add(this.stochastic_depth.call(y), x) : y;
  }
}

export interface EfficientNetOptions {
  numClasses?: number;
  /** the largest block's drop probability; block i of n gets p·i/n (default 0.2) */
  stochasticDepthProb?: number;
  /** the classifier's dropout probability (default: the variant's, 0.2 for B0/B1, 0.3 for B2/B3) */
  dropout?: number;
}

/** expand ratio, kernel, stride, input channels, output channels, blocks: torchvision's B0 table */
const B0: [number, number, number, number, number, number][] = [
  [1, 3, 1, 32, 16, 1],
  [6, 3, 2, 16, 24, 2],
  [6, 5, 2, 24, 40, 2],
  [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3],
  [6, 5, 2, 112, 192, 4],
  [6, 3, 1, 192, 320, 1],
];

/** torchvision's _efficientnet_conf for efficientnet_b*: the B0 table scaled by width and depth */
export function efficientNetConfig(widthMult: number, depthMult: number): MBConvConfig[] {
  const ch = (c: number) => makeDivisible(c * widthMult, 8);
  return B0.map(([e, k, s, i, o, n]) => ({
    expandRatio: e,
    kernel: k,
    stride: s,
    inputChannels: ch(i),
    outChannels: ch(o),
    numLayers: Math.ceil(n * depthMult),
  }));
}

export class EfficientNet extends nn.Module {
  declare features: nn.Sequential;
  declare avgpool: nn.AdaptiveAvgPool2d;
  /** Dropout then the head Linear at `classifier.1` */
  declare classifier: nn.Sequential;
  constructor(
    setting: MBConvConfig[],
    dropout: number,
    opts: { numClasses?: number; stochasticDepthProb?: number } = {},
  ) {
    super();
    if (!setting.length) throw new ArgumentError('EfficientNet: the inverted_residual_setting should not be empty');
    const sdProb = opts.stochasticDepthProb ?? 0.2;
    const layers: nn.Module[] = [
      new nn.Conv2dNormActivation(3, setting[0].inputChannels, { stride: 2, activationLayer: silu }),
    ];
    const total = setting.reduce((a, c) => a + c.numLayers, 0);
    let id = 0;
    for (const cnf of setting) {
      const stage: nn.Module[] = [];
      for (let i = 0; i < cnf.numLayers; i++) {
        const c = i === 0 ? cnf : { ...cnf, inputChannels: cnf.outChannels, stride: 1 };
        stage.push(new MBConv(c, (sdProb * id) / total)); // torchvision's order of operations, for the printed p
        id++;
      }
      layers.push(new nn.Sequential(...stage));
    }
    const lastIn = setting[setting.length - 1].outChannels,
      lastOut = 4 * lastIn;
    layers.push(new nn.Conv2dNormActivation(lastIn, lastOut, { kernelSize: 1, activationLayer: silu }));
    this.features = new nn.Sequential(...layers);
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    this.classifier = new nn.Sequential(
      new nn.Dropout(dropout, { inplace: true }),
      new nn.Linear(lastOut, opts.numClasses ?? 1000),
    );
    initMobile(this, 'uniform');
  }
  override forward(x: Tensor): Tensor {
    return this.classifier.call(flatten(this.avgpool.call(this.features.call(x)), 1));
  }
}

const variant =
  (width: number, depth: number, dropout: number) =>
  (opts: EfficientNetOptions = {}) =>
    new EfficientNet(efficientNetConfig(width, depth), opts.dropout ?? dropout, opts);
export const efficientnetB0 = variant(1.0, 1.0, 0.2);
export const efficientnetB1 = variant(1.0, 1.1, 0.2);
export const efficientnetB2 = variant(1.1, 1.2, 0.3);
export const efficientnetB3 = variant(1.2, 1.4, 0.3);
