// Host images and decoding. A decoded file is HWC uint8 (`RawImage`); the loader's working image is
// CHW float32 (`Image`), which the default collate stacks into an [N, C, H, W] tensor.
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DatasetError } from './errors.js';

/** A decoded image file: height × width × channels, uint8. */
export interface RawImage { data: Uint8Array; height: number; width: number; channels: number }
/** An image on the host: channels × height × width, float32 (what `toTensor` makes). */
export interface Image { data: Float32Array; channels: number; height: number; width: number }

export type ColorMode = 'RGB' | 'L';

const isPng = (b: Uint8Array) => b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/**
 * Decode PNG or JPEG bytes (recognised by their signature, not the file name) to `mode`: 'RGB'
 * (grey is replicated, alpha dropped — PIL's `convert('RGB')`, torchvision's default loader) or
 * 'L' (PIL's ITU-R 601-2 luma). `name` appears in errors.
 */
export function decodeImage(bytes: Uint8Array, name = '<buffer>', mode: ColorMode = 'RGB'): RawImage {
  let rgba: Uint8Array, height: number, width: number, stride: number;
  try {
    if (isPng(bytes)) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      ({ height, width } = png);
      rgba = png.data;
      stride = 4;
    } else if (isJpeg(bytes)) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
      ({ height, width } = img);
      rgba = img.data;
      stride = 3;
    } else {
      throw new Error('not a PNG or JPEG file (unrecognised signature)');
    }
  } catch (e) {
    throw new DatasetError(`cannot decode image '${name}': ${(e as Error).message ?? e}`);
  }
  if (!width || !height || rgba.length < width * height * stride) {
    throw new DatasetError(`cannot decode image '${name}': decoder returned ${rgba.length} bytes for ${width}x${height}`);
  }
  const n = width * height;
  if (mode === 'L') {
    const out = new Uint8Array(n);
    // PIL: L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16
    for (let p = 0, q = 0; p < n; p++, q += stride) out[p] = (rgba[q] * 19595 + rgba[q + 1] * 38470 + rgba[q + 2] * 7471 + 0x8000) >>> 16;
    return { data: out, height, width, channels: 1 };
  }
  if (stride === 3) return { data: rgba.subarray(0, n * 3), height, width, channels: 3 };
  const out = new Uint8Array(n * 3);
  for (let p = 0, q = 0, o = 0; p < n; p++, q += 4) {
    out[o++] = rgba[q]; out[o++] = rgba[q + 1]; out[o++] = rgba[q + 2];
  }
  return { data: out, height, width, channels: 3 };
}
