// The image models `models.create` builds by name, in a module of their own so the CLI can list and
// check them without loading the tensor stack.
export const IMAGE_MODELS = ['resnet18', 'resnet34', 'resnet50', 'smallcnn'] as const;
export type ImageModelName = (typeof IMAGE_MODELS)[number];
