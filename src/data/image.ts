// Host images and decoding. A decoded file is HWC uint8 (`RawImage`); the loader's working image is
// CHW float32 (`Image`), which the default collate stacks into an [N, C, H, W] tensor.
// decodeImage is synchronous and Node's (pngjs is built on Node's zlib and streams; jpeg-js is kept
// out of the browser bundle too): in a browser `decodeImageAsync` (image-bitmap.ts) decodes with the
// browser's own decoders.
import { ArgumentError, PlatformError } from '../errors.js';
import { nodeOnly } from '../platform/node-host.js';
import { DatasetError } from './errors.js';

/** A decoded image file: height × width × channels, uint8. */
export interface RawImage {
  data: Uint8Array;
  height: number;
  width: number;
  channels: number;
}
/** An image on the host: channels × height × width, float32 (what `toTensor` makes). */
export interface Image {
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

export type ColorMode = 'RGB' | 'L';

const isPng = (b: Uint8Array) => b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/**
 * The largest image decoded, in megapixels (jpeg-js's `maxResolutionInMP`, whose default it keeps).
 * Decoding holds the whole image several times over (a 12000×12000 PNG peaked at 1 GB), so a larger
 * one is refused from its header, before any pixel is decoded. Raise it here for every decode, or
 * per call with `decodeImage(..., { maxResolutionInMP })` — as PIL's `Image.MAX_IMAGE_PIXELS`.
 */
export const imageLimits = { maxResolutionInMP: 100 };

export interface DecodeOptions {
  /** refuse images over this many megapixels (default `imageLimits.maxResolutionInMP`) */
  maxResolutionInMP?: number;
}

/** Width and height from a PNG's IHDR chunk (bytes 16..24), which the PNG format requires first. */
function pngSize(b: Uint8Array): [number, number] | null {
  if (b.length < 24 || String.fromCharCode(b[12], b[13], b[14], b[15]) !== 'IHDR') return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return [v.getUint32(16), v.getUint32(20)];
}

/** Width and height from a JPEG's first start-of-frame marker (SOF0..SOF15 except DHT/JPG/DAC). */
function jpegSize(b: Uint8Array): [number, number] | null {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    } // fill byte
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    } // no length
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return [(b[i + 7] << 8) | b[i + 8], (b[i + 5] << 8) | b[i + 6]];
    }
    i += 2 + ((b[i + 2] << 8) | b[i + 3]);
  }
  return null;
}

/**
 * Decode PNG or JPEG bytes (recognised by their signature, not the file name) to `mode`: 'RGB'
 * (grey is replicated, alpha dropped — PIL's `convert('RGB')`, torchvision's default loader) or
 * 'L' (PIL's ITU-R 601-2 luma). `name` appears in errors.
 */
export function decodeImage(
  bytes: Uint8Array,
  name = '<buffer>',
  mode: ColorMode = 'RGB',
  opts: DecodeOptions = {},
): RawImage {
  const maxMP = checkResolution(bytes, name, opts);
  let rgba: Uint8Array, height: number, width: number, stride: number;
  try {
    if (isPng(bytes)) {
      const PNG = nodeOnly('decodeImage (use data.decodeImageAsync in a browser)').png;
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      ({ height, width } = png);
      rgba = png.data;
      stride = 4;
    } else if (isJpeg(bytes)) {
      // jpeg-js checks the frame size too (a second SOF we did not see); its memory cap grows with ours
      const img = nodeOnly('decodeImage (use data.decodeImageAsync in a browser)').jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: false,
        maxResolutionInMP: maxMP,
        maxMemoryUsageInMB: Math.max(512, Math.ceil(maxMP * 5.12)),
      });
      ({ height, width } = img);
      rgba = img.data;
      stride = 3;
    } else {
      throw new DatasetError(`cannot decode image '${name}': not a PNG or JPEG file (unrecognised signature)`);
    }
  } catch (e) {
    if (e instanceof DatasetError || e instanceof PlatformError) throw e;
    throw new DatasetError(`cannot decode image '${name}': ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!width || !height || rgba.length < width * height * stride) {
    throw new DatasetError(
      `cannot decode image '${name}': decoder returned ${rgba.length} bytes for ${width}x${height}`,
    );
  }
  return fromPixels(rgba, width, height, stride, mode);
}

/** The megapixel limit in force; refuses an image over it from its header (see imageLimits). */
export function checkResolution(bytes: Uint8Array, name: string, opts: DecodeOptions): number {
  const maxMP = opts.maxResolutionInMP ?? imageLimits.maxResolutionInMP;
  if (!(maxMP > 0))
    throw new ArgumentError(`decodeImage: maxResolutionInMP must be a positive number of megapixels, got ${maxMP}`);
  const size = isPng(bytes) ? pngSize(bytes) : isJpeg(bytes) ? jpegSize(bytes) : null;
  if (size && size[0] * size[1] > maxMP * 1e6) {
    throw new DatasetError(
      `cannot decode image '${name}': ${size[0]}x${size[1]} is ${((size[0] * size[1]) / 1e6).toFixed(1)} megapixels, over the limit of ${maxMP} (maxResolutionInMP; raise data.imageLimits.maxResolutionInMP for larger images)`,
    );
  }
  return maxMP;
}

/** Pixels with `stride` bytes each (3: RGB, 4: RGBA) to `mode` (see decodeImage). */
export function fromPixels(rgba: Uint8Array, width: number, height: number, stride: number, mode: ColorMode): RawImage {
  const n = width * height;
  if (mode === 'L') {
    const out = new Uint8Array(n);
    // PIL: L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16
    for (let p = 0, q = 0; p < n; p++, q += stride)
      out[p] = (rgba[q] * 19595 + rgba[q + 1] * 38470 + rgba[q + 2] * 7471 + 0x8000) >>> 16;
    return { data: out, height, width, channels: 1 };
  }
  if (stride === 3) return { data: rgba.subarray(0, n * 3), height, width, channels: 3 };
  const out = new Uint8Array(n * 3);
  for (let p = 0, q = 0, o = 0; p < n; p++, q += 4) {
    out[o++] = rgba[q];
    out[o++] = rgba[q + 1];
    out[o++] = rgba[q + 2];
  }
  return { data: out, height, width, channels: 3 };
}
