// Classification losses (nll, cross-entropy) with PyTorch's semantics and argument names (keyword arguments as a trailing options
// object). Each is composed from differentiable ops (logSoftmax, gather, where, ...), so gradients,
// double backward and frozen-input skipping come from the op set.
import {
  add,
  div,
  eq,
  expand,
  flatten,
  ge,
  isGradEnabled,
  logicalAnd,
  logicalNot,
  logSoftmax,
  lt,
  mul,
  ne,
  neg,
  record,
  reshape,
  softmax,
  squeeze,
  sub,
  sum,
  toDtype,
  unsqueeze,
  where,
} from '../../autograd/index.js';
import { gatherUnchecked, indexSelectUnchecked } from '../../autograd/ops/indexing.js';
import { checkValues, dense, requireFloat, sameDevice, wrap } from '../../autograd/ops/util.js';
import { arange } from '../../tensor/creation.js';
import { ArgumentError, DTypeError, fmtShape, IndexError, ShapeError } from '../../errors.js';
import type { ValueCheck } from '../../kernels/backend.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkReduction, sameShape, type Reduction } from './loss-common.js';

export type { Reduction } from './loss-common.js';

// ---------- classification ----------

export interface NllLossOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
}
export interface CrossEntropyOptions extends NllLossOptions {
  labelSmoothing?: number;
}

/** The class dim, the expected target shape, and checks shared by nllLoss and crossEntropy. */
function classLayout(op: string, input: Tensor, target: Tensor, weight: Tensor | null) {
  sameDevice(op, input, target, weight);
  requireFloat(input, op);
  if (input.ndim === 0)
    throw new ShapeError(
      `${op}: input must have at least 1 dimension ([C] or [N, C, d1, ...]), got ${fmtShape(input.shape)}`,
    );
  const cdim = input.ndim === 1 ? 0 : 1;
  const C = input.shape[cdim];
  if (weight) {
    requireFloat(weight, op);
    if (weight.ndim !== 1 || weight.shape[0] !== C)
      throw new ShapeError(
        `${op}: weight must be a 1-D tensor of ${C} class weights (input ${fmtShape(input.shape)}), got ${fmtShape(weight.shape)}`,
      );
  }
  const targetShape = input.shape.filter((_, i) => i !== cdim);
  return { cdim, C, targetShape };
}

/**
 * Per-element `-w[t] * input[t]` picked along the class dim, the per-element weight (0 where the
 * target is ignored), and the not-ignored mask. Targets outside [0, C) are an IndexError (on webgpu
 * at the next readback: see checkValues).
 */
function pickClass(
  op: string,
  input: Tensor,
  target: Tensor,
  weight: Tensor | null,
  ignoreIndex: number,
  cdim: number,
  C: number,
) {
  checkTargetRange(op, input, target, ignoreIndex, C);
  const keep = logicalNot(eq(target, ignoreIndex));
  const safe = where(keep, target, 0); // ignored targets pick class 0, then weigh 0
  // safe is in [0, C) once the check above passes (webgpu: it throws at the readback), so the picks skip a second check
  const picked = squeeze(gatherUnchecked(input, cdim, unsqueeze(safe, cdim)), cdim);
  const wt = weight
    ? where(keep, reshape(indexSelectUnchecked(weight, 0, flatten(safe)), target.shape), 0)
    : toDtype(keep, 'float32');
  return { loss: neg(mul(picked, wt)), wt, keep };
}

/** Class targets within [0, C) or equal to ignoreIndex, else an IndexError naming the value, its position and the shapes. */
function targetCheck(op: string, input: Tensor, target: Tensor, ignoreIndex: number, C: number): ValueCheck {
  const of = `of target ${fmtShape(target.shape)}, input ${fmtShape(input.shape)}`;
  return {
    key: `${op}|${C}|${of}`,
    lo: 0,
    hi: C - 1,
    except: ignoreIndex,
    error: (v, i) => new IndexError(`${op}: target ${v} is out of bounds for ${C} classes (flat position ${i} ${of})`),
  };
}
function checkTargetRange(op: string, input: Tensor, target: Tensor, ignoreIndex: number, C: number) {
  checkValues(target, targetCheck(op, input, target, ignoreIndex, C));
}

