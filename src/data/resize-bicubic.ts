// Bicubic resize as torchvision 0.14 does it on a float tensor (`F.resize(..., interpolation=BICUBIC,
// antialias=False)` → `F.interpolate(mode='bicubic', align_corners=False)`): Keys' cubic with A = -0.75,
// source index scale·(d + 0.5) − 0.5 (not clamped at 0, unlike bilinear), the four taps clamped to the
// border, no clamping of the result (float images may overshoot [0, 1], as in PyTorch). The EfficientNet
// V1 weights' preset uses it. Weights per output row/column are computed once, in float32 as PyTorch.
import { ArgumentError, ShapeError } from '../errors.js';
import type { Image } from './image.js';
import { resizedSize } from './image-ops.js';

const f = Math.fround;
const A = -0.75;
const cc1 = (x: number) => f(f(f(f(f((A + 2) * x) - (A + 3)) * x) * x) + 1);
const cc2 = (x: number) => f(f(f(f(f(f(A * x) - 5 * A) * x) + 8 * A) * x) - 4 * A);

/** For each output index: the 4 clamped source indices and their weights (PyTorch's cubic coefficients). */
function cubicAxis(inSize: number, outSize: number) {
  const idx = new Int32Array(outSize * 4),
    w = new Float32Array(outSize * 4);
  const scale = f(inSize / outSize);
  for (let d = 0; d < outSize; d++) {
    const real = f(f(scale * (d + 0.5)) - 0.5);
    const i = Math.floor(real);
    const t = Math.min(Math.max(f(real - i), 0), 1);
    const c = [cc2(f(t + 1)), cc1(t), cc1(f(1 - t)), cc2(f(f(1 - t) + 1))];
    for (let k = 0; k < 4; k++) {
      idx[d * 4 + k] = Math.min(Math.max(i - 1 + k, 0), inSize - 1);
      w[d * 4 + k] = c[k];
    }
  }
  return { idx, w };
}

/** `size`: an int for the smaller edge (torchvision's rule) or [h, w]. */
export function resizeBicubic(img: Image, size: number | readonly number[]): Image {
  const { channels: c, height: h, width: wd } = img;
  if (img.data.length !== c * h * wd)
    throw new ShapeError(
      `resize: image data has ${img.data.length} values, not channels*height*width = ${c}x${h}x${wd}`,
    );
  const [oh, ow] = resizedSize(h, wd, size);
  if (!(oh > 0 && ow > 0 && Number.isInteger(oh) && Number.isInteger(ow))) {
    throw new ArgumentError(
      `resize: output size must be positive integers, got [${oh}, ${ow}] for a ${c}x${h}x${wd} image`,
    );
  }
  if (oh === h && ow === wd) return img;
  const ys = cubicAxis(h, oh),
    xs = cubicAxis(wd, ow);
  const src = img.data,
    out = new Float32Array(c * oh * ow);
  const row = new Float32Array(4);
  for (let k = 0; k < c; k++) {
    const base = k * h * wd;
    let o = k * oh * ow;
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        // along x for each of the 4 source rows, then along y (PyTorch's order)
        for (let r = 0; r < 4; r++) {
          const s = base + ys.idx[y * 4 + r] * wd;
          let acc = 0;
          for (let q = 0; q < 4; q++) acc = f(acc + f(src[s + xs.idx[x * 4 + q]] * xs.w[x * 4 + q]));
          row[r] = acc;
        }
        let v = 0;
        for (let r = 0; r < 4; r++) v = f(v + f(row[r] * ys.w[y * 4 + r]));
        out[o++] = v;
      }
    }
  }
  return { data: out, channels: c, height: oh, width: ow };
}
