// Elementwise ops with broadcasting. Each is defined once: forward through the backend, backward as
// other ops from this folder (so double backward works).
import type { BinaryOp, DType, UnaryOp } from '../../kernels/backend.js';
import { full } from '../../tensor/creation.js';
import { broadcastShapes } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { isGradEnabled } from '../grad-mode.js';
import { record } from '../node.js';
import { sumTo } from './broadcast.js';
import {
  broadcastView,
  castRaw,
  promote,
  requireFloat,
  resultShape,
  sameDevice,
  wrap,
  type TensorOrScalar,
} from './util.js';

// ---------- raw kernels (no autograd) ----------
function unaryRaw(op: UnaryOp, x: Tensor, p0 = 0, p1 = 0, outDtype: DType = x.dtype): Tensor {
  sameDevice(op, x);
  return wrap(x.backend.unary(op, x, outDtype, p0, p1), x.shape);
}
function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor, boolOut = false): Tensor {
  sameDevice(op, a, b);
  const shape = resultShape(a, b, op);
  const promoted = promote(a.dtype, b.dtype);
  const a2 = castRaw(a, promoted),
    b2 = castRaw(b, promoted);
  const s = a.backend.binary(
    op,
    broadcastView(a2, shape),
    broadcastView(b2, shape),
    shape,
    boolOut ? 'bool' : promoted,
  );
  if (a2 !== a) a2.dispose();
  if (b2 !== b) b2.dispose();
  return wrap(s, shape);
}

/**
 * An op's output used in its own derivative (exp, tanh, ...). In a plain backward (grad mode off)
 * the saved output is a constant and is used as is. Under createGraph the derivative must itself
 * be differentiable in x, so the output is recomputed as a recorded op of x: one extra kernel, only
 * for higher-order gradients, and no graph cycle through the saved output.
 */
function forDerivative(out: Tensor, recompute: () => Tensor): Tensor {
  return isGradEnabled() ? recompute() : out;
}

