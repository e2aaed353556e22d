// Binary losses with PyTorch's semantics: binary cross-entropy on probabilities (logs clamped at -100,
// PyTorch's own backward (x - t) / max((1 - x)x, 1e-12)) and on logits (the stable softplus form).
import { add, clamp, div, expand, log, mul, neg, noGrad, record, softplus, sub } from '../../autograd/index.js';
import { checkValues, requireFloat, sameDevice } from '../../autograd/ops/util.js';
import { ArgumentError, fmtShape, ShapeError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkReduction, reduce, sameShape, type Reduction } from './loss-common.js';

function binaryShapes(op: string, input: Tensor, target: Tensor, weight: Tensor | null) {
  sameDevice(op, input, target, weight);
  requireFloat(input, op);
  requireFloat(target, op);
  if (!sameShape(input.shape, target.shape)) {
    throw new ShapeError(
      `${op}: target shape ${fmtShape(target.shape)} must be the same as input shape ${fmtShape(input.shape)}`,
    );
  }
  if (weight) {
    requireFloat(weight, op);
    expand(weight, input.shape); // throws a ShapeError naming both shapes when it cannot broadcast
  }
}

/**
 * `F.binaryCrossEntropy(input (probabilities), target, { weight, reduction })`:
 * -w (t log x + (1 - t) log(1 - x)), each log clamped to >= -100 as in PyTorch.
 */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  opts: { weight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  const op = 'binaryCrossEntropy';
  const reduction = checkReduction(op, opts.reduction ?? 'mean');
  const weight = opts.weight ?? null;
  binaryShapes(op, input, target, weight);
  const of = `of input ${fmtShape(input.shape)}`;
  checkValues(input, {
    key: `${op}|${of}`,
    lo: 0,
    hi: 1,
    error: (v, i) =>
      new ArgumentError(`${op}: all elements of input should be between 0 and 1; got ${v} at flat position ${i} ${of}`),
  });
  let loss = bceTerms(input, target);
  if (weight) loss = mul(loss, weight);
  return reduce(loss, reduction);
}

/**
 * The unweighted elementwise -(t log x + (1 - t) log(1 - x)), each log clamped to >= -100, with
 * PyTorch's own backward: the composed ops would give NaN at x = 0 or 1 (g / x at x = 0, times a
 * clamp's zero). d/dx = (x - t) / max((1 - x) x, 1e-12) (huge but finite at the ends, as in PyTorch);
 * d/dt = log(1 - x) - log(x) (PyTorch's -logit(x), unclamped). Written with ops, so createGraph works.
 */
function bceTerms(input: Tensor, target: Tensor): Tensor {
  const out = noGrad(() => {
    const logX = clamp(log(input), { min: -100 });
    const log1mX = clamp(log(sub(1, input)), { min: -100 });
    // -(t log x + (1 - t) log(1 - x)) = -(log(1 - x) + t (log x - log(1 - x)))
    return neg(add(log1mX, mul(target, sub(logX, log1mX))));
  });
  return record('BinaryCrossEntropyBackward0', out, [input, target], (g, need) => [
    need[0] ? div(mul(g, sub(input, target)), clamp(mul(sub(1, input), input), { min: 1e-12 })) : null,
    need[1] ? mul(g, sub(log(sub(1, input)), log(input))) : null,
  ]);
}

/**
 * `F.binaryCrossEntropyWithLogits(input (logits), target, { weight, reduction, posWeight })`:
 * -w (pw t log σ(x) + (1 - t) log(1 - σ(x))), computed stably as (1 - t) x + (1 + (pw - 1) t) softplus(-x).
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  opts: { weight?: Tensor | null; reduction?: Reduction; posWeight?: Tensor | null } = {},
): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  const reduction = checkReduction(op, opts.reduction ?? 'mean');
  const weight = opts.weight ?? null,
    posWeight = opts.posWeight ?? null;
  binaryShapes(op, input, target, weight);
  if (posWeight) {
    sameDevice(op, input, posWeight);
    requireFloat(posWeight, op);
    expand(posWeight, input.shape);
  }
  const sp = softplus(neg(input));
  const logWeight = posWeight ? add(mul(sub(posWeight, 1), target), 1) : null;
  let loss = add(mul(sub(1, target), input), logWeight ? mul(logWeight, sp) : sp);
  if (weight) loss = mul(loss, weight);
  return reduce(loss, reduction);
}
