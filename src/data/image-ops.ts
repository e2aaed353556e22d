// Image operations on host CHW float32 images, following torchvision 0.14's tensor semantics
// (`transforms.functional` on a Tensor). Every op returns a new image and never writes its input, so
// datasets can hand out views of their storage.
import { ArgumentError, ShapeError } from '../errors.js';
import type { Image, RawImage } from './image.js';

const f = Math.fround;
const dims = (img: Image) => `${img.channels}x${img.height}x${img.width}`;

function check(img: Image, op: string): void {
  if (img.data.length !== img.channels * img.height * img.width) {
    throw new ShapeError(`${op}: image data has ${img.data.length} values, not channels*height*width = ${dims(img)}`);
  }
}

/** HWC uint8 → CHW float32 in [0, 1] (torchvision `to_tensor`: value / 255). */
export function toImage(raw: RawImage): Image {
  const { height: h, width: w, channels: c, data } = raw;
  if (data.length !== h * w * c)
    throw new ShapeError(`toTensor: ${data.length} bytes for a ${h}x${w}x${c} (HWC) image`);
  const out = new Float32Array(c * h * w);
  const plane = h * w;
  for (let p = 0, q = 0; p < plane; p++) for (let k = 0; k < c; k++) out[k * plane + p] = data[q++] / 255;
  return { data: out, channels: c, height: h, width: w };
}

/** (x - mean[c]) / std[c] in float32, as torchvision's `normalize` (a length-1 list broadcasts). */
export function normalize(img: Image, mean: readonly number[], std: readonly number[]): Image {
  check(img, 'normalize');
  const c = img.channels;
  for (const [n, v] of [
    ['mean', mean],
    ['std', std],
  ] as const) {
    if (v.length !== 1 && v.length !== c)
      throw new ShapeError(`normalize: ${n} has ${v.length} values for an image with ${c} channels`);
  }
  if (std.some((s) => s === 0))
    throw new ArgumentError(
      `normalize: std evaluated to zero after conversion to float32, leading to division by zero (std = [${std.join(', ')}])`,
    );
  const out = new Float32Array(img.data.length);
  const plane = img.height * img.width;
  for (let k = 0; k < c; k++) {
    const m = f(mean[mean.length === 1 ? 0 : k]),
      s = f(std[std.length === 1 ? 0 : k]);
    for (let p = k * plane, e = p + plane; p < e; p++) out[p] = f(img.data[p] - m) / s;
  }
  return { ...img, data: out };
}

/** torchvision's output-size rule: an int (or [n]) matches the smaller edge, keeping the aspect ratio. */
export function resizedSize(
  height: number,
  width: number,
  size: number | readonly number[],
  maxSize?: number,
): [number, number] {
  const s = typeof size === 'number' ? [size] : size;
  if (s.length === 2) {
    if (maxSize !== undefined)
      throw new ArgumentError('resize: maxSize is only supported when size is an int (the smaller edge)');
    return [s[0], s[1]];
  }
  if (s.length !== 1)
    throw new ArgumentError(`resize: size must be an int or a 1 or 2 element list, not a ${s.length} element list`);
  const [short, long] = width <= height ? [width, height] : [height, width];
  let newShort = s[0],
    newLong = Math.trunc((s[0] * long) / short);
  if (maxSize !== undefined) {
    if (maxSize <= s[0])
      throw new ArgumentError(
        `resize: maxSize = ${maxSize} must be strictly greater than the requested size for the smaller edge size = ${s[0]}`,
      );
    if (newLong > maxSize) [newShort, newLong] = [Math.trunc((maxSize * newShort) / newLong), maxSize];
  }
  return width <= height ? [newLong, newShort] : [newShort, newLong];
}

/** Source indices and weights along one axis (PyTorch's upsample, align_corners=False, in float32). */
function linearAxis(inSize: number, outSize: number) {
  const i0 = new Int32Array(outSize),
    i1 = new Int32Array(outSize);
  const w0 = new Float32Array(outSize),
    w1 = new Float32Array(outSize);
  const scale = f(inSize / outSize);
  for (let d = 0; d < outSize; d++) {
    if (inSize === outSize) {
      i0[d] = i1[d] = d;
      w0[d] = 1;
      w1[d] = 0;
      continue;
    }
    let real = f(f(scale * (d + 0.5)) - 0.5);
    if (real < 0) real = 0;
    const a = Math.trunc(real);
    i0[d] = a;
    i1[d] = a + (a < inSize - 1 ? 1 : 0);
    const l1 = Math.min(Math.max(f(real - a), 0), 1);
    w1[d] = l1;
    w0[d] = f(1 - l1);
  }
  return { i0, i1, w0, w1 };
}

/**
 * Bilinear resize as torchvision 0.14 does on tensors (`antialias=False`: `F.interpolate(...,
 * mode='bilinear', align_corners=False)`). `size`: [h, w], or an int for the smaller edge.
 */
