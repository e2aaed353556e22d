// Pretrained weights for `torch.models`: the torchvision-named enums (`models.ResNet18_Weights.DEFAULT`),
// lookup by name, and `withWeights`, which gives a builder torchvision's `weights` option. The API:
//   models.resnet18({ weights: 'DEFAULT' })          synchronous; reads torch.hub's cache, never downloads
//   await models.load('resnet18', { weights })        downloads into that cache when needed, then builds
//   await models.ResNet18_Weights.DEFAULT.fetch()     just the download (returns the file's path)
// A builder stays synchronous (as every model constructor is) and a download is the one step that
// must be awaited, so it is its own call; a missing file names that call, the URL and the path.
import { ArgumentError } from '../../errors.js';
import type { Module } from '../../nn/module.js';
import { getModelWeights, resolveWeights, type WeightsSpec } from './weights.js';
import type { DownloadOptions } from './hub.js';

export {
  Weights,
  getModelWeights,
  getWeight,
  resolveWeights,
  isWeightsName,
  modelsWithWeights,
  weightsOf,
  type WeightsEnum,
  type WeightsMeta,
  type WeightsSpec,
} from './weights.js';
export {
  WeightsUnavailableError,
  checkpointsDir,
  hubDir,
  downloadUrlToFile,
  HASH_REGEX,
  type DownloadOptions,
  type UnavailableReason,
} from './hub.js';
export { presetTransform, type ImagePreset } from './preset.js';

export interface WeightsOptions {
  /** pretrained weights: 'DEFAULT', a member name ('IMAGENET1K_V1'), 'ResNet18_Weights.IMAGENET1K_V1', or a Weights */
  weights?: WeightsSpec;
}

/**
 * `build` with torchvision's `weights` option: the model built with the weights' class count and
 * the state dict of the cached file loaded strictly (torchvision's builders do the same). A
 * `numClasses` other than the weights' is an error, as in torchvision: build, then replace the head.
 */
export function withWeights<O extends { numClasses?: number }, M extends Module>(
  model: string,
  build: (opts?: O) => M,
): (opts?: O & WeightsOptions) => M {
  return (opts = {} as O & WeightsOptions) => {
    const { weights, ...rest } = opts;
    const w = resolveWeights(model, weights);
    if (!w) return build(rest as unknown as O);
    const n = w.meta.categories.length;
    if (rest.numClasses !== undefined && rest.numClasses !== n) {
      throw new ArgumentError(
        `${model}: numClasses ${rest.numClasses} with weights ${w} (${n} classes): build with the weights, then replace the head to fine-tune`,
      );
    }
    const sd = w.stateDictSync();
    try {
      const m = build({ ...rest, numClasses: n } as unknown as O);
      m.loadStateDict(sd, { strict: true });
      return m;
    } finally {
      for (const t of Object.values(sd)) t.dispose();
    }
  };
}

/** The file of `weights` for `model` in torch.hub's cache, downloaded first when absent (null: no weights asked). */
export async function fetchWeights(
  model: string,
  weights: WeightsSpec,
  opts: DownloadOptions = {},
): Promise<string | null> {
  const w = resolveWeights(model, weights);
  return w ? w.fetch(opts) : null;
}

// torchvision's enum names
export const ResNet18_Weights = getModelWeights('resnet18');
export const ResNet34_Weights = getModelWeights('resnet34');
export const ResNet50_Weights = getModelWeights('resnet50');
export const ResNet101_Weights = getModelWeights('resnet101');
export const ResNet152_Weights = getModelWeights('resnet152');
export const ResNeXt50_32X4D_Weights = getModelWeights('resnext50_32x4d');
export const MobileNet_V2_Weights = getModelWeights('mobilenet_v2');
export const MobileNet_V3_Small_Weights = getModelWeights('mobilenet_v3_small');
export const MobileNet_V3_Large_Weights = getModelWeights('mobilenet_v3_large');
export const EfficientNet_B0_Weights = getModelWeights('efficientnet_b0');
export const EfficientNet_B1_Weights = getModelWeights('efficientnet_b1');
export const EfficientNet_B2_Weights = getModelWeights('efficientnet_b2');
export const EfficientNet_B3_Weights = getModelWeights('efficientnet_b3');
export const ConvNeXt_Tiny_Weights = getModelWeights('convnext_tiny');
