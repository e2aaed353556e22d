// `optim.swaUtils` (PyTorch 1.13's torch.optim.swa_utils): AveragedModel keeps a running average of
// a model's parameters (Stochastic Weight Averaging, or any avgFn such as an EMA), and updateBn
// recomputes BatchNorm statistics for the averaged weights with one pass over the data.
// AveragedModel's state dict is PyTorch's: `n_averaged` (int32 here, int64 there) and `module.*`.
import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, DeviceError, ShapeError, fmtShape } from '../errors.js';
import { BatchNorm1d, BatchNorm2d } from '../nn/layers/norm.js';
import { Module } from '../nn/module.js';
import type { LoadPlan } from '../nn/state-dict.js';
import { zeros } from '../tensor/creation.js';
import type { Device } from '../tensor/device.js';
import { scope } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';
import { deepCopyModule } from './module-copy.js';

export { SWALR, type SWALROptions } from './swalr.js';

/** (current average, the model's value, how many models are averaged so far) → the new average */
export type AvgFn = (averaged: Tensor, current: Tensor, numAveraged: number) => Tensor;
export interface AveragedModelOptions {
  /** where the copy lives (default: where the model's tensors are; `n_averaged` on cpu) */
  device?: Device;
  /** default: the equally weighted running mean */
  avgFn?: AvgFn | null;
  /** average the buffers too (BatchNorm statistics), not just the parameters */
  useBuffers?: boolean;
}

const runningMean: AvgFn = (avg, cur, n) => avg.add(cur.sub(avg).div(n + 1));

export class AveragedModel<M extends Module = Module> extends Module {
  declare module: M;
  declare n_averaged: Tensor;
  avgFn: AvgFn;
  useBuffers: boolean;
  /** the count as the host knows it (null: loaded from a webgpu tensor) */
  private hostCount: number | null = 0;

  constructor(model: M, opts: AveragedModelOptions = {}) {
    super();
    if (!(model instanceof Module)) throw new ArgumentError(`AveragedModel: expected a Module, got ${typeof model}`);
    this.module = deepCopyModule(model);
    if (opts.device) this.module.to(opts.device);
    this.registerBuffer('n_averaged', zeros([], { dtype: 'int32', device: opts.device ?? 'cpu' }));
    this.avgFn = opts.avgFn ?? runningMean;
    this.useBuffers = opts.useBuffers ?? false;
  }

  /** the averaged copy's forward (with its hooks), typed as the model's */
  override forward(...args: Parameters<M['forward']>): ReturnType<M['forward']> {
    return this.module.call(...args);
  }

  private count(): number {
    const n = this.n_averaged;
    if (n.device === 'cpu') return (this.hostCount = Math.trunc(n.dataSync()[0]));
    if (this.hostCount === null) {
      throw new DeviceError(
        `AveragedModel needs n_averaged on the host, but it was loaded from a ${n.device} tensor; load the state dict from cpu tensors`,
      );
    }
    return this.hostCount;
  }

  /** Fold `model`'s current parameters (and buffers with useBuffers) into the average. */
  updateParameters(model: Module): void {
    const mine = this.useBuffers ? [...this.module.parameters(), ...this.module.buffers()] : this.module.parameters();
    const theirs = this.useBuffers ? [...model.parameters(), ...model.buffers()] : model.parameters();
    if (mine.length !== theirs.length) {
      throw new ArgumentError(
        `AveragedModel.updateParameters: the model has ${theirs.length} ${this.useBuffers ? 'parameters and buffers' : 'parameters'}, the average ${mine.length}`,
      );
    }
    mine.forEach((p, i) => {
      if (p.shape.length !== theirs[i].shape.length || p.shape.some((s, j) => s !== theirs[i].shape[j])) {
        throw new ShapeError(
          `AveragedModel.updateParameters: tensor ${i} of the model has shape ${fmtShape(theirs[i].shape)}, the average's ${fmtShape(p.shape)}`,
        );
      }
    });
    const n = this.count();
    noGrad(() => {
      mine.forEach((p, i) =>
        scope(() => {
          const src = theirs[i].detach();
          const cur = src.device === p.device ? src : src.to(p.device);
          p.copy_(n === 0 ? cur : this.avgFn(p.detach(), cur, n));
        }),
      );
      this.n_averaged.add_(1);
    });
    if (this.hostCount !== null) this.hostCount = n + 1;
  }

  /** @internal keeps the host count in step with a loaded `n_averaged` */
  override _loadFromStateDict(sd: ReadonlyMap<string, unknown>, prefix: string, plan: LoadPlan): void {
    const before = plan.copies.length;
    super._loadFromStateDict(sd, prefix, plan);
    const c = plan.copies.slice(before).find((e) => e.key === `${prefix}n_averaged`);
    if (c) {
      const n = c.src.device === 'cpu' ? Math.trunc(c.src.dataSync()[0]) : null;
      plan.after.push(() => {
        this.hostCount = n;
      });
    }
  }
}

/** A loader's batch: a tensor, or an array whose first element is the input (as PyTorch's update_bn). */
function inputOf(batch: unknown, i: number): Tensor {
  const x = Array.isArray(batch) ? batch[0] : batch;
  if (!(x instanceof Tensor))
    throw new ArgumentError(`updateBn: batch ${i} is neither a Tensor nor an array starting with one`);
  return x;
}

/**
 * Recompute the running statistics of every BatchNorm in `model` with one pass over `loader`
 * (a DataLoader or any iterable of batches): statistics reset, then a cumulative average over the
 * batches (momentum null), in train mode; momentum and the train/eval mode are restored after.
 * BatchNorms frozen by `finetune.freeze` (statistics frozen) are left as they are.
 */
export async function updateBn(
  loader: Iterable<unknown> | AsyncIterable<unknown>,
  model: Module,
  opts: { device?: Device } = {},
): Promise<void> {
  const bns = model
    .modules()
    .filter(
      (m): m is BatchNorm1d | BatchNorm2d =>
        (m instanceof BatchNorm1d || m instanceof BatchNorm2d) && m.trackRunningStats && !m.frozenStats,
    );
  if (!bns.length) return;
  const momenta = bns.map((m) => m.momentum);
  for (const m of bns) m.resetRunningStats();
  const wasTraining = model.training;
  model.train();
  for (const m of bns) m.momentum = null;
  try {
    let i = 0;
    for await (const batch of loader as AsyncIterable<unknown>) {
      const x = inputOf(batch, i++);
      noGrad(() =>
        scope(() => {
          model.call(opts.device && x.device !== opts.device ? x.to(opts.device) : x);
        }),
      );
    }
  } finally {
    bns.forEach((m, k) => {
      m.momentum = momenta[k];
    });
    model.train(wasTraining);
  }
}
