// Convolutions over tiny images (fewer than 4 output columns: ResNet's last stage at 64×64 input
// runs at 2×2) as GEMMs over an im2col buffer. The register-tiled kernels compute 4 output
// columns per invocation, so at 2 columns half their work is padding; measured on llvmpipe a
// 16×512→512 3×3 convolution at 2×2 ran at ~5 GFLOP/s tiled against ~10 through the matmul
// kernel. The buffers stay small exactly where this path is taken (a few hundred KB per image
// batch), since few columns means few pixels.
//
// With K = cIn·kh·kw rows (k = (ic·kh + ky)·kw + kx) and P = n·oh·ow columns (p = (b·oh + oy)·ow + ox):
// - forward: cols [K, P] = im2col(x); out' [cOut, P] = W [cOut, K] · cols; out = swap(out') + bias
// - input gradient: gy' [cOut, P] = swap(gy); gcols [K, P] = Wᵀ · gy'; gx = col2im(gcols)
// - weight gradient: gW [cOut, K] = gy' · colsᵀ, already laid out [cOut, cIn, kh, kw]
// where swap exchanges the two leading dimensions of [n, cOut, oh·ow] ↔ [cOut, n, oh·ow].
// Only ungrouped convolutions take this path.
import type { Conv2dArgs, MatmulArgs, View } from '../backend.js';
import type { Runtime } from './runtime.js';
import { paramBlock } from './params.js';
import { grid1d, passKernel } from './wgsl.js';
import { buf } from './launch.js';

/** The device's batched matmul (Backend.matmul), returning its fresh output buffer. */
export type MatmulFn = (a: View, b: View, g: MatmulArgs) => GPUBuffer;

/** im2col buffers above this many floats (64 MB) are not worth it: such images take the tiled path */
const MAX_COLS = 2 ** 24;
/** Whether a convolution goes through the GEMM path (see the file comment). */
export const useGemm = (a: Conv2dArgs) =>
  a.groups === 1 && a.ow < 4 && a.n * a.oh * a.ow > 0 && a.cIn * a.kh * a.kw * a.n * a.oh * a.ow <= MAX_COLS;

/** im2col and col2im: the convolution's geometry; offX: the read operand's offset (im2col) */
const GEOM_PARAMS = paramBlock({
  n: 'u32',
  cIn: 'u32',
  h: 'i32',
  w: 'i32',
  kh: 'u32',
  kw: 'u32',
  oh: 'u32',
  ow: 'u32',
  sh: 'i32',
  sw: 'i32',
  ph: 'i32',
  pw: 'i32',
  dh: 'i32',
  dw: 'i32',
  offX: 'u32',
});
const geomParams = (a: Conv2dArgs, offX: number) => (u: Uint32Array, f: Float32Array, i: Int32Array) =>
  GEOM_PARAMS.write(u, f, i, {
    n: a.n,
    cIn: a.cIn,
    h: a.h,
    w: a.w,
    kh: a.kh,
    kw: a.kw,
    oh: a.oh,
    ow: a.ow,
    sh: a.strideH,
    sw: a.strideW,
    ph: a.padH,
    pw: a.padW,
    dh: a.dilH,
    dw: a.dilW,
    offX,
  });
const GEOM = GEOM_PARAMS.preamble();

/** cols[k, p] = x[b, ic, oy·sh - ph + ky·dh, ox·sw - pw + kx·dw] (0 outside). One invocation per (k, b): its oh·ow columns. */
function im2colSource(): string {
  return passKernel(
    'X: array<f32>',
    'O: array<f32>',
    'row',
    `  ${GEOM}
  if (row >= cIn * kh * kw * n) { return; }
  let b = row % n; let k = row / n;
  let kx = i32(k % kw); let ky = i32((k / kw) % kh); let ic = k / (kw * kh);
  let src = offX + (b * cIn + ic) * u32(h * w);
  var dst = k * n * oh * ow + b * oh * ow;
  for (var oy = 0; oy < i32(oh); oy++) {
    let iy = oy * sh - ph + ky * dh;
    for (var ox = 0; ox < i32(ow); ox++) {
      let ix = ox * sw - pw + kx * dw;
      let ok = iy >= 0 && iy < h && ix >= 0 && ix < w;
      O[dst] = select(0.0, X[src + u32(select(0, iy * w + ix, ok))], ok);
      dst++;
    }
  }`,
  );
}

/** gx[b, ic, iy, ix] = Σ over the taps reaching it of gcols[k, p]. One invocation per (b, ic, iy) row. */
function col2imSource(): string {
  return passKernel(
    'G: array<f32>',
    'O: array<f32>',
    'row',
    `  ${GEOM}
  if (row >= n * cIn * u32(h)) { return; }
  let iy = i32(row % u32(h)); let ic = (row / u32(h)) % cIn; let b = row / (u32(h) * cIn);
  let pAll = n * oh * ow;
  for (var ix = 0; ix < w; ix++) {
    var s = 0.0;
    for (var ky = 0; ky < i32(kh); ky++) {
      let ty = iy + ph - ky * dh;
      let oy = ty / sh;
      if (ty < 0 || oy * sh != ty || oy >= i32(oh)) { continue; }
      for (var kx = 0; kx < i32(kw); kx++) {
        let tx = ix + pw - kx * dw;
        let ox = tx / sw;
        if (tx < 0 || ox * sw != tx || ox >= i32(ow)) { continue; }
        let k = (ic * kh + u32(ky)) * kw + u32(kx);
        s += G[k * pAll + (b * oh + u32(oy)) * ow + u32(ox)];
      }
    }
    O[row * u32(w) + u32(ix)] = s;
  }`,
  );
}

