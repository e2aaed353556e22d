// The image models `models.create` builds by name, in a module of their own so the CLI can list and
// check them without loading the tensor stack.
export const IMAGE_MODELS = [
  'resnet18',
  'resnet34',
  'resnet50',
  'resnet101',
  'resnet152',
  'resnext50_32x4d',
  'mobilenet_v2',
  'mobilenet_v3_small',
  'mobilenet_v3_large',
  'efficientnet_b0',
  'efficientnet_b1',
  'efficientnet_b2',
  'efficientnet_b3',
  'convnext_tiny',
  'smallcnn',
] as const;
export type ImageModelName = (typeof IMAGE_MODELS)[number];

/** Where each model's classification head (the Linear a fine-tune replaces) sits: finetune.replaceHead's default. */
export const IMAGE_MODEL_HEADS: Readonly<Record<ImageModelName, string>> = {
  resnet18: 'fc',
  resnet34: 'fc',
  resnet50: 'fc',
  resnet101: 'fc',
  resnet152: 'fc',
  resnext50_32x4d: 'fc',
  mobilenet_v2: 'classifier.1',
  mobilenet_v3_small: 'classifier.3',
  mobilenet_v3_large: 'classifier.3',
  efficientnet_b0: 'classifier.1',
  efficientnet_b1: 'classifier.1',
  efficientnet_b2: 'classifier.1',
  efficientnet_b3: 'classifier.1',
  convnext_tiny: 'classifier.2',
  smallcnn: 'fc',
};
