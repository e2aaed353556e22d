// Evaluation (eval mode, noGrad) and the running sums it and the training loop keep on the device:
// loss * samples and each metric's sum, read back once per pass (or every `logEvery` steps), never
// after every batch.
import { noGrad } from '../../autograd/grad-mode.js';
import { crossEntropy } from '../../nn/functional/loss.js';
import type { Module } from '../../nn/module.js';
import { full, zeros } from '../../tensor/creation.js';
import type { Device } from '../../tensor/device.js';
import { keep, scope } from '../../tensor/memory.js';
import type { Tensor } from '../../tensor/tensor.js';
import { resolveMetrics, type Metric, type MetricSpec } from '../metrics.js';
import {
  batchSize,
  defaultForward,
  defaultUnpack,
  isDataLoader,
  modelDevice,
  tensorsIn,
  toDevice,
  type Batches,
  type Unpacked,
} from './batches.js';

/** Running sums kept on the device (loss * samples, metric sums). */
export class Sums {
  constructor(
    public loss: Tensor,
    public metrics: Tensor[],
  ) {}
  static zero(device: Device, n: number): Sums {
    return new Sums(
      keep(zeros([], { device })),
      Array.from({ length: n }, () => keep(zeros([], { device }))),
    );
  }
  /** Sums holding values read back earlier (a resumed epoch): float32 → number → float32 is exact. */
  static of(device: Device, v: { loss: number; metrics: number[] }): Sums {
    return new Sums(
      keep(full([], v.loss, { device })),
      v.metrics.map((x) => keep(full([], x, { device }))),
    );
  }
  /** Replace with `next` (made by a scope), disposing the old sums. */
  swap(next: { loss: Tensor; metrics: Tensor[] }): void {
    this.loss.dispose();
    this.metrics.forEach((t) => t.dispose());
    this.loss = keep(next.loss);
    this.metrics = next.metrics.map(keep);
  }
  async read(): Promise<{ loss: number; metrics: number[] }> {
    const [loss, ...metrics] = await Promise.all([this.loss.item(), ...this.metrics.map((t) => t.item())]);
    return { loss, metrics };
  }
  dispose(): void {
    this.loss.dispose();
    this.metrics.forEach((t) => t.dispose());
  }
}

export interface EvaluateOptions<B = unknown> {
  lossFn?: (output: any, target: any) => Tensor; // eslint-disable-line @typescript-eslint/no-explicit-any
  metrics?: MetricSpec[];
  device?: Device;
  forward?: (model: Module, input: any) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  unpack?: (batch: B) => { input: unknown; target: unknown };
  disposeBatches?: boolean;
}

/**
 * Mean loss and metrics of `model` over `data` in eval mode under noGrad (the model's mode is
 * restored afterwards). Keys: `loss` and each metric's name; `samples`.
 */
export async function evaluate<B>(
  model: Module,
  data: Batches<B>,
  opts: EvaluateOptions<B> = {},
): Promise<Record<string, number>> {
  const lossFn = opts.lossFn ?? crossEntropy;
  const metrics = resolveMetrics(opts.metrics ?? (opts.lossFn ? [] : ['accuracy']));
  const device = opts.device ?? modelDevice(model);
  const r = await runEval(model, data, {
    lossFn,
    metrics,
    device,
    forward: opts.forward ?? defaultForward,
    unpack: opts.unpack ?? defaultUnpack,
    dispose: opts.disposeBatches ?? isDataLoader(data),
  });
  const out: Record<string, number> = { loss: r!.loss, samples: r!.samples };
  metrics.forEach((m, i) => {
    out[m.name] = r!.metrics[i];
  });
  return out;
}

export interface EvalCtx<B> {
  lossFn: (output: any, target: any) => Tensor; // eslint-disable-line @typescript-eslint/no-explicit-any
  metrics: Metric[];
  device: Device;
  forward: (model: Module, input: any) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  unpack: (batch: B) => Unpacked;
  dispose: boolean;
  /** checked after every batch: true abandons the pass (the result is then null) */
  stop?: () => boolean;
}

export async function runEval<B>(
  model: Module,
  data: Batches<B>,
  c: EvalCtx<B>,
): Promise<{ loss: number; metrics: number[]; samples: number } | null> {
  const wasTraining = model.training;
  model.eval();
  const sums = Sums.zero(c.device, c.metrics.length);
  let samples = 0;
  try {
    for await (const batch of data as AsyncIterable<B>) {
      const made: Tensor[] = [];
      try {
        const u = c.unpack(batch);
        const n = batchSize(u);
        const input = await toDevice(u.input, c.device, made);
        const target = await toDevice(u.target, c.device, made);
        sums.swap(
          scope(() =>
            noGrad(() => {
              const out = c.forward(model, input);
              const loss = c.lossFn(out, target);
              return {
                loss: sums.loss.add(loss.mul(n)),
                metrics: c.metrics.map((m, i) => sums.metrics[i].add(m.sum(out, target))),
              };
            }),
          ),
        );
        samples += n;
      } finally {
        for (const t of made) t.dispose();
        if (c.dispose) for (const t of tensorsIn(batch)) t.dispose();
      }
      if (c.stop?.()) return null;
    }
    const r = await sums.read();
    return { loss: r.loss / Math.max(1, samples), metrics: r.metrics.map((v) => v / Math.max(1, samples)), samples };
  } finally {
    sums.dispose();
    model.train(wasTraining);
  }
}
