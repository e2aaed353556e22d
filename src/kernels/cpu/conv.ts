// 2-D convolution on the cpu device: im2col per image and group, then a GEMM whose inner loops run
// over contiguous Float32Array rows (4 output rows at a time, so each column row loaded is used 4
// times). Inputs are dense arrays (offsets already applied); outputs are fresh arrays.
//
//   forward:         out_g   [og, N] = W_g [og, K] · col [K, N]              (+ bias)
//   input gradient:  gcol    [K,  N] = W_gᵀ [K, og] · gy_g [og, N], then col2im (scatter-add)
//   weight gradient: gW_g    [og, K] = gy_g [og, N] · colᵀ [N, K]     (summed over images)
// with K = cIn/groups · kh · kw and N = oh · ow. A 1×1, stride-1, unpadded convolution uses the
// input itself as its column matrix.
import type { Conv2dArgs } from '../backend.js';

/** col [K, N] for image b, group g: col[(i·kh + ky)·kw + kx, oy·ow + ox] = x[b, g·cg + i, iy, ix] or 0 */
function im2col(x: Float32Array, a: Conv2dArgs, b: number, g: number, col: Float32Array): void {
  const { h, w, kh, kw, oh, ow, strideH: sh, strideW: sw, padH: ph, padW: pw, dilH: dh, dilW: dw } = a;
  const cg = a.cIn / a.groups, N = oh * ow;
  for (let i = 0; i < cg; i++) {
    const plane = ((b * a.cIn) + g * cg + i) * h * w;
    for (let ky = 0; ky < kh; ky++)
      for (let kx = 0; kx < kw; kx++) {
        const row = ((i * kh + ky) * kw + kx) * N;
        // output columns whose input column is inside the image: ox in [lo, hi)
        const off = kx * dw - pw;
        const lo = Math.min(ow, Math.max(0, Math.ceil(-off / sw)));
        const hi = Math.max(lo, Math.min(ow, Math.floor((w - 1 - off) / sw) + 1));
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh - ph + ky * dh;
          const r = row + oy * ow;
          if (iy < 0 || iy >= h) { col.fill(0, r, r + ow); continue; }
          const src = plane + iy * w + off;
          col.fill(0, r, r + lo);
          if (sw === 1) col.set(x.subarray(src + lo, src + hi), r + lo);
          else for (let ox = lo; ox < hi; ox++) col[r + ox] = x[src + ox * sw];
          col.fill(0, r + hi, r + ow);
        }
      }
  }
}

/** the inverse scatter: gx[b, g·cg + i, iy, ix] += gcol[k, n] over every (k, n) that reads it */
function col2im(gcol: Float32Array, a: Conv2dArgs, b: number, g: number, gx: Float32Array): void {
  const { h, w, kh, kw, oh, ow, strideH: sh, strideW: sw, padH: ph, padW: pw, dilH: dh, dilW: dw } = a;
  const cg = a.cIn / a.groups, N = oh * ow;
  for (let i = 0; i < cg; i++) {
    const plane = ((b * a.cIn) + g * cg + i) * h * w;
    for (let ky = 0; ky < kh; ky++)
      for (let kx = 0; kx < kw; kx++) {
        const row = ((i * kh + ky) * kw + kx) * N;
        const off = kx * dw - pw;
        const lo = Math.min(ow, Math.max(0, Math.ceil(-off / sw)));
        const hi = Math.max(lo, Math.min(ow, Math.floor((w - 1 - off) / sw) + 1));
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh - ph + ky * dh;
          if (iy < 0 || iy >= h) continue;
          const dst = plane + iy * w + off, r = row + oy * ow;
          for (let ox = lo; ox < hi; ox++) gx[dst + ox * sw] += gcol[r + ox];
        }
      }
  }
}

/** c[M, N] += a[M, K] · b[K, N]; a at aOff with row stride lda, c at cOff (rows of N) */
function gemmAcc(a: Float32Array, aOff: number, lda: number, b: Float32Array, bOff: number, c: Float32Array, cOff: number, M: number, N: number, K: number): void {
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    const c0 = cOff + m * N, c1 = c0 + N, c2 = c1 + N, c3 = c2 + N;
    const a0 = aOff + m * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
    for (let k = 0; k < K; k++) {
      const w0 = a[a0 + k], w1 = a[a1 + k], w2 = a[a2 + k], w3 = a[a3 + k];
      const r = bOff + k * N;
      for (let n = 0; n < N; n++) {
        const v = b[r + n];
        c[c0 + n] += w0 * v; c[c1 + n] += w1 * v; c[c2 + n] += w2 * v; c[c3 + n] += w3 * v;
      }
    }
  }
  for (; m < M; m++) {
    const c0 = cOff + m * N, a0 = aOff + m * lda;
    for (let k = 0; k < K; k++) {
      const w0 = a[a0 + k], r = bOff + k * N;
      if (w0 !== 0) for (let n = 0; n < N; n++) c[c0 + n] += w0 * b[r + n];
    }
  }
}

