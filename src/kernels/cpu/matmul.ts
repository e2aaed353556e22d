// The cpu device's batched matmul: out[b] = op(A[b]) @ op(B[b]) (+ bias), float32 in and out.
// Both operands are first packed row-contiguous along k (A as [m, k], B as Bᵀ [n, k]; a transposed
// operand is already in that layout, the other is transposed once per batch entry, once in all
// when its batch stride is 0), so the inner loop is a dot product over two contiguous rows. A 4×4
// block of outputs is kept in local variables (8 loads per 16 multiply-adds), and columns are
// walked in panels whose packed Bᵀ fits in L2.
import type { MatmulArgs } from '../backend.js';

/** Packed Bᵀ bytes per column panel: stays in L2 while every row block passes over it. */
const PANEL_BYTES = 512 * 1024;

/** `src` seen as [rows, cols] from `off` → a fresh [cols, rows] copy. */
function transposed(src: Float32Array, off: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  // 32×32 blocks keep both sides in cache
  for (let r0 = 0; r0 < rows; r0 += 32) {
    const r1 = Math.min(rows, r0 + 32);
    for (let c0 = 0; c0 < cols; c0 += 32) {
      const c1 = Math.min(cols, c0 + 32);
      for (let r = r0; r < r1; r++) {
        const s = off + r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = src[s + c];
      }
    }
  }
  return out;
}

/**
 * out[i, j] = Σ_p a[aOff + i·k + p] · b[bOff + j·k + p] (+ bias[j]) into `out` from `outOff`,
 * for i < m, j < n: a is [m, k] and b is Bᵀ [n, k], both row-contiguous.
 */
function gemmNT(
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  bOff: number,
  m: number,
  n: number,
  k: number,
  bias: Float32Array | null,
  out: Float32Array,
  outOff: number,
): void {
  const panel = Math.max(4, Math.floor(PANEL_BYTES / (4 * Math.max(1, k)) / 4) * 4);
  const m4 = m - (m % 4),
    n4 = n - (n % 4);
  for (let j0 = 0; j0 < n; j0 += panel) {
    const j1 = Math.min(n, j0 + panel);
    const j14 = Math.min(j1, n4);
    for (let i = 0; i < m; i += 4) {
      if (i < m4) {
        const a0 = aOff + i * k,
          a1 = a0 + k,
          a2 = a1 + k,
          a3 = a2 + k;
        let j = j0;
        for (; j < j14; j += 4) {
          const b0 = bOff + j * k,
            b1 = b0 + k,
            b2 = b1 + k,
            b3 = b2 + k;
          let c00 = 0,
            c01 = 0,
            c02 = 0,
            c03 = 0,
            c10 = 0,
            c11 = 0,
            c12 = 0,
            c13 = 0;
          let c20 = 0,
            c21 = 0,
            c22 = 0,
            c23 = 0,
            c30 = 0,
            c31 = 0,
            c32 = 0,
            c33 = 0;
          for (let p = 0; p < k; p++) {
            const x0 = a[a0 + p],
              x1 = a[a1 + p],
              x2 = a[a2 + p],
              x3 = a[a3 + p];
            const y0 = b[b0 + p],
              y1 = b[b1 + p],
              y2 = b[b2 + p],
              y3 = b[b3 + p];
            c00 += x0 * y0;
            c01 += x0 * y1;
            c02 += x0 * y2;
            c03 += x0 * y3;
            c10 += x1 * y0;
            c11 += x1 * y1;
            c12 += x1 * y2;
            c13 += x1 * y3;
            c20 += x2 * y0;
            c21 += x2 * y1;
            c22 += x2 * y2;
            c23 += x2 * y3;
            c30 += x3 * y0;
            c31 += x3 * y1;
            c32 += x3 * y2;
            c33 += x3 * y3;
          }
          const bj0 = bias ? bias[j] : 0,
            bj1 = bias ? bias[j + 1] : 0,
            bj2 = bias ? bias[j + 2] : 0,
            bj3 = bias ? bias[j + 3] : 0;
          let o = outOff + i * n + j;
          out[o] = c00 + bj0;
          out[o + 1] = c01 + bj1;
          out[o + 2] = c02 + bj2;
          out[o + 3] = c03 + bj3;
          o += n;
          out[o] = c10 + bj0;
          out[o + 1] = c11 + bj1;
          out[o + 2] = c12 + bj2;
          out[o + 3] = c13 + bj3;
          o += n;
          out[o] = c20 + bj0;
          out[o + 1] = c21 + bj1;
          out[o + 2] = c22 + bj2;
          out[o + 3] = c23 + bj3;
          o += n;
          out[o] = c30 + bj0;
          out[o + 1] = c31 + bj1;
          out[o + 2] = c32 + bj2;
          out[o + 3] = c33 + bj3;
        }
        // columns past the last block of 4
        for (; j < j1; j++) {
          const b0 = bOff + j * k;
          let c0 = 0,
            c1 = 0,
            c2 = 0,
            c3 = 0;
          for (let p = 0; p < k; p++) {
            const y = b[b0 + p];
            c0 += a[a0 + p] * y;
            c1 += a[a1 + p] * y;
            c2 += a[a2 + p] * y;
            c3 += a[a3 + p] * y;
          }
          const bj = bias ? bias[j] : 0;
          const o = outOff + i * n + j;
          out[o] = c0 + bj;
          out[o + n] = c1 + bj;
          out[o + 2 * n] = c2 + bj;
          out[o + 3 * n] = c3 + bj;
        }
      } else {
        // rows past the last block of 4
        for (let r = i; r < m; r++) {
          const a0 = aOff + r * k;
          for (let j = j0; j < j1; j++) {
            const b0 = bOff + j * k;
            let c = 0;
            for (let p = 0; p < k; p++) c += a[a0 + p] * b[b0 + p];
            out[outOff + r * n + j] = c + (bias ? bias[j] : 0);
          }
        }
      }
    }
  }
}

/**
 * The Backend.matmul contract on host arrays: `a` holds A from `aOff` ([batch, m, k], or
 * [batch, k, m] when transA; batch entries `strideA` apart, 0 = one matrix for all), likewise `b`.
 */
export function matmulHost(
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  bOff: number,
  args: MatmulArgs,
  bias: Float32Array | null,
): Float32Array {
  const { batch, m, n, k } = args;
  const out = new Float32Array(batch * m * n);
  if (m * n === 0) return out;
  // packed operands, reused across the batch when the stride is 0
  let aPacked: Float32Array | null = null,
    bPacked: Float32Array | null = null;
  for (let bt = 0; bt < batch; bt++) {
    const ao = aOff + bt * args.strideA,
      bo = bOff + bt * args.strideB;
    let A = a,
      aBase = ao;
    if (args.transA) {
      if (!aPacked || args.strideA !== 0) aPacked = transposed(a, ao, k, m);
      A = aPacked;
      aBase = 0;
    }
    let B = b,
      bBase = bo;
    if (!args.transB) {
      if (!bPacked || args.strideB !== 0) bPacked = transposed(b, bo, k, n);
      B = bPacked;
      bBase = 0;
    }
    gemmNT(A, aBase, B, bBase, m, n, k, bias, out, bt * m * n);
  }
  return out;
}
