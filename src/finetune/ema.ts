// An exponential moving average of the weights (Polyak averaging): after every optimizer step
// shadow = decay * shadow + (1 - decay) * param. `fit` evaluates the averaged weights alongside the
// raw ones by swapping storages (no copy), and restores them afterwards.
import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { Parameter } from '../nn/parameter.js';
import { keep } from '../tensor/memory.js';
import type { Tensor } from '../tensor/tensor.js';

export class EMA {
  /** one shadow tensor per float parameter, in `model.parameters()` order */
  readonly params: Parameter[];
  readonly shadow: Tensor[];

  constructor(
    readonly model: Module,
    readonly decay: number,
  ) {
    if (!(decay > 0 && decay < 1)) throw new ArgumentError(`ema: decay must be in (0, 1), got ${decay}`);
    this.params = model.parameters().filter((p) => p.dtype === 'float32');
    this.shadow = noGrad(() => this.params.map((p) => keep(p.detach().clone())));
  }

  /** Fold the current weights into the average (trainable parameters only: frozen ones do not move). */
  update(): void {
    noGrad(() => {
      this.params.forEach((p, i) => {
        if (!p.requiresGrad) return;
        this.shadow[i].mul_(this.decay).add_(p.detach(), { alpha: 1 - this.decay });
      });
    });
  }

  /** Run `fn` with the averaged weights in the model (storages swapped in place, then swapped back). */
  async withAveraged<T>(fn: () => Promise<T>): Promise<T> {
    const originals = this.params.map((p) => p.detach());
    this.params.forEach((p, i) => p._adoptStorage(this.shadow[i]));
    try {
      return await fn();
    } finally {
      this.params.forEach((p, i) => {
        p._adoptStorage(originals[i]);
        originals[i].dispose();
      });
    }
  }

  /** Replace the averages (resume); shapes must match. */
  load(values: readonly Tensor[]): void {
    if (values.length !== this.shadow.length)
      throw new ArgumentError(`ema: checkpoint has ${values.length} averaged tensors, the model ${this.shadow.length}`);
    noGrad(() => this.shadow.forEach((s, i) => s.copy_(values[i])));
  }

  dispose(): void {
    for (const s of this.shadow) s.dispose();
  }
}
