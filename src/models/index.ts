// `torch.models`: torchvision-compatible ResNets, the seed's TextCNN family, and the demo's SmallCNN.
export { ResNet, BasicBlock, Bottleneck, resnet18, resnet34, resnet50, type ResNetOptions } from './resnet.js';
export { TextCNN, TextCNNRegressionClass, TextCNNTrunk, type TextCNNOptions } from './textcnn.js';
export { SmallCNN } from './smallcnn.js';
import { resnet18, resnet34, resnet50 } from './resnet.js';
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
    case 'smallcnn': return new SmallCNN(opts);
  }
  throw new ArgumentError(`models.create: unknown model '${name}' (expected ${IMAGE_MODELS.join(', ')})`);
}
