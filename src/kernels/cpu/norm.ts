// Batch norm on the CPU device: per-channel statistics and the fused normalise / backward passes
// over a dense [outer, c, inner] input. Sums are accumulated in float64 (the inputs are float32).
import type { NormArgs } from '../backend.js';

type F32 = Float32Array;

/** out [2c]: per-channel mean, then biased variance (two passes: the mean first, then squared deviations) */
export function bnStats(x: F32, a: NormArgs, running: { mean: F32; var: F32; momentum: number } | null): F32 {
  const { outer, c, inner } = a;
  const m = outer * inner;
  const out = new Float32Array(2 * c);
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * c + ch) * inner;
      for (let r = 0; r < inner; r++) s += x[base + r];
    }
    const mean = s / m;
    let q = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * c + ch) * inner;
      for (let r = 0; r < inner; r++) {
        const d = x[base + r] - mean;
        q += d * d;
      }
    }
    out[ch] = mean;
    out[c + ch] = q / m;
    if (running) {
      const k = running.momentum;
      running.mean[ch] = (1 - k) * running.mean[ch] + k * out[ch];
      running.var[ch] = (1 - k) * running.var[ch] + (k * q) / (m - 1);
    }
  }
  return out;
}

const rstdOf = (v: number, eps: number) => 1 / Math.sqrt(v + eps);

/** y = (x - mean) · w · rstd + b, then (the epilogue) + residual, then max(·, 0) */
export function bnForward(
  x: F32,
  mean: F32,
  vr: F32,
  w: F32 | null,
  b: F32 | null,
  a: NormArgs,
  residual: F32 | null = null,
  relu = false,
): F32 {
  const { outer, c, inner, eps } = a;
  const y = new Float32Array(outer * c * inner);
  for (let ch = 0; ch < c; ch++) {
    const mu = mean[ch],
      scale = rstdOf(vr[ch], eps) * (w ? w[ch] : 1),
      shift = b ? b[ch] : 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * c + ch) * inner;
      for (let r = 0; r < inner; r++) y[base + r] = (x[base + r] - mu) * scale + shift;
      if (residual) for (let r = 0; r < inner; r++) y[base + r] += residual[base + r];
      // PyTorch's clamp_min(y, 0): NaN and -0 stay
      if (relu) for (let r = 0; r < inner; r++) if (y[base + r] < 0) y[base + r] = 0;
    }
  }
  return y;
}

/** out [2c]: Σ g, then Σ g · x̂ */
export function bnBackwardSums(g: F32, x: F32, mean: F32, vr: F32, a: NormArgs): F32 {
  const { outer, c, inner, eps } = a;
  const out = new Float32Array(2 * c);
  for (let ch = 0; ch < c; ch++) {
    const mu = mean[ch];
    let sg = 0,
      sgx = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * c + ch) * inner;
      for (let r = 0; r < inner; r++) {
        const gv = g[base + r];
        sg += gv;
        sgx += gv * (x[base + r] - mu);
      }
    }
    out[ch] = sg;
    out[c + ch] = sgx * rstdOf(vr[ch], eps);
  }
  return out;
}

export function bnBackwardInput(
  g: F32,
  x: F32 | null,
  mean: F32 | null,
  vr: F32,
  w: F32 | null,
  sums: F32 | null,
  a: NormArgs,
): F32 {
  const { outer, c, inner, eps } = a;
  const m = outer * inner;
  const dx = new Float32Array(outer * c * inner);
  for (let ch = 0; ch < c; ch++) {
    const rstd = rstdOf(vr[ch], eps),
      scale = rstd * (w ? w[ch] : 1);
    if (sums && x && mean) {
      const mu = mean[ch],
        gMean = sums[ch] / m,
        k = (sums[c + ch] / m) * rstd;
      for (let o = 0; o < outer; o++) {
        const base = (o * c + ch) * inner;
        for (let r = 0; r < inner; r++) dx[base + r] = (g[base + r] - gMean - (x[base + r] - mu) * k) * scale;
      }
    } else {
      for (let o = 0; o < outer; o++) {
        const base = (o * c + ch) * inner;
        for (let r = 0; r < inner; r++) dx[base + r] = g[base + r] * scale;
      }
    }
  }
  return dx;
}
