// softmax and logSoftmax, stable: the row maximum is subtracted before exponentiating.
import type { Tensor } from '../../tensor/tensor.js';
import { div, exp, sub } from './elementwise.js';
import { logsumexp, sum, amax } from './reduce.js';
import { noGrad } from '../grad-mode.js';

export function softmax(x: Tensor, dim: number): Tensor {
  const m = noGrad(() => amax(x.detach(), dim, { keepdim: true }));
  const e = exp(sub(x, m));
  m.dispose();
  return div(e, sum(e, dim, { keepdim: true }));
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return sub(x, logsumexp(x, dim, { keepdim: true }));
}
