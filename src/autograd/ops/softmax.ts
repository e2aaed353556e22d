// softmax and logSoftmax, stable: the row maximum is subtracted before exponentiating.
import type { Tensor } from '../../tensor/tensor.js';
import { div, exp, log, sub } from './elementwise.js';
import { amax, sum } from './reduce.js';
import { noGrad } from '../grad-mode.js';

export function softmax(x: Tensor, dim: number): Tensor {
  const m = noGrad(() => amax(x, dim, { keepdim: true }));
  const e = exp(sub(x, m));
  m.dispose();
  return div(e, sum(e, dim, { keepdim: true }));
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  // (x - m) - log(sum(exp(x - m))): subtracting the max first keeps the small differences of large
  // logits exact (x - logsumexp(x) would cancel two large numbers). m is a constant shift, so the
  // gradient is unchanged.
  const m = noGrad(() => amax(x, dim, { keepdim: true }));
  const shifted = sub(x, m);
  m.dispose();
  return sub(shifted, log(sum(exp(shifted), dim, { keepdim: true })));
}
