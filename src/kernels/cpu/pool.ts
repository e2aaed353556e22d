// The cpu device's 2-D pooling: max pooling with PyTorch's flat argmax indices (NaN wins, as PyTorch),
// average pooling with its padding and divisor rules, and the average-pool gradient.
import type { Pool2dArgs, Storage, View } from '../backend.js';
import { type CpuContext, dense } from './views.js';

/** the window of output (oy, ox): its input range, clipped to the image, and the divisor */
function avgWindow(a: Pool2dArgs, oy: number, ox: number) {
  const y0 = oy * a.strideH - a.padH,
    x0 = ox * a.strideW - a.padW;
  const y1 = Math.min(y0 + a.kh, a.h + a.padH),
    x1 = Math.min(x0 + a.kw, a.w + a.padW);
  const padCount = (y1 - y0) * (x1 - x0);
  const ys = Math.max(y0, 0),
    xs = Math.max(x0, 0),
    ye = Math.min(y1, a.h),
    xe = Math.min(x1, a.w);
  const div = a.divisor ? a.divisor : a.countIncludePad ? padCount : (ye - ys) * (xe - xs);
  return { ys, xs, ye, xe, div };
}

export function maxPool2d(be: CpuContext, x: View, a: Pool2dArgs): [Storage, Storage] {
  be.dispatches++;
  const X = dense(x);
  const planes = a.n * a.c;
  const out = new Float32Array(planes * a.oh * a.ow),
    idx = new Int32Array(planes * a.oh * a.ow);
  for (let p = 0; p < planes; p++)
    for (let oy = 0; oy < a.oh; oy++)
      for (let ox = 0; ox < a.ow; ox++) {
        let best = -Infinity,
          bi = -1;
        for (let ky = 0; ky < a.kh; ky++) {
          const iy = oy * a.strideH - a.padH + ky * a.dilH;
          if (iy < 0 || iy >= a.h) continue;
          for (let kx = 0; kx < a.kw; kx++) {
            const ix = ox * a.strideW - a.padW + kx * a.dilW;
            if (ix < 0 || ix >= a.w) continue;
            const v = X[p * a.h * a.w + iy * a.w + ix];
            // PyTorch's test: a NaN wins and stays (the last NaN in the window gives the index)
            if (v > best || v !== v || bi < 0) {
              best = v;
              bi = iy * a.w + ix;
            }
          }
        }
        const o = (p * a.oh + oy) * a.ow + ox;
        out[o] = best;
        idx[o] = bi;
      }
  return [be.wrap(out, 'float32'), be.wrap(idx, 'int32')];
}

export function avgPool2d(be: CpuContext, x: View, a: Pool2dArgs): Storage {
  be.dispatches++;
  const X = dense(x);
  const planes = a.n * a.c;
  const out = new Float32Array(planes * a.oh * a.ow);
  for (let p = 0; p < planes; p++)
    for (let oy = 0; oy < a.oh; oy++)
      for (let ox = 0; ox < a.ow; ox++) {
        const { ys, xs, ye, xe, div } = avgWindow(a, oy, ox);
        let s = 0;
        for (let iy = ys; iy < ye; iy++) for (let ix = xs; ix < xe; ix++) s += X[p * a.h * a.w + iy * a.w + ix];
        out[(p * a.oh + oy) * a.ow + ox] = s / div;
      }
  return be.wrap(out, 'float32');
}

export function avgPool2dBackward(be: CpuContext, gy: View, a: Pool2dArgs): Storage {
  be.dispatches++;
  const G = dense(gy);
  const planes = a.n * a.c;
  const out = new Float32Array(planes * a.h * a.w);
  for (let p = 0; p < planes; p++)
    for (let oy = 0; oy < a.oh; oy++)
      for (let ox = 0; ox < a.ow; ox++) {
        const { ys, xs, ye, xe, div } = avgWindow(a, oy, ox);
        const g = G[(p * a.oh + oy) * a.ow + ox] / div;
        for (let iy = ys; iy < ye; iy++) for (let ix = xs; ix < xe; ix++) out[p * a.h * a.w + iy * a.w + ix] += g;
      }
  return be.wrap(out, 'float32');
}
