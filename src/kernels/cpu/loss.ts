// Fused softmax cross-entropy on the cpu device (see webgpu/loss.ts for the layout and semantics).

/** out [3, rows]: loss, weight, logsumexp */
export function ceForward(x: Float32Array, t: Int32Array, rows: number, c: number, ignoreIndex: number): Float32Array {
  const out = new Float32Array(3 * rows);
  for (let r = 0; r < rows; r++) {
    const base = r * c;
    let m = x[base];
    for (let j = 1; j < c; j++) m = Math.max(m, x[base + j]);
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(x[base + j] - m);
    const lse = m + Math.log(s);
    const k = t[r];
    const ignored = k === ignoreIndex;
    out[r] = ignored ? 0 : k >= 0 && k < c ? lse - x[base + k] : NaN;
    out[rows + r] = ignored ? 0 : 1;
    out[2 * rows + r] = lse;
  }
  return out;
}

export function ceBackward(
  x: Float32Array,
  t: Int32Array,
  lse: Float32Array,
  g: Float32Array,
  gStride: number,
  divisor: number,
  rows: number,
  c: number,
  ignoreIndex: number,
): Float32Array {
  const dx = new Float32Array(rows * c);
  for (let r = 0; r < rows; r++) {
    const k = t[r];
    if (k === ignoreIndex || k < 0 || k >= c) continue;
    const gr = g[r * gStride] / divisor,
      l = lse[r],
      base = r * c;
    for (let j = 0; j < c; j++) dx[base + j] = (Math.exp(x[base + j] - l) - (j === k ? 1 : 0)) * gr;
  }
  return dx;
}
