// torchvision-style transforms. They work on host images (`Image`: CHW float32 in a Float32Array), not
// on device tensors: a transform runs per sample, and on the device each would be its own upload plus
// a few tiny kernel dispatches per image, where on the host it is a loop over a few KB. The loader then
// stacks the transformed images of a batch and uploads them once ([N, C, H, W]), and the host work of
// batch k+1 overlaps the device work of batch k (prefetch). The numbers follow torchvision 0.14's
// tensor path (`transforms.functional` on a Tensor), checked against it in test/data/transforms.test.ts.
import { ArgumentError } from '../errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { Image, RawImage } from './image.js';
import * as F from './image-ops.js';

export * as functional from './image-ops.js';
export type { Image, RawImage } from './image.js';

export type Transform<I = Image, O = Image> = (x: I) => O;

/** `ToTensor()`: a decoded HWC uint8 image → CHW float32 in [0, 1] (still on the host; see above). */
export function toTensor(): Transform<RawImage, Image> {
  return (raw) => F.toImage(raw);
}

/** `Normalize(mean, std)`: per channel (x - mean) / std. */
export function normalize(mean: readonly number[], std: readonly number[]): Transform {
  return (img) => F.normalize(img, mean, std);
}

/**
 * `Resize(size)`: bilinear, `align_corners=False`, no antialiasing (torchvision 0.14 on tensors).
 * An int matches the smaller edge (the other is `int(size * long / short)`); [h, w] is exact.
 */
export function resize(size: number | readonly number[], o: { maxSize?: number } = {}): Transform {
  return (img) => F.resize(img, size, o);
}

/** `CenterCrop(size)`: int or [h, w]; zero-pads an image smaller than the crop. */
export function centerCrop(size: number | readonly number[]): Transform {
  F.sizePair(size, 'centerCrop');
  return (img) => F.centerCrop(img, size);
}

export interface RandomCropOptions {
  /** padding added first: n, [left/right, top/bottom] or [left, top, right, bottom] */
  padding?: number | readonly number[];
  /** pad to the crop size when the image is smaller */
  padIfNeeded?: boolean;
  /** value of the padded pixels (default 0) */
  fill?: number;
  generator?: Generator;
}

/** `RandomCrop(size, { padding })`: a uniformly placed crop, offsets drawn from `generator`. */
export function randomCrop(size: number | readonly number[], o: RandomCropOptions = {}): Transform {
  const [th, tw] = F.sizePair(size, 'randomCrop');
  if (o.padding !== undefined) F.parsePadding(o.padding);
  const g = o.generator ?? defaultGenerator;
  const fill = o.fill ?? 0;
  return (img) => {
    let im = o.padding !== undefined ? F.pad(img, o.padding, fill) : img;
    if (o.padIfNeeded && im.width < tw) im = F.pad(im, [tw - im.width, 0], fill);
    if (o.padIfNeeded && im.height < th) im = F.pad(im, [0, th - im.height], fill);
    if (im.height < th || im.width < tw) {
      throw new ArgumentError(
        `randomCrop: required crop size [${th}, ${tw}] is larger than the (padded) image size [${im.height}, ${im.width}]`,
      );
    }
    if (im.height === th && im.width === tw) return im;
    const i = g.int(0, im.height - th + 1);
    const j = g.int(0, im.width - tw + 1);
    return F.crop(im, i, j, th, tw);
  };
}

/** `RandomHorizontalFlip(p)`: mirrors with probability `p`, drawn from `generator`. */
export function randomHorizontalFlip(p = 0.5, o: { generator?: Generator } = {}): Transform {
  if (!(p >= 0 && p <= 1)) throw new ArgumentError(`randomHorizontalFlip: p must be in [0, 1], got ${p}`);
  const g = o.generator ?? defaultGenerator;
  return (img) => (g.uniform() < p ? F.hflip(img) : img);
}

/** `Compose([...])`: apply the transforms in order. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function compose<I = RawImage, O = Image>(transforms: readonly Transform<any, any>[]): Transform<I, O> {
  return (x) => transforms.reduce((v, t) => t(v), x as unknown) as O;
}
