// Training progress: a one-line bar redrawn in place on a TTY (steps, loss, throughput, ETA), plain
// lines otherwise (a few per epoch, so logs stay readable), and the per-epoch summary either way.
// The default output is the platform's (Node's stdout; the console in a browser); a function gets
// the lines instead (a worker posts them to its page).
import { platform } from '../platform/platform.js';

export type LogOption = boolean | 'auto' | 'bar' | 'lines' | ((line: string) => void);

interface Out {
  write(s: string): unknown;
  isTTY?: boolean;
}

export const fmtTime = (s: number) => {
  if (!Number.isFinite(s) || s < 0) return '?';
  const t = Math.round(s);
  const h = Math.floor(t / 3600),
    m = Math.floor((t % 3600) / 60),
    sec = t % 60;
  return h
    ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`
    : `${m}:${String(sec).padStart(2, '0')}`;
};
export const fmtNum = (v: number | null | undefined, digits = 4) =>
  typeof v === 'number' ? (Number.isFinite(v) ? v.toFixed(digits) : String(v)) : '-';

export class Progress {
  private mode: 'bar' | 'lines' | 'off';
  private sink: (s: string) => void;
  private out: Out | null;
  private barShown = false;
  private epochLabel = '';
  private total: number | undefined;
  private started = 0;
  private nextLineAt = 0;

  constructor(opt: LogOption = 'auto', out: Out = platform().stdout) {
    if (typeof opt === 'function') {
      this.mode = 'lines';
      this.sink = opt;
      this.out = null;
      return;
    }
    this.out = out;
    // lines go through console.log when printing to stdout, so they interleave with other output
    this.sink = out === platform().stdout ? (s) => console.log(s) : (s) => void out.write(`${s}\n`);
    if (opt === false) this.mode = 'off';
    else if (opt === 'bar') this.mode = 'bar';
    else if (opt === 'lines') this.mode = 'lines';
    else this.mode = out.isTTY ? 'bar' : 'lines';
  }

  get enabled(): boolean {
    return this.mode !== 'off';
  }

  /** A message on its own line (clears the bar first). */
  line(s: string): void {
    if (this.mode === 'off') return;
    this.clearBar();
    this.sink(s);
  }

  startEpoch(label: string, totalSteps: number | undefined): void {
    this.epochLabel = label;
    this.total = totalSteps;
    this.started = performance.now();
    this.nextLineAt = totalSteps && totalSteps >= 8 ? Math.ceil(totalSteps / 4) : Infinity;
  }

  /** After `step` steps and `samples` samples of this epoch; `loss` is the running mean when read. */
  update(step: number, samples: number, loss: number | null): void {
    if (this.mode === 'off') return;
    const secs = (performance.now() - this.started) / 1000;
    const rate = secs > 0 ? samples / secs : 0;
    const eta = this.total ? ((this.total - step) * secs) / Math.max(1, step) : NaN;
    const stats = `loss ${fmtNum(loss)}  ${rate.toFixed(1)} samples/s  ${this.total ? `ETA ${fmtTime(eta)}` : `${fmtTime(secs)} elapsed`}`;
    if (this.mode === 'bar') {
      const width = 24;
      const frac = this.total ? Math.min(1, step / this.total) : 0;
      const filled = Math.round(frac * width);
      const bar = this.total
        ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${step}/${this.total}`
        : `${step} steps`;
      this.out!.write(`\r\x1b[K${this.epochLabel} ${bar}  ${stats}`);
      this.barShown = true;
    } else if (step >= this.nextLineAt && (!this.total || step < this.total)) {
      this.sink(`${this.epochLabel} step ${step}${this.total ? `/${this.total}` : ''}  ${stats}`);
      this.nextLineAt += Math.ceil((this.total ?? 4) / 4);
    }
  }

  private clearBar(): void {
    if (this.barShown) {
      this.out!.write('\r\x1b[K');
      this.barShown = false;
    }
  }
}