const isPointwise = (a: Conv2dArgs) =>
  a.kh === 1 && a.kw === 1 && a.strideH === 1 && a.strideW === 1 && a.padH === 0 && a.padW === 0;

/** x [n, cIn, h, w], w [cOut, cIn/groups, kh, kw], bias [cOut] → [n, cOut, oh, ow] */
export function conv2dForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, a: Conv2dArgs): Float32Array {
  const cg = a.cIn / a.groups, og = a.cOut / a.groups, K = cg * a.kh * a.kw, N = a.oh * a.ow;
  const out = new Float32Array(a.n * a.cOut * N);
  if (bias) for (let b = 0; b < a.n; b++) for (let o = 0; o < a.cOut; o++) out.fill(bias[o], (b * a.cOut + o) * N, (b * a.cOut + o + 1) * N);
  const pointwise = isPointwise(a);
  const col = pointwise ? x : new Float32Array(K * N);
  for (let b = 0; b < a.n; b++)
    for (let g = 0; g < a.groups; g++) {
      if (!pointwise) im2col(x, a, b, g, col);
      const colOff = pointwise ? (b * a.cIn + g * cg) * N : 0;
      gemmAcc(w, g * og * K, K, col, colOff, out, (b * a.cOut + g * og) * N, og, N, K);
    }
  return out;
}

/** gy [n, cOut, oh, ow], w → gx [n, cIn, h, w] */
export function conv2dBackwardInput(gy: Float32Array, w: Float32Array, a: Conv2dArgs): Float32Array {
  const cg = a.cIn / a.groups, og = a.cOut / a.groups, K = cg * a.kh * a.kw, N = a.oh * a.ow;
  const gx = new Float32Array(a.n * a.cIn * a.h * a.w);
  const pointwise = isPointwise(a);
  // W_gᵀ [K, og], so the GEMM streams contiguous rows
  const wt = new Float32Array(a.groups * K * og);
  for (let g = 0; g < a.groups; g++)
    for (let o = 0; o < og; o++)
      for (let k = 0; k < K; k++) wt[(g * K + k) * og + o] = w[(g * og + o) * K + k];
  const gcol = pointwise ? gx : new Float32Array(K * N);
  for (let b = 0; b < a.n; b++)
    for (let g = 0; g < a.groups; g++) {
      const gyOff = (b * a.cOut + g * og) * N;
      if (pointwise) { gemmAcc(wt, g * K * og, og, gy, gyOff, gx, (b * a.cIn + g * cg) * N, K, N, og); continue; }
      gcol.fill(0);
      gemmAcc(wt, g * K * og, og, gy, gyOff, gcol, 0, K, N, og);
      col2im(gcol, a, b, g, gx);
    }
  return gx;
}

/** gy [n, cOut, oh, ow], x [n, cIn, h, w] → gw [cOut, cIn/groups, kh, kw] */
export function conv2dBackwardWeight(gy: Float32Array, x: Float32Array, a: Conv2dArgs): Float32Array {
  const cg = a.cIn / a.groups, og = a.cOut / a.groups, K = cg * a.kh * a.kw, N = a.oh * a.ow;
  const gw = new Float32Array(a.cOut * K);
  const pointwise = isPointwise(a);
  const col = pointwise ? x : new Float32Array(K * N);
  // gW_g[o, k] = Σ_n gy[o, n] · col[k, n]: dot products of contiguous rows, 4 output channels per column row
  const acc = new Float64Array(a.cOut * K);
  for (let b = 0; b < a.n; b++)
    for (let g = 0; g < a.groups; g++) {
      if (!pointwise) im2col(x, a, b, g, col);
      const colOff = pointwise ? (b * a.cIn + g * cg) * N : 0;
      const gyOff = (b * a.cOut + g * og) * N;
      let o = 0;
      for (; o + 4 <= og; o += 4) {
        const g0 = gyOff + o * N, g1 = g0 + N, g2 = g1 + N, g3 = g2 + N;
        for (let k = 0; k < K; k++) {
          const r = colOff + k * N;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          for (let n = 0; n < N; n++) {
            const v = col[r + n];
            s0 += gy[g0 + n] * v; s1 += gy[g1 + n] * v; s2 += gy[g2 + n] * v; s3 += gy[g3 + n] * v;
          }
          const dst = (g * og + o) * K + k;
          acc[dst] += s0; acc[dst + K] += s1; acc[dst + 2 * K] += s2; acc[dst + 3 * K] += s3;
        }
      }
      for (; o < og; o++) {
        const g0 = gyOff + o * N;
        for (let k = 0; k < K; k++) {
          const r = colOff + k * N;
          let s0 = 0;
          for (let n = 0; n < N; n++) s0 += gy[g0 + n] * col[r + n];
          acc[(g * og + o) * K + k] += s0;
        }
      }
    }
  gw.set(acc);
  return gw;
}
