// 2-D convolution on the cpu device: im2col per image and group, then GEMMs written as blocks of
// 4×4 dot products over contiguous Float32Array rows (16 accumulators in registers, each value
// loaded is used 4 times; measured ~2× the row-update form in V8). Inputs are dense arrays
// (offsets already applied); outputs are fresh arrays.
//
//   forward:         out_g [og, N] = W_g [og, K] · colᵀ           (colᵀ [N, K]: rows along K)
//   input gradient:  gcol  [K,  N] = W_gᵀ [K, og] · (gy_gᵀ)ᵀ      (gy_gᵀ [N, og]), then col2im
//   weight gradient: gW_g  [og, K] = gy_g [og, N] · colᵀ          (col [K, N]; summed over images)
// with K = cIn/groups · kh · kw and N = oh · ow.
// Depthwise convolutions (groups == cIn) have one input channel per group: K is only kh·kw and the
// GEMMs degenerate into dot products of 9 or 25 terms behind a full im2col copy (measured ~0.25
// GFLOP/s). They take row loops of their own instead (see depthwise below).
import type { Conv2dArgs } from '../backend.js';

/** Switch for benchmarks: depthwise convolutions through their own loops (off: im2col + GEMM). */
export const cpuConvOptions = { depthwise: true };
const isDepthwise = (a: Conv2dArgs) => cpuConvOptions.depthwise && a.groups === a.cIn && a.groups > 1;

/** output columns ox in [lo, hi) whose input column ox·sw + off lies inside [0, w) */
function columns(off: number, sw: number, w: number, ow: number): [number, number] {
  const lo = Math.min(ow, Math.max(0, Math.ceil(-off / sw)));
  return [lo, Math.max(lo, Math.min(ow, Math.floor((w - 1 - off) / sw) + 1))];
}

/**
 * The column matrix of image b, group g: element (k, n) = x[b, g·cg + i, iy, ix] (or 0 outside
 * the image) for k = (i·kh + ky)·kw + kx, n = oy·ow + ox, stored at k·sk + n·sn: sk = N, sn = 1
 * gives col [K, N], sk = 1, sn = K gives colᵀ [N, K].
 */
function im2col(x: Float32Array, a: Conv2dArgs, b: number, g: number, col: Float32Array, sk: number, sn: number): void {
  const { h, w, kh, kw, oh, ow, strideH: sh, strideW: sw, padH: ph, padW: pw, dilH: dh, dilW: dw } = a;
  const cg = a.cIn / a.groups;
  for (let i = 0; i < cg; i++) {
    const plane = (b * a.cIn + g * cg + i) * h * w;
    for (let ky = 0; ky < kh; ky++)
      for (let kx = 0; kx < kw; kx++) {
        const k = (i * kh + ky) * kw + kx;
        // output columns whose input column is inside the image: ox in [lo, hi)
        const off = kx * dw - pw;
        const [lo, hi] = columns(off, sw, w, ow);
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh - ph + ky * dh;
          let at = k * sk + oy * ow * sn;
          if (iy < 0 || iy >= h) {
            for (let ox = 0; ox < ow; ox++, at += sn) col[at] = 0;
            continue;
          }
          const src = plane + iy * w + off;
          for (let ox = 0; ox < ow; ox++, at += sn) col[at] = ox >= lo && ox < hi ? x[src + ox * sw] : 0;
        }
      }
  }
}

/** the inverse scatter: gx[b, g·cg + i, iy, ix] += gcol[k, n] over every (k, n) that reads it */
function col2im(gcol: Float32Array, a: Conv2dArgs, b: number, g: number, gx: Float32Array): void {
  const { h, w, kh, kw, oh, ow, strideH: sh, strideW: sw, padH: ph, padW: pw, dilH: dh, dilW: dw } = a;
  const cg = a.cIn / a.groups,
    N = oh * ow;
  for (let i = 0; i < cg; i++) {
    const plane = (b * a.cIn + g * cg + i) * h * w;
    for (let ky = 0; ky < kh; ky++)
      for (let kx = 0; kx < kw; kx++) {
        const row = ((i * kh + ky) * kw + kx) * N;
        const off = kx * dw - pw;
        const [lo, hi] = columns(off, sw, w, ow);
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh - ph + ky * dh;
          if (iy < 0 || iy >= h) continue;
          const dst = plane + iy * w + off,
            r = row + oy * ow;
          for (let ox = lo; ox < hi; ox++) gx[dst + ox * sw] += gcol[r + ox];
        }
      }
  }
}

/**
 * c[m·ldc + j] += Σ_l a[aOff + m·L + l] · b[bOff + j·L + l] for m < M, j < J: both operands have
 * their rows along the reduction. 4×4 blocks of accumulators (JS numbers, so sums are in double).
 */
