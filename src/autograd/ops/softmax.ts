// softmax and logSoftmax, stable: the row maximum is subtracted before exponentiating. An empty
// input has no maximum to subtract (amax refuses a zero-size dim) and gives an empty result.
import type { Tensor } from '../../tensor/tensor.js';
import { sum } from './broadcast.js';
import { div, exp, log, sub } from './elementwise.js';
import { amax } from './reduce.js';
import { noGrad } from '../grad-mode.js';

/** x minus its maximum along dim (a constant shift: the gradient is unchanged); x itself when empty */
function shifted(x: Tensor, dim: number): Tensor {
  if (x.numel() === 0) return x;
  const m = noGrad(() => amax(x, dim, { keepdim: true }));
  const s = sub(x, m);
  m.dispose();
  return s;
}

export function softmax(x: Tensor, dim: number): Tensor {
  const e = exp(shifted(x, dim));
  return div(e, sum(e, dim, { keepdim: true }));
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  // (x - m) - log(sum(exp(x - m))): subtracting the max first keeps the small differences of large
  // logits exact (x - logsumexp(x) would cancel two large numbers).
  const s = shifted(x, dim);
  return sub(s, log(sum(exp(s), dim, { keepdim: true })));
}
