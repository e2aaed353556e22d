// torchvision's ConvNeXt-Tiny (`convnext_tiny`): a patchify stem, stages of CNBlocks (7×7 depthwise
// conv, channels-last LayerNorm, 4× MLP with GELU, a learned per-channel layer scale, stochastic
// depth) and LayerNorm2d + strided-conv downsampling between stages. Same module tree, keys
// (`features.1.0.layer_scale`, `features.1.0.block.0.weight`, `classifier.2.weight`) and printout
// as torchvision 0.14.
import { add, mul } from '../autograd/index.js';
import { ArgumentError } from '../errors.js';
import * as nn from '../nn/index.js';
import { constant_, normal_ } from '../nn/init.js';
import { Parameter } from '../nn/parameter.js';
import { full } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';

const layerNorm2d = (c: number) => new nn.LayerNorm2d(c, { eps: 1e-6 });

export class CNBlock extends nn.Module {
  /** [dim, 1, 1], initialised to layerScale (1e-6): each block starts near the identity */
  declare layer_scale: Parameter;
  declare block: nn.Sequential;
  /** torchvision's attribute name (it is in the printout) */
  declare stochastic_depth: nn.StochasticDepth;
  constructor(dim: number, layerScale: number, stochasticDepthProb: number) {
    super();
    this.block = new nn.Sequential(
      new nn.Conv2d(dim, dim, 7, { padding: 3, groups: dim, bias: true }),
      new nn.Permute([0, 2, 3, 1]),
      new nn.LayerNorm(dim, { eps: 1e-6 }),
      new nn.Linear(dim, 4 * dim, { bias: true }),
      new nn.GELU(),
      new nn.Linear(4 * dim, dim, { bias: true }),
      new nn.Permute([0, 3, 1, 2]),
    );
    this.layer_scale = new Parameter(full([dim, 1, 1], layerScale));
    this.stochastic_depth = new nn.StochasticDepth(stochasticDepthProb, 'row');
  }
  override forward(x: Tensor): Tensor {
    return add(this.stochastic_depth.call(mul(this.layer_scale, this.block.call(x))), x);
  }
}

/** a stage: `inputChannels` wide, `numLayers` blocks, then a downsampling to `outChannels` (null: the last stage) */
export interface CNBlockConfig {
  inputChannels: number;
  outChannels: number | null;
  numLayers: number;
}

export interface ConvNeXtOptions {
  numClasses?: number;
  /** the last block's drop probability; block i of n gets p·i/(n-1) (default 0.1 for tiny) */
  stochasticDepthProb?: number;
  /** the layer scale's initial value (default 1e-6) */
  layerScale?: number;
}

export class ConvNeXt extends nn.Module {
  declare features: nn.Sequential;
  declare avgpool: nn.AdaptiveAvgPool2d;
  /** LayerNorm2d, Flatten, then the head Linear at `classifier.2` */
  declare classifier: nn.Sequential;
  constructor(setting: CNBlockConfig[], opts: ConvNeXtOptions = {}) {
    super();
    if (!setting.length) throw new ArgumentError('ConvNeXt: the block_setting should not be empty');
    const sdProb = opts.stochasticDepthProb ?? 0,
      layerScale = opts.layerScale ?? 1e-6;
    const layers: nn.Module[] = [
      new nn.Conv2dNormActivation(3, setting[0].inputChannels, {
        kernelSize: 4,
        stride: 4,
        padding: 0,
        normLayer: layerNorm2d,
        activationLayer: null,
        bias: true,
      }),
    ];
    const total = setting.reduce((a, c) => a + c.numLayers, 0);
    let id = 0;
    for (const cnf of setting) {
      const stage: nn.Module[] = [];
      for (let i = 0; i < cnf.numLayers; i++)
        stage.push(new CNBlock(cnf.inputChannels, layerScale, (sdProb * id++) / (total - 1)));
      layers.push(new nn.Sequential(...stage));
      if (cnf.outChannels !== null) {
        layers.push(
          new nn.Sequential(
            layerNorm2d(cnf.inputChannels),
            new nn.Conv2d(cnf.inputChannels, cnf.outChannels, 2, { stride: 2 }),
          ),
        );
      }
    }
    this.features = new nn.Sequential(...layers);
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    const last = setting[setting.length - 1];
    const lastOut = last.outChannels ?? last.inputChannels;
    this.classifier = new nn.Sequential(
      layerNorm2d(lastOut),
      new nn.Flatten(1),
      new nn.Linear(lastOut, opts.numClasses ?? 1000),
    );
    // torchvision: trunc_normal_(std=0.02) on a ±2 window, i.e. ±100σ: the truncation never triggers
    // in float32 practice, so a plain normal(0, 0.02) draws the same distribution
    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d || m instanceof nn.Linear) {
        normal_(m.weight, 0, 0.02);
        if (m.bias) constant_(m.bias, 0);
      }
    }
  }
  override forward(x: Tensor): Tensor {
    return this.classifier.call(this.avgpool.call(this.features.call(x)));
  }
}

const TINY: CNBlockConfig[] = [
  { inputChannels: 96, outChannels: 192, numLayers: 3 },
  { inputChannels: 192, outChannels: 384, numLayers: 3 },
  { inputChannels: 384, outChannels: 768, numLayers: 9 },
  { inputChannels: 768, outChannels: null, numLayers: 3 },
];
export const convnextTiny = (opts: ConvNeXtOptions = {}) => new ConvNeXt(TINY, { stochasticDepthProb: 0.1, ...opts });