function checkTarget(op: string, target: Tensor, targetShape: readonly number[], input: Tensor) {
  if (target.dtype !== 'int32') {
    throw new DTypeError(
      `${op}: expected int32 class indices of shape ${fmtShape(targetShape)} for input ${fmtShape(input.shape)}, got a ${target.dtype} target of shape ${fmtShape(target.shape)}`,
    );
  }
  if (!sameShape(target.shape, targetShape)) {
    throw new ShapeError(
      `${op}: expected target of shape ${fmtShape(targetShape)} for input ${fmtShape(input.shape)}, got ${fmtShape(target.shape)}`,
    );
  }
}

/**
 * `F.nllLoss(input [N, C, d...] | [C] log-probabilities, target int32 [N, d...] | [], { weight,
 * ignoreIndex = -100, reduction = 'mean' })`; 'mean' divides by the summed weights of the targets
 * that are not ignored.
 */
export function nllLoss(input: Tensor, target: Tensor, opts: NllLossOptions = {}): Tensor {
  const op = 'nllLoss';
  const reduction = checkReduction(op, opts.reduction ?? 'mean');
  const weight = opts.weight ?? null;
  const { cdim, C, targetShape } = classLayout(op, input, target, weight);
  checkTarget(op, target, targetShape, input);
  const { loss, wt } = pickClass(op, input, target, weight, opts.ignoreIndex ?? -100, cdim, C);
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return sum(loss);
  return divByWeight(sum(loss), sum(wt));
}

/**
 * The 'mean' of nllLoss/crossEntropy: total / (summed weights of the kept targets). When every target is
 * ignored that is 0 / 0: the value is NaN, as in PyTorch, and so is its gradient by the quotient rule
 * (g / 0 times the zero weights). PyTorch's gradient is 0 there, so the division's gradient uses a
 * divisor of 1 where the sum is 0 (the terms it reaches all weigh 0 then).
 */
function divByWeight(total: Tensor, weightSum: Tensor): Tensor {
  const none = eq(weightSum, 0);
  return where(none, NaN, div(total, where(none, 1, weightSum)));
}