/** out[j, i, :] = src[offset + (i, j, :)]: swap the leading dimensions of [dimA, dimB, len]. One invocation per (j, i) run of len. */
const SWAP_PARAMS = paramBlock({ dimA: 'u32', dimB: 'u32', len: 'u32', offset: 'u32' });
function swapLeadingSource(): string {
  return passKernel(
    'S: array<f32>',
    'O: array<f32>',
    'r',
    `  ${SWAP_PARAMS.preamble()}
  if (r >= dimA * dimB) { return; }
  let i = r % dimA; let j = r / dimA;
  let src = offset + (i * dimB + j) * len;
  for (var t = 0u; t < len; t++) { O[r * len + t] = S[src + t]; }`,
  );
}

const asView = (b: GPUBuffer, length: number): View => ({
  storage: { device: 'webgpu', dtype: 'float32', length, refs: 1, released: false, handle: b },
  shape: [length],
  strides: [1],
  offset: 0,
  dtype: 'float32',
});

function swapLeading(rt: Runtime, src: GPUBuffer, offset: number, A: number, B: number, L: number): GPUBuffer {
  const out = rt.createBuffer(A * B * L * 4);
  rt.dispatch(
    'conv_gemm_swap',
    swapLeadingSource,
    [src, out],
    (u, f, i) => SWAP_PARAMS.write(u, f, i, { dimA: A, dimB: B, len: L, offset }),
    grid1d(A * B, 64),
  );
  return out;
}

function im2col(rt: Runtime, x: View, a: Conv2dArgs): GPUBuffer {
  const K = a.cIn * a.kh * a.kw,
    P = a.n * a.oh * a.ow;
  const cols = rt.createBuffer(K * P * 4);
  rt.dispatch('conv_im2col', im2colSource, [buf(x), cols], geomParams(a, x.offset), grid1d(K * a.n, 64));
  return cols;
}

/** x [n, cIn, h, w], w [cOut, cIn, kh, kw] → out [n, cOut, oh, ow] (bias added by the caller's channel-bias pass) */
export function gemmForward(rt: Runtime, x: View, w: View, a: Conv2dArgs, mm: MatmulFn): GPUBuffer {
  const K = a.cIn * a.kh * a.kw,
    P = a.n * a.oh * a.ow,
    hw = a.oh * a.ow;
  const cols = im2col(rt, x, a);
  const outT = mm(w, asView(cols, K * P), {
    batch: 1,
    m: a.cOut,
    n: P,
    k: K,
    transA: false,
    transB: false,
    strideA: 0,
    strideB: 0,
  });
  rt.releaseBuffer(cols);
  const out = swapLeading(rt, outT, 0, a.cOut, a.n, hw);
  rt.releaseBuffer(outT);
  return out;
}

/** gy [n, cOut, oh, ow], w → gx [n, cIn, h, w] */
export function gemmBackwardInput(rt: Runtime, gy: View, w: View, a: Conv2dArgs, mm: MatmulFn): GPUBuffer {
  const K = a.cIn * a.kh * a.kw,
    P = a.n * a.oh * a.ow,
    hw = a.oh * a.ow;
  const gyT = swapLeading(rt, buf(gy), gy.offset, a.n, a.cOut, hw);
  const gcols = mm(w, asView(gyT, a.cOut * P), {
    batch: 1,
    m: K,
    n: P,
    k: a.cOut,
    transA: true,
    transB: false,
    strideA: 0,
    strideB: 0,
  });
  rt.releaseBuffer(gyT);
  const rows = a.n * a.cIn * a.h;
  const gx = rt.createBuffer(rows * a.w * 4);
  rt.dispatch('conv_col2im', col2imSource, [gcols, gx], geomParams(a, 0), grid1d(rows, 64));
  rt.releaseBuffer(gcols);
  return gx;
}

/** gy [n, cOut, oh, ow], x [n, cIn, h, w] → gW [cOut, cIn, kh, kw] */
export function gemmBackwardWeight(rt: Runtime, gy: View, x: View, a: Conv2dArgs, mm: MatmulFn): GPUBuffer {
  const K = a.cIn * a.kh * a.kw,
    P = a.n * a.oh * a.ow,
    hw = a.oh * a.ow;
  const gyT = swapLeading(rt, buf(gy), gy.offset, a.n, a.cOut, hw);
  const cols = im2col(rt, x, a);
  const gw = mm(asView(gyT, a.cOut * P), asView(cols, K * P), {
    batch: 1,
    m: a.cOut,
    n: K,
    k: P,
    transA: false,
    transB: true,
    strideA: 0,
    strideB: 0,
  });
  rt.releaseBuffer(gyT);
  rt.releaseBuffer(cols);
  return gw;
}
