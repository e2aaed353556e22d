// `torch.models`: torchvision-compatible ResNets/ResNeXt, MobileNetV2/V3, EfficientNet B0–B3 and
// ConvNeXt-Tiny, the seed's TextCNN family, and the demo's SmallCNN.
export { ResNet, BasicBlock, Bottleneck, type ResNetOptions } from './resnet.js';
export { MobileNetV2, type MobileNetV2Options } from './mobilenetv2.js';
export { MobileNetV3, mobilenetV3Config, type MobileNetV3Options, type InvertedResidualConfig } from './mobilenetv3.js';
export {
  EfficientNet,
  MBConv,
  efficientNetConfig,
  type EfficientNetOptions,
  type MBConvConfig,
} from './efficientnet.js';
export { ConvNeXt, CNBlock, type ConvNeXtOptions, type CNBlockConfig } from './convnext.js';
export { TextCNN, TextCNNRegressionClass, TextCNNTrunk, type TextCNNOptions } from './textcnn.js';
export { SmallCNN } from './smallcnn.js';
// the builders take torchvision's `weights` option (pretrained.ts); the weights enums and lookups
export {
  resnet18,
  resnet34,
  resnet50,
  resnet101,
  resnet152,
  resnext50_32x4d,
  mobilenetV2,
  mobilenetV3Small,
  mobilenetV3Large,
  efficientnetB0,
  efficientnetB1,
  efficientnetB2,
  efficientnetB3,
  convnextTiny,
} from './pretrained.js';
export * from './weights/index.js';
/** torchvision's own builder names, so code moved over from Python reads the same */
export {
  mobilenetV2 as mobilenet_v2,
  mobilenetV3Small as mobilenet_v3_small,
  mobilenetV3Large as mobilenet_v3_large,
  efficientnetB0 as efficientnet_b0,
  efficientnetB1 as efficientnet_b1,
  efficientnetB2 as efficientnet_b2,
  efficientnetB3 as efficientnet_b3,
  convnextTiny as convnext_tiny,
} from './pretrained.js';
import {
  resnet18,
  resnet34,
  resnet50,
  resnet101,
  resnet152,
  resnext50_32x4d,
  mobilenetV2,
  mobilenetV3Small,
  mobilenetV3Large,
  efficientnetB0,
  efficientnetB1,
  efficientnetB2,
  efficientnetB3,
  convnextTiny,
  smallcnn,
} from './pretrained.js';
import { fetchWeights, type DownloadOptions, type WeightsOptions } from './weights/index.js';
import type { Module } from '../nn/module.js';
import { ArgumentError } from '../errors.js';
import { IMAGE_MODELS } from './names.js';

/** Build an image model by name (the CLI's `--model`; torchvision's get_model); `weights` reads torch.hub's cache. */
export function create(name: string, opts: { numClasses?: number } & WeightsOptions = {}): Module {
  switch (name) {
    case 'resnet18':
      return resnet18(opts);
    case 'resnet34':
      return resnet34(opts);
    case 'resnet50':
      return resnet50(opts);
    case 'resnet101':
      return resnet101(opts);
    case 'resnet152':
      return resnet152(opts);
    case 'resnext50_32x4d':
      return resnext50_32x4d(opts);
    case 'mobilenet_v2':
      return mobilenetV2(opts);
    case 'mobilenet_v3_small':
      return mobilenetV3Small(opts);
    case 'mobilenet_v3_large':
      return mobilenetV3Large(opts);
    case 'efficientnet_b0':
      return efficientnetB0(opts);
    case 'efficientnet_b1':
      return efficientnetB1(opts);
    case 'efficientnet_b2':
      return efficientnetB2(opts);
    case 'efficientnet_b3':
      return efficientnetB3(opts);
    case 'convnext_tiny':
      return convnextTiny(opts);
    case 'smallcnn':
      return smallcnn(opts);
  }
  throw new ArgumentError(`models.create: unknown model '${name}' (expected ${IMAGE_MODELS.join(', ')})`);
}

/**
 * `create(name, opts)` after downloading the weights into torch.hub's cache when absent (a progress
 * bar on stderr when it is a terminal, or with `progress: true`): `await models.load('resnet18', { weights: 'DEFAULT' })`.
 */
export async function load(
  name: string,
  opts: { numClasses?: number } & WeightsOptions & DownloadOptions = {},
): Promise<Module> {
  const { progress, baseUrl, ...rest } = opts;
  if (!(IMAGE_MODELS as readonly string[]).includes(name)) create(name, {}); // the unknown-model error, before any download
  await fetchWeights(name, opts.weights, { progress, baseUrl });
  return create(name, rest);
}
