// torchvision-compatible ResNet: the same module tree and state-dict keys (`conv1`, `bn1`,
// `layer1.0.conv1`, `layer2.0.downsample.0`, `fc`, ...), so a torchvision checkpoint loads with
// strict: true and prints the same `print(model)` tree. BasicBlock for 18/34, Bottleneck (stride on
// the 3×3 conv, torchvision's "v1.5") for 50/101/152, and ResNeXt (grouped 3×3 convs: `groups`,
// `widthPerGroup`) for resnext50_32x4d.
//
// Eval fusion: a BatchNorm in eval mode followed by the ReLU (bn → relu, and the blocks' bn → +
// identity → relu) runs as one kernel pass (normalise, affine, residual, relu) instead of two or
// three, when nothing observable differs from calling the modules: see bnRelu.
import { platform } from '../platform/platform.js';
import { add, flatten } from '../autograd/index.js';
import { evalBatchNormReLU } from '../nn/functional/batch-norm-fused.js';
import * as nn from '../nn/index.js';
import { constant_, kaimingNormal_ } from '../nn/init.js';
import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** `FINETORCH_FUSE_BN_RELU=0` turns the eval fusion off; read at each call, so one process can A/B it */
const fusionOff = () => platform().env('FINETORCH_FUSE_BN_RELU') === '0';

/** exactly `cls` (not a subclass), its forward not replaced, and no hooks that must see its input or output */
function plain(m: nn.Module, cls: typeof nn.BatchNorm2d | typeof nn.ReLU): boolean {
  return (
    Object.getPrototypeOf(m) === cls.prototype &&
    m.forward === cls.prototype.forward &&
    m._forwardPreHooks.size === 0 &&
    m._forwardHooks.size === 0
  );
}

/**
 * relu(bn(x) [+ identity()]), as the blocks write it. Fused into one kernel pass when bn is a plain
 * BatchNorm2d in eval mode with running statistics (also a frozen one inside a training model) and
 * relu a plain ReLU, neither with hooks; otherwise (and for layouts the fused kernel does not take)
 * the modules are called in torchvision's order. Gradients, when needed, flow through the fused op.
 */
function bnRelu(bn: nn.BatchNorm2d, relu: nn.ReLU, x: Tensor, identity?: () => Tensor): Tensor {
  if (!bn.training && plain(bn, nn.BatchNorm2d) && plain(relu, nn.ReLU) && !fusionOff()) {
    const residual = identity ? identity() : null;
    const y = evalBatchNormReLU(x, bn.running_mean, bn.running_var, {
      weight: bn.weight,
      bias: bn.bias,
      eps: bn.eps,
      residual,
    });
    if (y) return y;
    const out = bn.call(x);
    return relu.call(residual ? add(out, residual) : out);
  }
  const out = bn.call(x);
  return relu.call(identity ? add(out, identity()) : out);
}

const conv3x3 = (inp: number, out: number, stride = 1, groups = 1) =>
  new nn.Conv2d(inp, out, 3, { stride, padding: 1, groups, bias: false });
const conv1x1 = (inp: number, out: number, stride = 1) => new nn.Conv2d(inp, out, 1, { stride, bias: false });

export class BasicBlock extends nn.Module {
  static expansion = 1;
  declare conv1: nn.Conv2d;
  declare bn1: nn.BatchNorm2d;
  declare relu: nn.ReLU;
  declare conv2: nn.Conv2d;
  declare bn2: nn.BatchNorm2d;
  declare downsample: nn.Module | null;
  constructor(
    inplanes: number,
    planes: number,
    stride = 1,
    downsample: nn.Module | null = null,
    groups = 1,
    baseWidth = 64,
  ) {
    super();
    if (groups !== 1 || baseWidth !== 64)
      throw new ArgumentError('BasicBlock only supports groups=1 and base_width=64');
    this.conv1 = conv3x3(inplanes, planes, stride);
    this.bn1 = new nn.BatchNorm2d(planes);
    this.relu = new nn.ReLU({ inplace: true });
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = new nn.BatchNorm2d(planes);
    // torchvision assigns None when there is no downsample: a plain attribute, not a child
    this.downsample = downsample;
  }
  override forward(x: Tensor): Tensor {
    const out = bnRelu(this.bn1, this.relu, this.conv1.call(x));
    return bnRelu(this.bn2, this.relu, this.conv2.call(out), () => (this.downsample ? this.downsample.call(x) : x));
  }
}

export class Bottleneck extends nn.Module {
  static expansion = 4;
  declare conv1: nn.Conv2d;
  declare bn1: nn.BatchNorm2d;
  declare conv2: nn.Conv2d;
  declare bn2: nn.BatchNorm2d;
  declare conv3: nn.Conv2d;
  declare bn3: nn.BatchNorm2d;
  declare relu: nn.ReLU;
  declare downsample: nn.Module | null;
  constructor(
    inplanes: number,
    planes: number,
    stride = 1,
    downsample: nn.Module | null = null,
    groups = 1,
    baseWidth = 64,
  ) {
    super();
    const width = Math.floor(planes * (baseWidth / 64)) * groups;
    this.conv1 = conv1x1(inplanes, width);
    this.bn1 = new nn.BatchNorm2d(width);
    this.conv2 = conv3x3(width, width, stride, groups);
    this.bn2 = new nn.BatchNorm2d(width);
    this.conv3 = conv1x1(width, planes * 4);
    this.bn3 = new nn.BatchNorm2d(planes * 4);
    this.relu = new nn.ReLU({ inplace: true });
    // torchvision assigns None when there is no downsample: a plain attribute, not a child
    this.downsample = downsample;
  }
  override forward(x: Tensor): Tensor {
    let out = bnRelu(this.bn1, this.relu, this.conv1.call(x));
    out = bnRelu(this.bn2, this.relu, this.conv2.call(out));
    return bnRelu(this.bn3, this.relu, this.conv3.call(out), () => (this.downsample ? this.downsample.call(x) : x));
  }
}

