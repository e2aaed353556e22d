// CosineAnnealingWarmRestarts (SGDR), as PyTorch 1.13: cosine from the initial lr to etaMin over
// T_i epochs, then a restart with T_i ← T_i · T_mult. `step()` advances one epoch; `step(epoch)`
// takes a fractional epoch (call it per batch with `epoch + i / iters`), and `lastEpoch` is its floor.
// Its `step` is its own, as in PyTorch, so `_step_count` stays 0.
import { ArgumentError } from '../errors.js';
import type { Optimizer } from './optimizer.js';
import { LRScheduler } from './scheduler-base.js';

export class CosineAnnealingWarmRestarts extends LRScheduler {
  t0: number;
  tI: number;
  tMult: number;
  etaMin: number;
  tCur: number;

  constructor(
    optimizer: Optimizer,
    t0: number,
    { tMult = 1, etaMin = 0, lastEpoch = -1 }: { tMult?: number; etaMin?: number; lastEpoch?: number } = {},
  ) {
    if (!(t0 > 0) || !Number.isInteger(t0)) throw new ArgumentError(`Expected positive integer T_0, but got ${t0}`);
    if (!(tMult >= 1) || !Number.isInteger(tMult))
      throw new ArgumentError(`Expected integer T_mult >= 1, but got ${tMult}`);
    super(optimizer, lastEpoch);
    this.t0 = t0;
    this.tI = t0;
    this.tMult = tMult;
    this.etaMin = etaMin;
    this.tCur = lastEpoch;
    this._initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map(
      (b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2,
    );
  }

  override step(epoch?: number): void {
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.tCur += 1;
      if (this.tCur >= this.tI) {
        this.tCur -= this.tI;
        this.tI *= this.tMult;
      }
    } else {
      if (!(epoch >= 0)) throw new ArgumentError(`Expected non-negative epoch, but got ${epoch}`);
      if (epoch >= this.t0) {
        if (this.tMult === 1) this.tCur = epoch % this.t0;
        else {
          const n = Math.trunc(Math.log((epoch / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
          this.tCur = epoch - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** n;
        }
      } else {
        this.tI = this.t0;
        this.tCur = epoch;
      }
    }
    this.lastEpoch = Math.floor(epoch);
    const values = this.getLr();
    this.groups.forEach((g, i) => {
      g.lr = values[i];
    });
    this._lastLr = this.groups.map((g) => g.lr);
  }
}
