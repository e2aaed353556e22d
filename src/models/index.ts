// `torch.models`: torchvision-compatible ResNets/ResNeXt, MobileNetV2/V3, EfficientNet B0–B3 and
// ConvNeXt-Tiny, the seed's TextCNN family, and the demo's SmallCNN.
export {
  ResNet, BasicBlock, Bottleneck, resnet18, resnet34, resnet50, resnet101, resnet152, resnext50_32x4d, type ResNetOptions,
} from './resnet.js';
export { MobileNetV2, mobilenetV2, type MobileNetV2Options } from './mobilenetv2.js';
export { MobileNetV3, mobilenetV3Large, mobilenetV3Small, mobilenetV3Config, type MobileNetV3Options, type InvertedResidualConfig } from './mobilenetv3.js';
export { EfficientNet, MBConv, efficientnetB0, efficientnetB1, efficientnetB2, efficientnetB3, efficientNetConfig, type EfficientNetOptions, type MBConvConfig } from './efficientnet.js';
export { ConvNeXt, CNBlock, convnextTiny, type ConvNeXtOptions, type CNBlockConfig } from './convnext.js';
export { TextCNN, TextCNNRegressionClass, TextCNNTrunk, type TextCNNOptions } from './textcnn.js';
export { SmallCNN } from './smallcnn.js';
import { resnet18, resnet34, resnet50, resnet101, resnet152, resnext50_32x4d } from './resnet.js';
import { mobilenetV2 } from './mobilenetv2.js';
import { mobilenetV3Large, mobilenetV3Small } from './mobilenetv3.js';
import { efficientnetB0, efficientnetB1, efficientnetB2, efficientnetB3 } from './efficientnet.js';
import { convnextTiny } from './convnext.js';
import { SmallCNN } from './smallcnn.js';
import type { Module } from '../nn/module.js';
import { ArgumentError } from '../errors.js';
import { IMAGE_MODELS } from './names.js';

/** Build an image model by name (the CLI's `--model`). */
export function create(name: string, opts: { numClasses?: number } = {}): Module {
  switch (name) {
    case 'resnet18': return resnet18(opts);
    case 'resnet34': return resnet34(opts);
    case 'resnet50': return resnet50(opts);
    case 'resnet101': return resnet101(opts);
    case 'resnet152': return resnet152(opts);
    case 'resnext50_32x4d': return resnext50_32x4d(opts);
    case 'mobilenet_v2': return mobilenetV2(opts);
    case 'mobilenet_v3_small': return mobilenetV3Small(opts);
    case 'mobilenet_v3_large': return mobilenetV3Large(opts);
    case 'efficientnet_b0': return efficientnetB0(opts);
    case 'efficientnet_b1': return efficientnetB1(opts);
    case 'efficientnet_b2': return efficientnetB2(opts);
    case 'efficientnet_b3': return efficientnetB3(opts);
    case 'convnext_tiny': return convnextTiny(opts);
    case 'smallcnn': return new SmallCNN(opts);
  }
  throw new ArgumentError(`models.create: unknown model '${name}' (expected ${IMAGE_MODELS.join(', ')})`);
}