// ---------- arithmetic ----------
export function add(a: TensorOrScalar, b: TensorOrScalar, opts: { alpha?: number } = {}): Tensor {
  if (typeof a === 'number') [a, b] = [b as Tensor, a];
  if (typeof b === 'number') return affine(a, 1, b * (opts.alpha ?? 1));
  if (opts.alpha !== undefined && opts.alpha !== 1) b = mul(b, opts.alpha);
  const x = a,
    y = b;
  return record('AddBackward0', binaryRaw('add', x, y), [x, y], (g, n) => [
    n[0] ? sumTo(g, x.shape) : null,
    n[1] ? sumTo(g, y.shape) : null,
  ]);
}
export function sub(a: TensorOrScalar, b: TensorOrScalar, opts: { alpha?: number } = {}): Tensor {
  if (typeof a === 'number') return affine(b as Tensor, -(opts.alpha ?? 1), a);
  if (typeof b === 'number') return affine(a, 1, -b * (opts.alpha ?? 1));
  if (opts.alpha !== undefined && opts.alpha !== 1) b = mul(b, opts.alpha);
  const x = a,
    y = b;
  return record('SubBackward0', binaryRaw('sub', x, y), [x, y], (g, n) => [
    n[0] ? sumTo(g, x.shape) : null,
    n[1] ? sumTo(neg(g), y.shape) : null,
  ]);
}
export function mul(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (typeof a === 'number') [a, b] = [b as Tensor, a];
  if (typeof b === 'number') return affine(a, b, 0);
  const x = a,
    y = b;
  return record('MulBackward0', binaryRaw('mul', x, y), [x, y], (g, n) => [
    n[0] ? sumTo(mul(g, y), x.shape) : null,
    n[1] ? sumTo(mul(g, x), y.shape) : null,
  ]);
}
export function div(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (typeof a === 'number') {
    const y = b as Tensor,
      c = a;
    const yf = castRaw(y, 'float32');
    const out = unaryRaw('rdiv_s', yf, c, 0, 'float32');
    return record('DivBackward0', out, [yf], (g) => [neg(div(mul(g, c), mul(yf, yf)))]);
  }
  if (typeof b === 'number') return a.dtype === 'float32' ? affine(a, 1 / b, 0) : div(castRaw(a, 'float32'), b);
  // true division, as in PyTorch: integer operands give a float result
  const x = a.dtype === 'float32' ? a : castRaw(a, 'float32');
  const y = b.dtype === 'float32' ? b : castRaw(b, 'float32');
  return record('DivBackward0', binaryRaw('div', x, y), [x, y], (g, n) => [
    n[0] ? sumTo(div(g, y), x.shape) : null,
    n[1] ? sumTo(neg(div(mul(g, x), mul(y, y))), y.shape) : null,
  ]);
}
/** x * scale + shift in one kernel (scalar add/sub/mul/div all land here) */
export function affine(x: Tensor, scale: number, shift: number): Tensor {
  const outDtype =
    x.dtype === 'float32' || !Number.isInteger(scale) || !Number.isInteger(shift)
      ? 'float32'
      : x.dtype === 'bool'
        ? 'int32'
        : x.dtype;
  return record('AffineBackward0', unaryRaw('affine', x, scale, shift, outDtype), [x], (g) => [affine(g, scale, 0)]);
}
export function neg(x: Tensor): Tensor {
  return record('NegBackward0', unaryRaw('neg', x), [x], (g) => [neg(g)]);
}
export function pow(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (typeof a === 'number') {
    const y = b as Tensor,
      c = a;
    const out = unaryRaw('rpow_s', y, c, 0, 'float32');
    return record('PowBackward1', out, [y], (g) => [
      mul(
        g,
        mul(
          forDerivative(out, () => pow(c, y)),
          Math.log(c),
        ),
      ),
    ]);
  }
  if (typeof b === 'number') {
    const x = a,
      p = b;
    if (p === 1) return affine(x, 1, 0);
    return record('PowBackward0', unaryRaw('pow_s', x, p, 0, 'float32'), [x], (g) => [
      p === 0 ? mul(g, 0) : mul(g, mul(pow(x, p - 1), p)),
    ]);
  }
  const x = a,
    y = b;
  const out = binaryRaw('pow', x, y);
  return record('PowBackward1', out, [x, y], (g, n) => [
    // y x^(y-1), taken as 0 where y == 0 (x^-1 is inf at x == 0; PyTorch's convention)
    n[0] ? sumTo(where(eq(y, 0), 0, mul(g, mul(y, pow(x, sub(y, 1))))), x.shape) : null,
    // d/dy x^y = x^y log x, taken as 0 where x == 0 and y >= 0 (PyTorch's convention)
    n[1]
      ? sumTo(
          where(
            logicalAnd(eq(x, 0), ge(y, 0)),
            0,
            mul(
              g,
              mul(
                forDerivative(out, () => pow(x, y)),
                log(x),
              ),
            ),
          ),
          y.shape,
        )
      : null,
  ]);
}
export function maximum(a: Tensor, b: Tensor): Tensor {
  return minmax('maximum', a, b);
}
export function minimum(a: Tensor, b: Tensor): Tensor {
  return minmax('minimum', a, b);
}
function minmax(op: 'maximum' | 'minimum', a: Tensor, b: Tensor): Tensor {
  const loses = op === 'maximum' ? lt : gt;
  // ties split the gradient in half, as PyTorch does; it zeroes only the losing side, so with a NaN
  // operand (no order) both sides get the gradient
  const part = (g: Tensor, x: Tensor, y: Tensor) => where(eq(x, y), mul(g, 0.5), where(loses(x, y), 0, g));
  return record(op === 'maximum' ? 'MaximumBackward0' : 'MinimumBackward0', binaryRaw(op, a, b), [a, b], (g, n) => [
    n[0] ? sumTo(part(g, a, b), a.shape) : null,
    n[1] ? sumTo(part(g, b, a), b.shape) : null,
  ]);
}

