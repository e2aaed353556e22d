// Shared by the conv kernel tests (conv.test.ts, conv-depthwise.test.ts): a case's arguments and
// deterministic data, the naive definition in float64, and one forward + both gradients through a
// Backend with the operands placed at chosen offsets of their storages.
import type { Backend, Conv2dArgs, Storage, View } from '../../src/kernels/backend.js';

export interface Case {
  name: string;
  n: number;
  cIn: number;
  cOut: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  sh?: number;
  sw?: number;
  ph?: number;
  pw?: number;
  dh?: number;
  dw?: number;
  groups?: number;
  bias?: boolean;
  /** element offsets of x, w, gy, bias inside their storages */
  offsets?: [number, number, number, number];
  /** on webgpu: taken through im2col + matmul (fewer than 4 output columns; see conv-gemm.ts) */
  gemm?: boolean;
}

export function args(c: Case): Conv2dArgs {
  const sh = c.sh ?? 1,
    sw = c.sw ?? 1,
    ph = c.ph ?? 0,
    pw = c.pw ?? 0,
    dh = c.dh ?? 1,
    dw = c.dw ?? 1;
  const oh = Math.floor((c.h + 2 * ph - dh * (c.kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((c.w + 2 * pw - dw * (c.kw - 1) - 1) / sw) + 1;
  return {
    n: c.n,
    cIn: c.cIn,
    h: c.h,
    w: c.w,
    cOut: c.cOut,
    kh: c.kh,
    kw: c.kw,
    oh,
    ow,
    strideH: sh,
    strideW: sw,
    padH: ph,
    padW: pw,
    dilH: dh,
    dilW: dw,
    groups: c.groups ?? 1,
  };
}

/** deterministic values in [-1, 1) */
export function values(len: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export interface Data {
  x: Float32Array;
  w: Float32Array;
  gy: Float32Array;
  bias: Float32Array | null;
}
export function data(c: Case, a: Conv2dArgs): Data {
  return {
    x: values(a.n * a.cIn * a.h * a.w, 1),
    w: values(a.cOut * (a.cIn / a.groups) * a.kh * a.kw, 2),
    gy: values(a.n * a.cOut * a.oh * a.ow, 3),
    bias: c.bias ? values(a.cOut, 4) : null,
  };
}

/** the naive definition, in float64: out[b,o,y,x] = Σ w[o,i,ky,kx] · x[b, g·cg+i, y·s-p+ky·d, x·s-p+kx·d] */
export function naive(a: Conv2dArgs, d: Data) {
  const cg = a.cIn / a.groups,
    og = a.cOut / a.groups;
  const y = new Float64Array(a.n * a.cOut * a.oh * a.ow);
  const gx = new Float64Array(a.n * a.cIn * a.h * a.w);
  const gw = new Float64Array(a.cOut * cg * a.kh * a.kw);
  for (let b = 0; b < a.n; b++)
    for (let o = 0; o < a.cOut; o++)
      for (let oy = 0; oy < a.oh; oy++)
        for (let ox = 0; ox < a.ow; ox++) {
          const yi = ((b * a.cOut + o) * a.oh + oy) * a.ow + ox;
          let s = d.bias ? d.bias[o] : 0;
          for (let i = 0; i < cg; i++)
            for (let ky = 0; ky < a.kh; ky++)
              for (let kx = 0; kx < a.kw; kx++) {
                const iy = oy * a.strideH - a.padH + ky * a.dilH,
                  ix = ox * a.strideW - a.padW + kx * a.dilW;
                if (iy < 0 || iy >= a.h || ix < 0 || ix >= a.w) continue;
                const c = Math.floor(o / og) * cg + i;
                const xi = ((b * a.cIn + c) * a.h + iy) * a.w + ix,
                  wi = ((o * cg + i) * a.kh + ky) * a.kw + kx;
                s += d.w[wi] * d.x[xi];
                gx[xi] += d.w[wi] * d.gy[yi];
                gw[wi] += d.gy[yi] * d.x[xi];
              }
          y[yi] = s;
        }
  return { y, gx, gw };
}

/** upload `values` at element `offset` of a fresh storage and view it with `shape` */
export function place(be: Backend, vals: Float32Array, shape: number[], offset: number): View {
  const host = new Float32Array(offset + vals.length + 3).fill(Number.NaN);
  host.set(vals, offset);
  const storage: Storage = be.upload(host, 'float32');
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, q) => p * q, 1));
  return { storage, shape, strides, offset, dtype: 'float32' };
}

export async function run(be: Backend, c: Case, a: Conv2dArgs, d: Data) {
  const [ox, ow, og, ob] = c.offsets ?? [0, 0, 0, 0];
  const x = place(be, d.x, [a.n, a.cIn, a.h, a.w], ox);
  const w = place(be, d.w, [a.cOut, a.cIn / a.groups, a.kh, a.kw], ow);
  const gy = place(be, d.gy, [a.n, a.cOut, a.oh, a.ow], og);
  const bias = d.bias ? place(be, d.bias, [a.cOut], ob) : null;
  const outs = [be.conv2d(x, w, bias, a), be.conv2dBackwardInput(gy, w, a), be.conv2dBackwardWeight(gy, x, a)];
  const [y, gx, gw] = await Promise.all(outs.map((s) => be.read(s, 0, s.length)));
  for (const s of [...outs, x.storage, w.storage, gy.storage, ...(bias ? [bias.storage] : [])]) be.release(s);
  return { y, gx, gw };
}
