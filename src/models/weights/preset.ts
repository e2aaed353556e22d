// torchvision's ImageClassification preset (transforms/_presets.py) as finetorch host transforms:
// resize the shorter side to `resize` (bilinear or bicubic, no antialias: the tensor path), center
// crop `crop`, scale to [0, 1], normalise. One definition for `weights.transforms()` and the CLI
// (cli/preprocess.ts builds its transform here), so preprocess.json and the weights agree.
import { resizeBicubic } from '../../data/resize-bicubic.js';
import type { ColorMode, Image, RawImage } from '../../data/image.js';
import * as T from '../../data/transforms.js';
import type { Interpolation } from './types.js';

export interface ImagePreset {
  mode: ColorMode;
  resize: number;
  crop: number;
  mean: readonly number[];
  std: readonly number[];
  /** default 'bilinear' (torchvision's default, and what presets without the field mean) */
  interpolation?: Interpolation;
}

/** decoded HWC uint8 image → normalised CHW float32, as ImageClassification(crop_size, resize_size, ...) */
export function presetTransform(p: ImagePreset): (raw: RawImage) => Image {
  const resize = p.interpolation === 'bicubic' ? (img: Image) => resizeBicubic(img, p.resize) : T.resize(p.resize);
  return T.compose<RawImage, Image>([T.toTensor(), resize, T.centerCrop(p.crop), T.normalize(p.mean, p.std)]);
}
