// The page's training data as one small binary (dist/web/digits.bin, written by build.mjs from the
// `mnist` package), so the browser downloads ~0.6 MB of bytes instead of the package's 41 MB of JSON.
// Layout (little-endian): "FTDG", u32 version 1, u32 counts of the train, val and test splits, then
// one u8 digit per image, then 784 u8 pixel levels per image (MNIST's own 8-bit values, k/255 = the
// loader's floats exactly). Shared by the build (Node), the worker and the tests: no DOM, no node:.

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;
const MAGIC = 0x47445446; // "FTDG" read as a little-endian u32
const HEADER = 20;

export interface DigitSplit {
  /** N*784 pixels in [0, 1] */
  images: Float32Array;
  /** N digits 0..9 (not relabelled) */
  digits: Uint8Array;
}
export interface DigitSets {
  train: DigitSplit;
  val: DigitSplit;
  test: DigitSplit;
}
const SPLITS = ['train', 'val', 'test'] as const;

/** The bytes of digits.bin; pixels must be 8-bit levels / 255, as MNIST's are. */
export function encodeDigits(sets: DigitSets): Uint8Array {
  const n = SPLITS.map((s) => sets[s].digits.length);
  const total = n[0] + n[1] + n[2];
  const out = new Uint8Array(HEADER + total * (1 + PIXELS));
  const v = new DataView(out.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint32(4, 1, true);
  n.forEach((c, i) => {
    v.setUint32(8 + 4 * i, c, true);
  });
  let at = 0;
  for (const s of SPLITS) {
    const { images, digits } = sets[s];
    if (images.length !== digits.length * PIXELS)
      throw new Error(`digits.bin: ${s} has ${digits.length} labels but ${images.length} pixels`);
    out.set(digits, HEADER + at);
    for (let i = 0; i < images.length; i++) {
      const k = Math.round(images[i] * 255);
      if (k < 0 || k > 255 || Math.fround(k / 255) !== images[i])
        throw new Error(`digits.bin: ${s} pixel ${i} is ${images[i]}, not an 8-bit level / 255`);
      out[HEADER + total + at * PIXELS + i] = k;
    }
    at += digits.length;
  }
  return out;
}

/** digits.bin back to float images; throws on anything that is not one. */
export function decodeDigits(bytes: Uint8Array): DigitSets {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < HEADER || v.getUint32(0, true) !== MAGIC || v.getUint32(4, true) !== 1)
    throw new Error('digits.bin: not a version-1 FTDG file');
  const n = [0, 1, 2].map((i) => v.getUint32(8 + 4 * i, true));
  const total = n[0] + n[1] + n[2];
  if (bytes.length !== HEADER + total * (1 + PIXELS))
    throw new Error(`digits.bin: ${bytes.length} bytes, expected ${HEADER + total * (1 + PIXELS)} for ${total} images`);
  const sets = {} as DigitSets;
  let at = 0;
  SPLITS.forEach((s, i) => {
    const px = bytes.subarray(HEADER + total + at * PIXELS, HEADER + total + (at + n[i]) * PIXELS);
    sets[s] = { images: Float32Array.from(px, (k) => k / 255), digits: bytes.slice(HEADER + at, HEADER + at + n[i]) };
    at += n[i];
  });
  return sets;
}
