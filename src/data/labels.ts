// Class labels checked against the class count when a dataset is built. A label outside
// [0, numClasses) is a data error, and it must be caught here: on webgpu a cross entropy reads the
// logit row out of range and the run trains to NaN without an error, and on any device the first
// sign would come epochs later, far from the file and row at fault.
import { ArgumentError } from '../errors.js';
import type { Dataset } from './dataset.js';
import { DatasetError } from './errors.js';

export function checkNumClasses(numClasses: number | undefined, what: string): void {
  if (numClasses !== undefined && !(Number.isInteger(numClasses) && numClasses >= 1)) {
    throw new ArgumentError(`${what}: numClasses must be a positive integer, got ${numClasses}`);
  }
}

/** Every label an integer in [0, numClasses); `where(i)` names the i-th label's file and row. */
export function checkLabels(labels: ArrayLike<number>, numClasses: number, where: (i: number) => string): void {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (!(Number.isInteger(v) && v >= 0 && v < numClasses)) {
      throw new DatasetError(
        `${where(i)}: label ${v} is out of range for ${numClasses} classes (labels must be 0..${numClasses - 1})`,
      );
    }
  }
}

/**
 * Check that field `field` (default 1, the target of an [input, target] sample) of every sample of
 * `dataset` is a class index in [0, numClasses) — for datasets that do not know their classes, such
 * as `TensorDataset`. It calls `get` for every sample, so use it on datasets whose samples are cheap.
 */
export function checkClassLabels(dataset: Dataset<unknown>, numClasses: number, field: number | string = 1): void {
  checkNumClasses(numClasses, 'checkClassLabels');
  const labels = new Float64Array(dataset.length);
  for (let i = 0; i < dataset.length; i++) {
    const v = (dataset.get(i) as Record<string | number, unknown>)[field];
    labels[i] = typeof v === 'number' ? v : NaN;
  }
  checkLabels(labels, numClasses, (i) => `sample ${i}, field ${String(field)}`);
}
