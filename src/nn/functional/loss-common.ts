// What the loss files share: PyTorch's reduction argument, checked and applied, and the shape test.
import { mean, sum } from '../../autograd/index.js';
import { ArgumentError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';

export type Reduction = 'mean' | 'sum' | 'none';

export function checkReduction(op: string, r: string): Reduction {
  if (r !== 'mean' && r !== 'sum' && r !== 'none')
    throw new ArgumentError(
      `${op}: ${JSON.stringify(r)} is not a valid value for reduction (expected 'mean', 'sum' or 'none')`,
    );
  return r;
}
export function reduce(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === 'none' ? loss : reduction === 'sum' ? sum(loss) : mean(loss);
}
export const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((s, i) => s === b[i]);
