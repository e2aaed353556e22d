// Early stopping: stop when the watched record key has not improved (by more than minDelta) for more
// than `patience` epochs. Its state (best value, epochs waited) is in the resume checkpoint, so a
// resumed run stops exactly where an uninterrupted one would.
import { ArgumentError } from '../../errors.js';

export interface EarlyStopping {
  /** epochs without improvement before stopping */
  patience: number;
  /** improvement smaller than this does not count (default 0) */
  minDelta?: number;
  /** record key to watch (default: fit's `monitor`) */
  monitor?: string;
  mode?: 'min' | 'max';
}

export const lossLike = (key: string) => /loss$/i.test(key);

export class EarlyStopper {
  best: number | null = null;
  wait = 0;
  readonly monitor: string;
  readonly mode: 'min' | 'max';

  /** `option` as fit takes it (patience or the full settings); null when not given. */
  static from(
    option: number | EarlyStopping | undefined,
    monitor: string,
    monitorMode: 'min' | 'max',
  ): EarlyStopper | null {
    if (option === undefined) return null;
    return new EarlyStopper(typeof option === 'number' ? { patience: option } : option, monitor, monitorMode);
  }

  constructor(
    readonly settings: EarlyStopping,
    monitor: string,
    monitorMode: 'min' | 'max',
  ) {
    if (!Number.isInteger(settings.patience) || settings.patience < 0)
      throw new ArgumentError(`fit: earlyStopping patience must be a non-negative integer, got ${settings.patience}`);
    this.monitor = settings.monitor ?? monitor;
    this.mode = settings.mode ?? (settings.monitor ? (lossLike(settings.monitor) ? 'min' : 'max') : monitorMode);
  }

  /** Take one epoch's record; true when training should stop. */
  update(record: Record<string, unknown>): boolean {
    const v = record[this.monitor];
    if (typeof v !== 'number')
      throw new ArgumentError(`fit: earlyStopping monitor '${this.monitor}' is not in the epoch record`);
    const delta = this.settings.minDelta ?? 0;
    const better = this.best === null || (this.mode === 'min' ? v < this.best - delta : v > this.best + delta);
    if (better) {
      this.best = v;
      this.wait = 0;
      return false;
    }
    return ++this.wait > this.settings.patience;
  }

  get message(): string {
    return `early stopping: ${this.monitor} has not improved for ${this.settings.patience + 1} epochs`;
  }

  state(): { esBest: number | null; esWait: number } {
    return { esBest: this.best, esWait: this.wait };
  }
  load(s: { esBest?: number | null; esWait?: number }): void {
    this.best = s.esBest ?? null;
    this.wait = s.esWait ?? 0;
  }
}
