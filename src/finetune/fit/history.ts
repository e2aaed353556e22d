// What fit returns and writes per epoch: the epoch records, the best epoch, how the run ended, and
// the one-line summary printed after each epoch.
import { cap, type Metric } from '../metrics.js';
import { fmtNum, fmtTime } from '../progress.js';

/** One epoch's results. Keys besides these: train<Metric>, val<Metric>, emaVal<Metric>. */
export interface EpochRecord {
  /** 1-based */
  epoch: number;
  trainLoss: number;
  valLoss?: number;
  emaValLoss?: number;
  /** each param group's learning rate during the epoch */
  lr: number[];
  steps: number;
  samples: number;
  seconds: number;
  /** parameter names unfrozen at the start of this epoch */
  unfrozen?: string[];
  [metric: string]: unknown;
}

export interface History {
  epochs: EpochRecord[];
  /** the monitored value's best epoch (1-based) */
  best: { epoch: number; monitor: string; value: number } | null;
  stoppedEarly: boolean;
  interrupted: boolean;
  /** files written in checkpointDir */
  files: { model?: string; checkpoint?: string; metrics?: string; curve?: string };
}

export function summary(r: EpochRecord, metrics: Metric[], saved: boolean): string {
  const parts = [`epoch ${r.epoch}`, `train loss ${fmtNum(r.trainLoss)}`];
  for (const m of metrics) parts.push(`train ${m.name} ${fmtNum(r[`train${cap(m.name)}`] as number)}`);
  if (r.valLoss !== undefined) {
    parts.push(`val loss ${fmtNum(r.valLoss)}`);
    for (const m of metrics) parts.push(`val ${m.name} ${fmtNum(r[`val${cap(m.name)}`] as number)}`);
  }
  if (r.emaValLoss !== undefined) parts.push(`EMA val loss ${fmtNum(r.emaValLoss)}`);
  parts.push(`${(r.samples / Math.max(1e-9, r.seconds)).toFixed(1)} samples/s`, fmtTime(r.seconds));
  return parts.join('  ') + (saved ? '  *' : '');
}