function dotGemm(
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  bOff: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
  M: number,
  J: number,
  L: number,
): void {
  const M4 = M - (M % 4),
    J4 = J - (J % 4);
  for (let m = 0; m < M4; m += 4) {
    const a0 = aOff + m * L,
      a1 = a0 + L,
      a2 = a1 + L,
      a3 = a2 + L;
    for (let j = 0; j < J4; j += 4) {
      const b0 = bOff + j * L,
        b1 = b0 + L,
        b2 = b1 + L,
        b3 = b2 + L;
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0,
        s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      let s20 = 0,
        s21 = 0,
        s22 = 0,
        s23 = 0,
        s30 = 0,
        s31 = 0,
        s32 = 0,
        s33 = 0;
      for (let l = 0; l < L; l++) {
        const x0 = b[b0 + l],
          x1 = b[b1 + l],
          x2 = b[b2 + l],
          x3 = b[b3 + l];
        const y0 = a[a0 + l],
          y1 = a[a1 + l],
          y2 = a[a2 + l],
          y3 = a[a3 + l];
        s00 += y0 * x0;
        s01 += y0 * x1;
        s02 += y0 * x2;
        s03 += y0 * x3;
        s10 += y1 * x0;
        s11 += y1 * x1;
        s12 += y1 * x2;
        s13 += y1 * x3;
        s20 += y2 * x0;
        s21 += y2 * x1;
        s22 += y2 * x2;
        s23 += y2 * x3;
        s30 += y3 * x0;
        s31 += y3 * x1;
        s32 += y3 * x2;
        s33 += y3 * x3;
      }
      const c0 = cOff + m * ldc + j,
        c1 = c0 + ldc,
        c2 = c1 + ldc,
        c3 = c2 + ldc;
      c[c0] += s00;
      c[c0 + 1] += s01;
      c[c0 + 2] += s02;
      c[c0 + 3] += s03;
      c[c1] += s10;
      c[c1 + 1] += s11;
      c[c1 + 2] += s12;
      c[c1 + 3] += s13;
      c[c2] += s20;
      c[c2 + 1] += s21;
      c[c2 + 2] += s22;
      c[c2 + 3] += s23;
      c[c3] += s30;
      c[c3 + 1] += s31;
      c[c3 + 2] += s32;
      c[c3 + 3] += s33;
    }
  }
  // the edges: rows past M4 against every column, then the remaining columns of the first M4 rows
  const dot = (m: number, j: number) => {
    const ao = aOff + m * L,
      bo = bOff + j * L;
    let s = 0;
    for (let l = 0; l < L; l++) s += a[ao + l] * b[bo + l];
    c[cOff + m * ldc + j] += s;
  };
  for (let m = M4; m < M; m++) for (let j = 0; j < J; j++) dot(m, j);
  for (let m = 0; m < M4; m++) for (let j = J4; j < J; j++) dot(m, j);
}

/**
 * Depthwise: for every (image, output channel o = c·M + m, tap) pair, one pass over the output rows
 * the tap reaches, each a strided run over the valid columns: `fn(planeX, planeY, o, tap, iy·w +
 * off, oy·ow, lo, hi)` with input column ox·sw + off for output column ox. The bounds are worked
 * out once per row, so the inner loops are plain multiply-adds.
 */
function depthwise(
  a: Conv2dArgs,
  fn: (px: number, py: number, o: number, tap: number, src: number, dst: number, lo: number, hi: number) => void,
): void {
  const { h, w, kh, kw, oh, ow, strideH: sh, strideW: sw, padH: ph, padW: pw, dilH: dh, dilW: dw } = a;
  const M = a.cOut / a.cIn;
  for (let b = 0; b < a.n; b++)
    for (let o = 0; o < a.cOut; o++) {
      const px = (b * a.cIn + Math.floor(o / M)) * h * w,
        py = (b * a.cOut + o) * oh * ow;
      for (let ky = 0; ky < kh; ky++)
        for (let kx = 0; kx < kw; kx++) {
          const off = kx * dw - pw;
          const [lo, hi] = columns(off, sw, w, ow);
          if (lo === hi) continue;
          for (let oy = 0; oy < oh; oy++) {
            const iy = oy * sh - ph + ky * dh;
            if (iy >= 0 && iy < h) fn(px, py, o, ky * kw + kx, iy * w + off, oy * ow, lo, hi);
          }
        }
    }
}

function depthwiseForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, a: Conv2dArgs): Float32Array {
  const N = a.oh * a.ow,
    taps = a.kh * a.kw,
    sw = a.strideW;
  const out = new Float32Array(a.n * a.cOut * N);
  if (bias)
    for (let b = 0; b < a.n; b++)
      for (let o = 0; o < a.cOut; o++) out.fill(bias[o], (b * a.cOut + o) * N, (b * a.cOut + o + 1) * N);
  depthwise(a, (px, py, o, tap, src, dst, lo, hi) => {
    const wv = w[o * taps + tap],
      s = px + src,
      d = py + dst;
    for (let ox = lo; ox < hi; ox++) out[d + ox] += wv * x[s + ox * sw];
  });
  return out;
}

