// Scalar math shared by the CPU kernels; the WGSL kernels implement the same formulas.

/** erf with |error| < 1.2e-7 (Numerical Recipes erfc, Chebyshev fit), enough for float32 GELU. */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

export function unaryFn(op: string, p0: number, p1: number): (x: number) => number {
  switch (op) {
    case 'neg': return (x) => -x;
    case 'abs': return Math.abs;
    case 'sign': return (x) => (x > 0 ? 1 : x < 0 ? -1 : 0);
    case 'exp': return Math.exp;
    case 'log': return Math.log;
    case 'sqrt': return Math.sqrt;
    case 'rsqrt': return (x) => 1 / Math.sqrt(x);
    case 'sin': return Math.sin;
    case 'cos': return Math.cos;
    case 'tanh': return Math.tanh;
    case 'sigmoid': return (x) => 1 / (1 + Math.exp(-x));
    // PyTorch's clamp_min(x, 0): NaN stays NaN, -0 stays -0
    case 'relu': return (x) => (x < 0 ? 0 : x);
    case 'reciprocal': return (x) => 1 / x;
    case 'erf': return erf;
    case 'gelu': return (x) => 0.5 * x * (1 + erf(x * Math.SQRT1_2));
    case 'gelu_tanh':
      return (x) => 0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    case 'silu': return (x) => x / (1 + Math.exp(-x));
    case 'not': return (x) => +(x === 0); // NaN is true, so not(NaN) is false
    case 'cast': return (x) => x;
    case 'affine': return (x) => x * p0 + p1;
    case 'pow_s': return (x) => Math.pow(x, p0);
    case 'rpow_s': return (x) => Math.pow(p0, x);
    case 'rdiv_s': return (x) => p0 / x;
    case 'clamp': return (x) => Math.min(Math.max(x, p0), p1);
    case 'leaky_relu': return (x) => (x > 0 ? x : p0 * x);
    case 'elu': return (x) => (x > 0 ? x : p0 * Math.expm1(x));
    case 'softplus': return (x) => (x * p0 > p1 ? x : Math.log1p(Math.exp(x * p0)) / p0);
    case 'eq_s': return (x) => +(x === p0);
    case 'ne_s': return (x) => +(x !== p0);
    case 'lt_s': return (x) => +(x < p0);
    case 'le_s': return (x) => +(x <= p0);
    case 'gt_s': return (x) => +(x > p0);
    case 'ge_s': return (x) => +(x >= p0);
  }
  throw new Error(`cpu: unknown unary op ${op}`);
}

export function binaryFn(op: string, intDiv: boolean): (a: number, b: number) => number {
  switch (op) {
    case 'add': return (a, b) => a + b;
    case 'sub': return (a, b) => a - b;
    case 'mul': return (a, b) => a * b;
    case 'div': return intDiv ? (a, b) => Math.trunc(a / b) : (a, b) => a / b;
    case 'pow': return Math.pow;
    case 'maximum': return (a, b) => (a !== a || b !== b ? NaN : Math.max(a, b));
    case 'minimum': return (a, b) => (a !== a || b !== b ? NaN : Math.min(a, b));
    case 'eq': return (a, b) => +(a === b);
    case 'ne': return (a, b) => +(a !== b);
    case 'lt': return (a, b) => +(a < b);
    case 'le': return (a, b) => +(a <= b);
    case 'gt': return (a, b) => +(a > b);
    case 'ge': return (a, b) => +(a >= b);
    case 'and': return (a, b) => +(a !== 0 && b !== 0);
    case 'or': return (a, b) => +(a !== 0 || b !== 0);
    // PyTorch's threshold_backward: y <= 0 ? 0 : g, so a NaN input passes its gradient
    case 'relu_bw': return (a, b) => (b <= 0 ? 0 : a);
  }
  throw new Error(`cpu: unknown binary op ${op}`);
}
