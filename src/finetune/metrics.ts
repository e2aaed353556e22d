// Metrics accumulated on the device: each returns a per-batch SUM (a 0-dim float tensor), fit adds
// the sums up on the device and divides by the number of samples once per epoch — no readback per
// step.
import { ArgumentError, fmtShape, ShapeError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

export interface Metric {
  /** the record key is the name with a 'train'/'val' prefix: 'accuracy' → trainAccuracy, valAccuracy */
  name: string;
  /** the batch's sum of the per-sample metric, a 0-dim float tensor (computed without grad) */
  sum(output: unknown, target: unknown): Tensor;
  /** 'max' when larger is better (default for anything but losses) */
  mode?: 'min' | 'max';
}

/** Fraction of samples whose argmax over classes equals the integer target. */
export const accuracy: Metric = {
  name: 'accuracy',
  mode: 'max',
  sum(output, target) {
    if (!(output instanceof Tensor) || !(target instanceof Tensor)) {
      throw new ArgumentError(
        'accuracy: needs a logits tensor and a target tensor (for several outputs pass your own metric)',
      );
    }
    if (output.ndim !== 2 || target.ndim !== 1 || output.shape[0] !== target.shape[0]) {
      throw new ShapeError(
        `accuracy: expected logits [N, C] and class indices [N], got ${fmtShape(output.shape)} and ${fmtShape(target.shape)}`,
      );
    }
    const hits = output.argmax(1).eq(target.dtype === 'int32' ? target : target.int());
    return hits.float().sum();
  },
};

const builtin: Record<string, Metric> = { accuracy };

export type MetricSpec = 'accuracy' | Metric;

export function resolveMetrics(specs: readonly MetricSpec[]): Metric[] {
  return specs.map((s) => {
    if (typeof s === 'string') {
      const m = builtin[s];
      if (!m)
        throw new ArgumentError(
          `fit: unknown metric '${s}' (built in: ${Object.keys(builtin).join(', ')}; or pass { name, sum(output, target) })`,
        );
      return m;
    }
    if (!s || typeof s.name !== 'string' || typeof s.sum !== 'function')
      throw new ArgumentError('fit: a metric must be a name or { name, sum(output, target) }');
    return s;
  });
}

/** 'accuracy' → 'Accuracy', for record keys (valAccuracy). */
export const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
