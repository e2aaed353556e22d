// A drawing to a 28x28 MNIST digit, the way MNIST's own digits were made: the ink's bounding box is
// scaled (area-averaged) to fit a 20x20 box, keeping its aspect ratio, and placed in the 28x28 frame
// with its centre of mass at the centre. Without this a digit drawn small or off-centre on the
// canvas looks nothing like what the model was trained on. Pure (no DOM): tested in Node.
import { PIXELS, SIDE } from './digits.js';

const BOX = 20;
/** ink below this (of 1) is background when finding the bounding box */
const INK = 0.1;

/** `gray`: w*h values in [0, 1], white ink on black. Null when nothing is drawn. */
export function toMnist(gray: Float32Array, w: number, h: number): Float32Array | null {
  if (gray.length !== w * h) throw new Error(`toMnist: ${gray.length} values for ${w}x${h}`);
  let x0 = w,
    y0 = h,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (gray[y * w + x] > INK) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1,
    bh = y1 - y0 + 1;
  const s = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * s)),
    th = Math.max(1, Math.round(bh * s));
  // area average of the source pixels each target pixel covers
  const patch = new Float32Array(tw * th);
  for (let ty = 0; ty < th; ty++) {
    const sy0 = y0 + Math.floor((ty * bh) / th),
      sy1 = Math.max(sy0 + 1, y0 + Math.floor(((ty + 1) * bh) / th));
    for (let tx = 0; tx < tw; tx++) {
      const sx0 = x0 + Math.floor((tx * bw) / tw),
        sx1 = Math.max(sx0 + 1, x0 + Math.floor(((tx + 1) * bw) / tw));
      let sum = 0;
      for (let y = sy0; y < sy1; y++) for (let x = sx0; x < sx1; x++) sum += gray[y * w + x];
      patch[ty * tw + tx] = sum / ((sy1 - sy0) * (sx1 - sx0));
    }
  }
  let mass = 0,
    cx = 0,
    cy = 0;
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      const v = patch[y * tw + x];
      mass += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
    }
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const ox = clamp(Math.round(SIDE / 2 - cx / mass), SIDE - tw),
    oy = clamp(Math.round(SIDE / 2 - cy / mass), SIDE - th);
  const out = new Float32Array(PIXELS);
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) out[(oy + y) * SIDE + ox + x] = Math.min(1, patch[y * tw + x]);
  return out;
}