// ---------- unary math ----------
type Deriv = (g: Tensor, x: Tensor, y: Tensor) => Tensor;
function unaryOp(op: UnaryOp, name: string, deriv: Deriv, p0 = 0, p1 = 0) {
  const f = (x: Tensor): Tensor => {
    const xf = x.dtype === 'float32' ? x : castRaw(x, 'float32');
    const y = unaryRaw(op, xf, p0, p1, 'float32');
    return record(name, y, [xf], (g) => [
      deriv(
        g,
        xf,
        forDerivative(y, () => f(xf)),
      ),
    ]);
  };
  return f;
}
export const exp = unaryOp('exp', 'ExpBackward0', (g, _x, y) => mul(g, y));
export const log = unaryOp('log', 'LogBackward0', (g, x) => div(g, x));
export const sqrt = unaryOp('sqrt', 'SqrtBackward0', (g, _x, y) => div(g, mul(y, 2)));
export const rsqrt = unaryOp('rsqrt', 'RsqrtBackward0', (g, _x, y) => mul(g, mul(pow(y, 3), -0.5)));
export const sin = unaryOp('sin', 'SinBackward0', (g, x) => mul(g, cos(x)));
export const cos = unaryOp('cos', 'CosBackward0', (g, x) => mul(g, neg(sin(x))));
export const tanh = unaryOp('tanh', 'TanhBackward0', (g, _x, y) => mul(g, affine(mul(y, y), -1, 1)));
export const sigmoid = unaryOp('sigmoid', 'SigmoidBackward0', (g, _x, y) => mul(g, mul(y, affine(y, -1, 1))));
export const reciprocal = unaryOp('reciprocal', 'ReciprocalBackward0', (g, _x, y) => neg(mul(g, mul(y, y))));
export const erf = unaryOp('erf', 'ErfBackward0', (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))));
export const silu = unaryOp('silu', 'SiluBackward0', (g, x) => {
  const s = sigmoid(x);
  return mul(g, mul(s, add(mul(x, affine(s, -1, 1)), 1)));
});
export function abs(x: Tensor): Tensor {
  return record('AbsBackward0', unaryRaw('abs', x), [x], (g) => [mul(g, sign(x))]);
}
export function sign(x: Tensor): Tensor {
  return record('SignBackward0', unaryRaw('sign', x), [x], (g) => [mul(g, 0)]);
}
export function relu(x: Tensor): Tensor {
  const y = unaryRaw('relu', x);
  return record('ReluBackward0', y, [x], (g) => [reluBackward(g, y.detach())]);
}
/** g where y > 0, else 0; one kernel. Its own backward is the same mask. */
export function reluBackward(g: Tensor, y: Tensor): Tensor {
  return record('ThresholdBackwardBackward0', binaryRaw('relu_bw', g, y), [g, y], (gg, n) => [
    n[0] ? reluBackward(gg, y) : null,
    null,
  ]);
}
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return record('LeakyReluBackward0', unaryRaw('leaky_relu', x, negativeSlope), [x], (g) => [
    where(gt(x, 0), g, mul(g, negativeSlope)),
  ]);
}
export function elu(x: Tensor, alpha = 1): Tensor {
  const y = unaryRaw('elu', x, alpha);
  return record('EluBackward0', y, [x], (g) => [
    where(
      gt(x, 0),
      g,
      mul(
        g,
        add(
          forDerivative(y, () => elu(x, alpha)),
          alpha,
        ),
      ),
    ),
  ]);
}
/** GELU; `approximate: 'tanh'` for the tanh form */
export function gelu(x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  if (opts.approximate === 'tanh') {
    const k = Math.sqrt(2 / Math.PI);
    return record('GeluBackward0', unaryRaw('gelu_tanh', x), [x], (g) => {
      const x2 = mul(x, x);
      const inner = mul(add(x, mul(mul(x2, x), 0.044715)), k);
      const t = tanh(inner);
      const dinner = mul(add(mul(x2, 3 * 0.044715), 1), k);
      // 0.5 (1 + t) + 0.5 x (1 - t²) dinner
      const d = add(mul(affine(t, 0.5, 0.5), 1), mul(mul(mul(x, affine(mul(t, t), -1, 1)), dinner), 0.5));
      return [mul(g, d)];
    });
  }
  return record('GeluBackward0', unaryRaw('gelu', x), [x], (g) => {
    const cdf = affine(erf(mul(x, Math.SQRT1_2)), 0.5, 0.5);
    const pdf = mul(exp(mul(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return [mul(g, add(cdf, mul(x, pdf)))];
  });
}
export function softplus(x: Tensor, opts: { beta?: number; threshold?: number } = {}): Tensor {
  const beta = opts.beta ?? 1,
    threshold = opts.threshold ?? 20;
  return record('SoftplusBackward0', unaryRaw('softplus', x, beta, threshold), [x], (g) => [
    where(gt(mul(x, beta), threshold), g, mul(g, sigmoid(mul(x, beta)))),
  ]);
}
export function clamp(x: Tensor, opts: { min?: number | null; max?: number | null } = {}): Tensor {
  const lo = opts.min ?? -Infinity,
    hi = opts.max ?? Infinity;
  const y = unaryRaw('clamp', x, lo, hi);
  return record('ClampBackward1', y, [x], (g) => [where(logicalAnd(ge(x, lo), le(x, hi)), g, 0)]);
}
/** clamp to [minVal, maxVal]; unlike clamp, no gradient reaches inputs that sit on a bound (PyTorch) */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  const y = unaryRaw('clamp', x, minVal, maxVal);
  return record('HardtanhBackward0', y, [x], (g) => [where(logicalAnd(gt(x, minVal), lt(x, maxVal)), g, 0)]);
}

// ---------- comparisons and logic (not differentiable; bool results) ----------
type Cmp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
function compare(op: Cmp) {
  return (a: Tensor, b: TensorOrScalar): Tensor => {
    if (typeof b === 'number') return unaryRaw(`${op}_s` as UnaryOp, a, b, 0, 'bool');
    return binaryRaw(op, a, b, true);
  };
}
export const eq = compare('eq');
export const ne = compare('ne');
export const lt = compare('lt');
export const le = compare('le');
export const gt = compare('gt');
export const ge = compare('ge');
export const logicalAnd = (a: Tensor, b: Tensor) => binaryRaw('and', a, b, true);
export const logicalOr = (a: Tensor, b: Tensor) => binaryRaw('or', a, b, true);
export const logicalNot = (a: Tensor) => unaryRaw('not', a, 0, 0, 'bool');

/** `where(cond, a, b)`; scalars broadcast. Gradients flow to a where cond holds, else to b. */
export function where(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const ref = typeof a !== 'number' ? a : typeof b !== 'number' ? b : null;
  const dev = ref ? ref.device : cond.device;
  const x = typeof a === 'number' ? full([], a, { device: dev, dtype: ref?.dtype ?? 'float32' }) : a;
  const y = typeof b === 'number' ? full([], b, { device: dev, dtype: x.dtype }) : b;
  sameDevice('where', cond, x, y);
  const shape = broadcastShapes(broadcastShapes(cond.shape, x.shape, 'where'), y.shape, 'where');
  const promoted = promote(x.dtype, y.dtype);
  const x2 = castRaw(x, promoted),
    y2 = castRaw(y, promoted);
  const out = wrap(
    cond.backend.where(broadcastView(cond, shape), broadcastView(x2, shape), broadcastView(y2, shape), shape, promoted),
    shape,
  );
  return record('WhereBackward0', out, [typeof a === 'number' ? null : x, typeof b === 'number' ? null : y], (g, n) => [
    n[0] ? sumTo(where(cond, g, 0), x.shape) : null,
    n[1] ? sumTo(where(cond, 0, g), y.shape) : null,
  ]);
}

/** dtype conversion; float → float keeps the graph */
export function toDtype(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  if (dtype === 'float32' && x.requiresGrad) requireFloat(x, 'toDtype');
  return castRaw(x, dtype);
}
export const square = (x: Tensor) => mul(x, x);