type Block = typeof BasicBlock | typeof Bottleneck;
export interface ResNetOptions {
  numClasses?: number;
  zeroInitResidual?: boolean;
  /** ResNeXt's cardinality: groups of the Bottleneck's 3×3 conv (default 1) */
  groups?: number;
  /** channels per group at the first stage (default 64; Wide ResNet-50-2 uses 128) */
  widthPerGroup?: number;
}

export class ResNet extends nn.Module {
  declare conv1: nn.Conv2d;
  declare bn1: nn.BatchNorm2d;
  declare relu: nn.ReLU;
  declare maxpool: nn.MaxPool2d;
  declare layer1: nn.Sequential;
  declare layer2: nn.Sequential;
  declare layer3: nn.Sequential;
  declare layer4: nn.Sequential;
  declare avgpool: nn.AdaptiveAvgPool2d;
  /** the head; replace it to fine-tune: `model.fc = new nn.Linear(512, 2)` */
  declare fc: nn.Module;
  private inplanes = 64;
  private groups: number;
  private baseWidth: number;

  constructor(block: Block, layers: [number, number, number, number], opts: ResNetOptions = {}) {
    super();
    this.groups = opts.groups ?? 1;
    this.baseWidth = opts.widthPerGroup ?? 64;
    this.conv1 = new nn.Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = new nn.BatchNorm2d(64);
    this.relu = new nn.ReLU({ inplace: true });
    this.maxpool = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
    this.layer1 = this.makeLayer(block, 64, layers[0]);
    this.layer2 = this.makeLayer(block, 128, layers[1], 2);
    this.layer3 = this.makeLayer(block, 256, layers[2], 2);
    this.layer4 = this.makeLayer(block, 512, layers[3], 2);
    this.avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
    this.fc = new nn.Linear(512 * block.expansion, opts.numClasses ?? 1000);
    // torchvision's init: He-normal (fan_out) convs, BatchNorm weight 1 and bias 0
    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      else if (m instanceof nn.BatchNorm2d) {
        constant_(m.weight!, 1);
        constant_(m.bias!, 0);
      }
    }
    if (opts.zeroInitResidual) {
      for (const m of this.modules()) {
        if (m instanceof Bottleneck) constant_(m.bn3.weight!, 0);
        else if (m instanceof BasicBlock) constant_(m.bn2.weight!, 0);
      }
    }
  }

  private makeLayer(block: Block, planes: number, blocks: number, stride = 1): nn.Sequential {
    let downsample: nn.Module | null = null;
    if (stride !== 1 || this.inplanes !== planes * block.expansion) {
      downsample = new nn.Sequential(
        conv1x1(this.inplanes, planes * block.expansion, stride),
        new nn.BatchNorm2d(planes * block.expansion),
      );
    }
    const list: nn.Module[] = [new block(this.inplanes, planes, stride, downsample, this.groups, this.baseWidth)];
    this.inplanes = planes * block.expansion;
    for (let i = 1; i < blocks; i++) list.push(new block(this.inplanes, planes, 1, null, this.groups, this.baseWidth));
    return new nn.Sequential(...list);
  }

  /** everything but the head: [N, 3, H, W] → [N, 512·expansion] */
  features(x: Tensor): Tensor {
    x = this.maxpool.call(bnRelu(this.bn1, this.relu, this.conv1.call(x)));
    x = this.layer4.call(this.layer3.call(this.layer2.call(this.layer1.call(x))));
    return flatten(this.avgpool.call(x), 1);
  }
  override forward(x: Tensor): Tensor {
    return this.fc.call(this.features(x));
  }
}

export const resnet18 = (opts: ResNetOptions = {}) => new ResNet(BasicBlock, [2, 2, 2, 2], opts);
export const resnet34 = (opts: ResNetOptions = {}) => new ResNet(BasicBlock, [3, 4, 6, 3], opts);
export const resnet50 = (opts: ResNetOptions = {}) => new ResNet(Bottleneck, [3, 4, 6, 3], opts);
export const resnet101 = (opts: ResNetOptions = {}) => new ResNet(Bottleneck, [3, 4, 23, 3], opts);
export const resnet152 = (opts: ResNetOptions = {}) => new ResNet(Bottleneck, [3, 8, 36, 3], opts);
/** ResNeXt-50 32×4d: 32 groups of 4 channels per group at the first stage */
export const resnext50_32x4d = (opts: ResNetOptions = {}) =>
  new ResNet(Bottleneck, [3, 4, 6, 3], { groups: 32, widthPerGroup: 4, ...opts });