export function resize(img: Image, size: number | readonly number[], o: { maxSize?: number } = {}): Image {
  check(img, 'resize');
  const { channels: c, height: h, width: w } = img;
  const [oh, ow] = resizedSize(h, w, size, o.maxSize);
  if (!(oh > 0 && ow > 0 && Number.isInteger(oh) && Number.isInteger(ow))) {
    throw new ArgumentError(
      `resize: output size must be positive integers, got [${oh}, ${ow}] for a ${dims(img)} image`,
    );
  }
  if (oh === h && ow === w) return img;
  const ys = linearAxis(h, oh),
    xs = linearAxis(w, ow);
  const src = img.data,
    out = new Float32Array(c * oh * ow);
  for (let k = 0; k < c; k++) {
    const base = k * h * w;
    let o = k * oh * ow;
    for (let y = 0; y < oh; y++) {
      const r0 = base + ys.i0[y] * w,
        r1 = base + ys.i1[y] * w,
        h0 = ys.w0[y],
        h1 = ys.w1[y];
      for (let x = 0; x < ow; x++) {
        const a = xs.i0[x],
          b = xs.i1[x],
          w0 = xs.w0[x],
          w1 = xs.w1[x];
        const top = f(f(src[r0 + a] * w0) + f(src[r0 + b] * w1));
        const bot = f(f(src[r1 + a] * w0) + f(src[r1 + b] * w1));
        out[o++] = f(top * h0) + f(bot * h1);
      }
    }
  }
  return { data: out, channels: c, height: oh, width: ow };
}

/**
 * The [top, top+height) × [left, left+width) window; parts outside the image are `fill`
 * (torchvision's `crop` pads with 0 the same way).
 */
export function crop(img: Image, top: number, left: number, height: number, width: number, fill = 0): Image {
  check(img, 'crop');
  for (const [n, v] of [
    ['top', top],
    ['left', left],
    ['height', height],
    ['width', width],
  ] as const) {
    if (!Number.isInteger(v)) throw new ArgumentError(`crop: ${n} must be an integer, got ${v}`);
  }
  if (height < 0 || width < 0) throw new ArgumentError(`crop: size must be non-negative, got ${height}x${width}`);
  const { channels: c, height: h, width: w } = img;
  const out = new Float32Array(c * height * width);
  if (fill !== 0) out.fill(fill);
  const x0 = Math.max(0, left),
    x1 = Math.min(w, left + width);
  for (let k = 0; k < c; k++) {
    for (let y = 0; y < height; y++) {
      const sy = top + y;
      if (sy < 0 || sy >= h || x1 <= x0) continue;
      const s = k * h * w + sy * w;
      out.set(img.data.subarray(s + x0, s + x1), k * height * width + y * width + (x0 - left));
    }
  }
  return { data: out, channels: c, height, width };
}

/** torchvision padding forms: n, [n], [left/right, top/bottom], [left, top, right, bottom] → ltrb. */
export function parsePadding(padding: number | readonly number[]): [number, number, number, number] {
  const p = typeof padding === 'number' ? [padding] : padding;
  let ltrb: number[];
  if (p.length === 1) ltrb = [p[0], p[0], p[0], p[0]];
  else if (p.length === 2) ltrb = [p[0], p[1], p[0], p[1]];
  else if (p.length === 4) ltrb = [...p];
  else
    throw new ArgumentError(`pad: padding must be an int or a 1, 2 or 4 element list, not a ${p.length} element list`);
  if (ltrb.some((v) => !Number.isInteger(v) || v < 0))
    throw new ArgumentError(`pad: padding must be non-negative integers, got [${p.join(', ')}]`);
  return ltrb as [number, number, number, number];
}

/** Constant padding (torchvision `pad`, padding_mode='constant'). */
export function pad(img: Image, padding: number | readonly number[], fill = 0): Image {
  const [l, t, r, b] = parsePadding(padding);
  return crop(img, -t, -l, img.height + t + b, img.width + l + r, fill);
}

const pair = (size: number | readonly number[], op: string): [number, number] => {
  const s = typeof size === 'number' ? [size, size] : size.length === 1 ? [size[0], size[0]] : size;
  if (s.length !== 2 || s.some((v) => !Number.isInteger(v) || v <= 0))
    throw new ArgumentError(`${op}: size must be a positive int or [height, width], got ${JSON.stringify(size)}`);
  return [s[0], s[1]];
};
export const sizePair = pair;

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torchvision `center_crop`: zero-pads when the crop is larger, offsets rounded half-to-even. */
export function centerCrop(img: Image, size: number | readonly number[]): Image {
  const [ch, cw] = pair(size, 'centerCrop');
  let im = img;
  if (cw > im.width || ch > im.height) {
    const dw = cw - im.width,
      dh = ch - im.height;
    im = pad(im, [dw > 0 ? dw >> 1 : 0, dh > 0 ? dh >> 1 : 0, dw > 0 ? (dw + 1) >> 1 : 0, dh > 0 ? (dh + 1) >> 1 : 0]);
    if (im.width === cw && im.height === ch) return im;
  }
  return crop(im, roundHalfEven((im.height - ch) / 2), roundHalfEven((im.width - cw) / 2), ch, cw);
}

/** Mirror left–right. */
export function hflip(img: Image): Image {
  check(img, 'hflip');
  const { channels: c, height: h, width: w } = img;
  const out = new Float32Array(img.data.length);
  for (let r = 0; r < c * h; r++) {
    const s = r * w;
    for (let x = 0; x < w; x++) out[s + x] = img.data[s + w - 1 - x];
  }
  return { ...img, data: out };
}
