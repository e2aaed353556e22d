// Decoding with the browser's own decoders (createImageBitmap, then the pixels read back from an
// OffscreenCanvas): PNG, JPEG, and whatever else the browser reads (WebP, GIF, AVIF). Node has
// neither, so there it is decodeImage. Colours are taken as stored (no colour-space conversion,
// no premultiplied alpha), which matches what decodeImage and PIL give for sRGB images.
import { web, type WebImageBitmap } from '../platform/web-types.js';
import { DatasetError } from './errors.js';
import {
  checkResolution,
  decodeImage,
  fromPixels,
  imageLimits,
  type ColorMode,
  type DecodeOptions,
  type RawImage,
} from './image.js';

/**
 * Decode image bytes or a Blob/File to `mode` ('RGB' or 'L', as decodeImage). In a browser page or
 * worker the browser decodes; in Node it is decodeImage (PNG and JPEG). `name` appears in errors.
 */
export async function decodeImageAsync(
  src: Uint8Array | Blob,
  name = '<buffer>',
  mode: ColorMode = 'RGB',
  opts: DecodeOptions = {},
): Promise<RawImage> {
  const bytes = src instanceof Uint8Array ? src : null;
  const { createImageBitmap, OffscreenCanvas } = web();
  if (!createImageBitmap || !OffscreenCanvas)
    return decodeImage(bytes ?? new Uint8Array(await (src as Blob).arrayBuffer()), name, mode, opts);
  if (bytes) checkResolution(bytes, name, opts);
  const blob = bytes ? new Blob([bytes as Uint8Array<ArrayBuffer>]) : (src as Blob);
  let bitmap: WebImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    throw new DatasetError(`cannot decode image '${name}': ${(e as Error)?.message ?? String(e)}`);
  }
  try {
    const { width, height } = bitmap;
    const maxMP = opts.maxResolutionInMP ?? imageLimits.maxResolutionInMP;
    if (width * height > maxMP * 1e6)
      throw new DatasetError(
        `cannot decode image '${name}': ${width}x${height} is over the limit of ${maxMP} megapixels (maxResolutionInMP)`,
      );
    const ctx = new OffscreenCanvas(width, height).getContext('2d');
    if (!ctx) throw new DatasetError(`cannot decode image '${name}': no 2d canvas context here`);
    ctx.drawImage(bitmap, 0, 0);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    return fromPixels(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength), width, height, 4, mode);
  } finally {
    bitmap.close();
  }
}
