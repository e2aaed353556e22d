// Regression losses with PyTorch's semantics (mse, l1, smooth-L1, Huber), composed from differentiable ops;
// a target shape that differs from the input's is broadcast with a one-time warning, as in PyTorch.
import { abs, lt, mul, sub, where } from '../../autograd/index.js';
import { requireFloat, sameDevice } from '../../autograd/ops/util.js';
import { ArgumentError, fmtShape } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkReduction, reduce, sameShape, type Reduction } from './loss-common.js';

/** input - target, with PyTorch's shape rule: different (broadcastable) shapes warn once. */
let warnedBroadcast = false;
function diff(op: string, input: Tensor, target: Tensor): Tensor {
  sameDevice(op, input, target);
  requireFloat(input, op);
  requireFloat(target, op);
  if (!sameShape(input.shape, target.shape) && !warnedBroadcast) {
    warnedBroadcast = true;
    console.warn(
      `finetorch: ${op}: target shape ${fmtShape(target.shape)} differs from input shape ${fmtShape(input.shape)}; they will be broadcast, which is likely wrong`,
    );
  }
  return sub(input, target);
}

export interface ReductionOptions {
  reduction?: Reduction;
}

/** `F.mseLoss(input, target, { reduction = 'mean' })`: (input - target)² */
export function mseLoss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  const reduction = checkReduction('mseLoss', opts.reduction ?? 'mean');
  const d = diff('mseLoss', input, target);
  return reduce(mul(d, d), reduction);
}
/** `F.l1Loss(input, target, { reduction = 'mean' })`: |input - target| */
export function l1Loss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  const reduction = checkReduction('l1Loss', opts.reduction ?? 'mean');
  return reduce(abs(diff('l1Loss', input, target)), reduction);
}
/** `F.smoothL1Loss(input, target, { reduction, beta = 1 })`: 0.5 d²/beta where |d| < beta, else |d| - beta/2 */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: ReductionOptions & { beta?: number } = {}): Tensor {
  const op = 'smoothL1Loss';
  const reduction = checkReduction(op, opts.reduction ?? 'mean');
  const beta = opts.beta ?? 1;
  if (!(beta >= 0)) throw new ArgumentError(`${op}: beta must be non-negative, got ${beta}`);
  const d = diff(op, input, target);
  const a = abs(d);
  if (beta === 0) return reduce(a, reduction);
  return reduce(where(lt(a, beta), mul(mul(d, d), 0.5 / beta), sub(a, 0.5 * beta)), reduction);
}
/** `F.huberLoss(input, target, { reduction, delta = 1 })`: 0.5 d² where |d| < delta, else delta (|d| - delta/2) */
export function huberLoss(input: Tensor, target: Tensor, opts: ReductionOptions & { delta?: number } = {}): Tensor {
  const op = 'huberLoss';
  const reduction = checkReduction(op, opts.reduction ?? 'mean');
  const delta = opts.delta ?? 1;
  if (!(delta > 0)) throw new ArgumentError(`${op}: delta must be positive, got ${delta}`);
  const d = diff(op, input, target);
  const a = abs(d);
  return reduce(where(lt(a, delta), mul(mul(d, d), 0.5), mul(sub(a, 0.5 * delta), delta)), reduction);
}