function depthwiseBackwardInput(gy: Float32Array, w: Float32Array, a: Conv2dArgs): Float32Array {
  const taps = a.kh * a.kw,
    sw = a.strideW;
  const gx = new Float32Array(a.n * a.cIn * a.h * a.w);
  depthwise(a, (px, py, o, tap, src, dst, lo, hi) => {
    const wv = w[o * taps + tap],
      s = px + src,
      d = py + dst;
    for (let ox = lo; ox < hi; ox++) gx[s + ox * sw] += wv * gy[d + ox];
  });
  return gx;
}

function depthwiseBackwardWeight(gy: Float32Array, x: Float32Array, a: Conv2dArgs): Float32Array {
  const taps = a.kh * a.kw,
    sw = a.strideW;
  // sums in double (JS numbers), rounded to float32 once
  const gw = new Float64Array(a.cOut * taps);
  depthwise(a, (px, py, o, tap, src, dst, lo, hi) => {
    const s = px + src,
      d = py + dst;
    let acc = 0;
    for (let ox = lo; ox < hi; ox++) acc += gy[d + ox] * x[s + ox * sw];
    gw[o * taps + tap] += acc;
  });
  return Float32Array.from(gw);
}

/** x [n, cIn, h, w], w [cOut, cIn/groups, kh, kw], bias [cOut] → [n, cOut, oh, ow] */
export function conv2dForward(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  a: Conv2dArgs,
): Float32Array {
  if (isDepthwise(a)) return depthwiseForward(x, w, bias, a);
  const cg = a.cIn / a.groups,
    og = a.cOut / a.groups,
    K = cg * a.kh * a.kw,
    N = a.oh * a.ow;
  const out = new Float32Array(a.n * a.cOut * N);
  if (bias)
    for (let b = 0; b < a.n; b++)
      for (let o = 0; o < a.cOut; o++) out.fill(bias[o], (b * a.cOut + o) * N, (b * a.cOut + o + 1) * N);
  const colT = new Float32Array(N * K);
  for (let b = 0; b < a.n; b++)
    for (let g = 0; g < a.groups; g++) {
      im2col(x, a, b, g, colT, 1, K);
      dotGemm(w, g * og * K, colT, 0, out, (b * a.cOut + g * og) * N, N, og, N, K);
    }
  return out;
}

/** gy [n, cOut, oh, ow], w → gx [n, cIn, h, w] */
export function conv2dBackwardInput(gy: Float32Array, w: Float32Array, a: Conv2dArgs): Float32Array {
  if (isDepthwise(a)) return depthwiseBackwardInput(gy, w, a);
  const cg = a.cIn / a.groups,
    og = a.cOut / a.groups,
    K = cg * a.kh * a.kw,
    N = a.oh * a.ow;
  const gx = new Float32Array(a.n * a.cIn * a.h * a.w);
  // W_gᵀ [K, og] and gy_gᵀ [N, og]: both with rows along the reduction over output channels
  const wt = new Float32Array(a.groups * K * og);
  for (let g = 0; g < a.groups; g++)
    for (let o = 0; o < og; o++) for (let k = 0; k < K; k++) wt[(g * K + k) * og + o] = w[(g * og + o) * K + k];
  const gyT = new Float32Array(N * og);
  const gcol = new Float32Array(K * N);
  for (let b = 0; b < a.n; b++)
    for (let g = 0; g < a.groups; g++) {
      const gyOff = (b * a.cOut + g * og) * N;
      for (let o = 0; o < og; o++) for (let p = 0; p < N; p++) gyT[p * og + o] = gy[gyOff + o * N + p];
      gcol.fill(0);
      dotGemm(wt, g * K * og, gyT, 0, gcol, 0, N, K, N, og);
      col2im(gcol, a, b, g, gx);
    }
  return gx;
}

/** gy [n, cOut, oh, ow], x [n, cIn, h, w] → gw [cOut, cIn/groups, kh, kw] */
export function conv2dBackwardWeight(gy: Float32Array, x: Float32Array, a: Conv2dArgs): Float32Array {
  if (isDepthwise(a)) return depthwiseBackwardWeight(gy, x, a);
  const cg = a.cIn / a.groups,
    og = a.cOut / a.groups,
    K = cg * a.kh * a.kw,
    N = a.oh * a.ow;
  const gw = new Float32Array(a.cOut * K);
  const col = new Float32Array(K * N);
  for (let b = 0; b < a.n; b++)
    for (let g = 0; g < a.groups; g++) {
      im2col(x, a, b, g, col, N, 1);
      dotGemm(gy, (b * a.cOut + g * og) * N, col, 0, gw, g * og * K, K, og, K, N);
    }
  return gw;
}