/**
 * `F.crossEntropy(input [N, C, d...] | [C] logits, target, { weight, ignoreIndex = -100, reduction =
 * 'mean', labelSmoothing = 0 })`. `target` is int32 class indices [N, d...] (or [] for an
 * unbatched [C] input), or float32 class probabilities of the input's shape.
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  const reduction = checkReduction(op, opts.reduction ?? 'mean');
  const weight = opts.weight ?? null;
  const ls = opts.labelSmoothing ?? 0;
  if (!(ls >= 0 && ls <= 1)) throw new ArgumentError(`${op}: labelSmoothing must be between 0.0 and 1.0, got ${ls}`);
  const { cdim, C, targetShape } = classLayout(op, input, target, weight);
  // the common case (logits [N, C] or [C], class indices, no weights or smoothing) on fused kernels
  if (target.dtype === 'int32' && !weight && ls === 0 && input.ndim <= 2 && C > 0) {
    checkTarget(op, target, targetShape, input);
    return fusedCrossEntropy(input, target, opts.ignoreIndex ?? -100, reduction, C, targetShape);
  }
  const logp = logSoftmax(input, cdim);
  // the class weights broadcast along the class dim: [1, C, 1, ...]
  const wb = weight
    ? reshape(
        weight,
        input.shape.map((_s, i) => (i === cdim ? C : 1)),
      )
    : null;

  if (target.dtype === 'float32') {
    if (!sameShape(target.shape, input.shape)) {
      throw new ShapeError(
        `${op}: class-probability targets must have the input's shape ${fmtShape(input.shape)}, got ${fmtShape(target.shape)} (class indices would be int32 of shape ${fmtShape(targetShape)})`,
      );
    }
    const t = ls > 0 ? add(mul(target, 1 - ls), ls / C) : target;
    const terms = mul(logp, t);
    const per = neg(sum(wb ? mul(terms, wb) : terms, cdim));
    if (reduction === 'none') return per;
    if (reduction === 'sum') return sum(per);
    return div(sum(per), C ? input.numel() / C : 0);
  }

  checkTarget(op, target, targetShape, input);
  const { loss, wt, keep } = pickClass(op, logp, target, weight, opts.ignoreIndex ?? -100, cdim, C);
  const nll = reduction === 'none' ? loss : reduction === 'sum' ? sum(loss) : divByWeight(sum(loss), sum(wt));
  if (ls === 0) return nll;
  // label smoothing: the loss against the uniform distribution, mixed in with weight ls
  const smooth = where(keep, neg(sum(wb ? mul(logp, wb) : logp, cdim)), 0);
  const smoothRed =
    reduction === 'none'
      ? smooth
      : reduction === 'sum'
        ? sum(smooth)
        : divByWeight(sum(smooth), weight ? sum(wt) : sum(toDtype(keep, 'float32')));
  return add(mul(nll, 1 - ls), mul(smoothRed, ls / C));
}

/**
 * Cross-entropy of logits [rows, C] (or [C]) on the fused kernels: one pass per row for the loss
 * (max, log-sum-exp, the target's logit), the mean or sum from the per-row values, and one pass per
 * logit for the gradient, softmax − one-hot. Ignored targets weigh 0 and the mean divides by the
 * count of the rest, as nllLoss does. Under createGraph the gradient is built from differentiable
 * ops (softmax) instead, so second derivatives are exact too.
 */
function fusedCrossEntropy(
  input: Tensor,
  target: Tensor,
  ignoreIndex: number,
  reduction: Reduction,
  C: number,
  targetShape: readonly number[],
): Tensor {
  const rows = input.numel() / C;
  const be = input.backend;
  const xd = dense(input),
    td = dense(target);
  // the kernel checks the targets itself (one dispatch fewer than checkTargetRange)
  const perRow = wrap(
    be.crossEntropyForward(xd, td, rows, C, ignoreIndex, targetCheck('crossEntropy', input, target, ignoreIndex, C)),
    [3, rows],
  );
  const losses = perRow._view([rows], [1], 0),
    weights = perRow._view([rows], [1], rows),
    lse = perRow._view([rows], [1], 2 * rows);
  const denom = reduction === 'mean' ? sum(weights) : null;
  const out = reduction === 'none' ? reshape(losses, targetShape) : denom ? div(sum(losses), denom) : sum(losses);
  return record('NllLossBackward0', out, [input], (g) => {
    if (isGradEnabled()) {
      const cdim = input.ndim === 1 ? 0 : 1;
      const valid = logicalAnd(logicalAnd(ne(target, ignoreIndex), ge(target, 0)), lt(target, C));
      let gRow = mul(expand(g, targetShape), toDtype(valid, 'float32'));
      if (denom) gRow = div(gRow, denom);
      const classes = reshape(arange(0, C, 1, { device: input.device, dtype: 'int32' }), cdim ? [1, C] : [C]);
      const onehot = toDtype(eq(classes, cdim ? unsqueeze(target, 1) : target), 'float32');
      return [mul(sub(softmax(input, cdim), onehot), cdim ? unsqueeze(gRow, 1) : gRow)];
    }
    const gd = dense(g);
    const dx = wrap(
      be.crossEntropyBackward(xd, td, lse, gd, reduction === 'none' ? 1 : 0, denom, rows, C, ignoreIndex),
      input.shape,
    );
    if (gd !== g) gd.dispose();
    return [dx];
  });
}
