// fit's options: what each one means, the checks made before anything runs, and the settings the
// loop uses with every default filled in — so fit.ts reads as the loop and nothing else.
import { ArgumentError } from '../../errors.js';
import { crossEntropy } from '../../nn/functional/loss.js';
import type { Module } from '../../nn/module.js';
import type { Optimizer } from '../../optim/optimizer.js';
import { ReduceLROnPlateau } from '../../optim/plateau.js';
import type { Scheduler } from '../../optim/scheduler-base.js';
import type { Device } from '../../tensor/device.js';
import { defaultGenerator, Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { EMA } from '../ema.js';
import { resolveMetrics, type Metric, type MetricSpec } from '../metrics.js';
import type { LogOption } from '../progress.js';
import type { EpochCallback } from '../schedule.js';
import { defaultForward, defaultUnpack, isDataLoader, type Batches, type Unpacked } from './batches.js';
import { EarlyStopper, lossLike, type EarlyStopping } from './early-stopper.js';
import type { EpochRecord, History } from './history.js';

type LossFn = (output: any, target: any) => Tensor; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface FitOptions<B = unknown> {
  /** training batches, e.g. a DataLoader; each batch is [input, target] or { input, target } (or use `unpack`) */
  train: Batches<B>;
  val?: Batches<B>;
  optimizer: Optimizer;
  /** (output, target) => scalar loss; default F.crossEntropy */
  lossFn?: (output: any, target: any) => Tensor; // eslint-disable-line @typescript-eslint/no-explicit-any
  epochs: number;
  scheduler?: (Scheduler & { step(): void }) | ReduceLROnPlateau;
  /** step the scheduler after every epoch (default) or after every optimizer step (OneCycleLR) */
  schedulerStep?: 'epoch' | 'batch';
  /** where to train: the model and every batch are moved there (default: the model's device) */
  device?: Device;
  /** default: ['accuracy'] with the default loss, else none */
  metrics?: MetricSpec[];
  /** record key that decides the best checkpoint, ReduceLROnPlateau and early stopping (default valLoss, or trainLoss without val) */
  monitor?: string;
  monitorMode?: 'min' | 'max';
  checkpointDir?: string;
  /** patience, or the full settings */
  earlyStopping?: number | EarlyStopping;
  /** after each epoch; return false to stop */
  onEpoch?: (record: EpochRecord, history: History) => void | boolean | Promise<void | boolean>;
  /** micro-batches per optimizer step (gradient accumulation; each loss is divided by it) */
  accumulateSteps?: number;
  /** clip the gradients' total 2-norm to this before each optimizer step */
  clipGradNorm?: number;
  /** EMA of the weights with this decay (e.g. 0.999), evaluated on `val` alongside the raw weights */
  ema?: number | { decay: number };
  /** a checkpoint file to continue from, or true for `checkpointDir/checkpoint.safetensors` */
  resume?: string | boolean;
  /** changes the model at epoch starts (gradual unfreezing: `unfreezeSchedule(...)`) */
  unfreeze?: EpochCallback;
  /** 'auto' (bar on a TTY, lines otherwise), 'bar', 'lines', false, or a function receiving lines */
  log?: LogOption;
  /** read the running loss back every this many steps (progress display); default 25 */
  logEvery?: number;
  /** the model's forward (default: model.call(input)) */
  forward?: (model: Module, input: any) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** a batch to { input, target } (default: [input, target] arrays and { input, target } / { x, y } objects) */
  unpack?: (batch: B) => { input: unknown; target: unknown };
  /** dispose each batch's tensors after its step (default: true for a DataLoader, whose batches are fresh, false otherwise) */
  disposeBatches?: boolean;
  /** stop (and save the resume checkpoint) when aborted: after the current step, or during validation */
  signal?: AbortSignal;
  /** catch Ctrl-C while fitting, like `signal` (default false: a library leaves SIGINT to the application; the CLI passes true) */
  handleSigint?: boolean;
  /** generators whose state the resume checkpoint saves and restores (default: the global one and the train loader's) */
  generators?: Generator[];
}

/** Refuse options that cannot work, before the model is touched. */
export function checkFitOptions<B>(o: FitOptions<B>): void {
  if (!o || typeof o !== 'object') throw new ArgumentError('fit(model, { train, optimizer, epochs, ... })');
  if (!o.train) throw new ArgumentError('fit: `train` (the training batches) is required');
  if (!o.optimizer) throw new ArgumentError('fit: `optimizer` is required');
  if (!Number.isInteger(o.epochs) || o.epochs < 1)
    throw new ArgumentError(`fit: epochs must be a positive integer, got ${o.epochs}`);
  const accumulate = o.accumulateSteps ?? 1;
  if (!Number.isInteger(accumulate) || accumulate < 1)
    throw new ArgumentError(`fit: accumulateSteps must be a positive integer, got ${o.accumulateSteps}`);
  if (o.clipGradNorm !== undefined && !(o.clipGradNorm > 0))
    throw new ArgumentError(`fit: clipGradNorm must be positive, got ${o.clipGradNorm}`);
  const logEvery = o.logEvery ?? 25;
  if (!Number.isInteger(logEvery) || logEvery < 1)
    throw new ArgumentError(`fit: logEvery must be a positive integer, got ${o.logEvery}`);
  if (o.resume === true && !o.checkpointDir) throw new ArgumentError('fit: resume: true needs checkpointDir');
  if (o.schedulerStep === 'batch' && o.scheduler instanceof ReduceLROnPlateau)
    throw new ArgumentError(
      'fit: ReduceLROnPlateau steps on the monitored value once per epoch (schedulerStep: "epoch")',
    );
}

/** The options with their defaults, for a model already on its training device. */
export interface FitSettings<B> {
  accumulate: number;
  logEvery: number;
  lossFn: LossFn;
  metrics: Metric[];
  monitor: string;
  monitorMode: 'min' | 'max';
  es: EarlyStopper | null;
  ema: EMA | null;
  forward: (model: Module, input: any) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  unpack: (b: B) => Unpacked;
  disposeTrain: boolean;
  disposeVal: boolean;
  generators: Generator[];
}

export function fitSettings<B>(model: Module, o: FitOptions<B>): FitSettings<B> {
  const lossFn: LossFn = o.lossFn ?? crossEntropy;
  const metrics = resolveMetrics(o.metrics ?? (o.lossFn ? [] : ['accuracy']));
  const monitor = o.monitor ?? (o.val ? 'valLoss' : 'trainLoss');
  const monitorMode = o.monitorMode ?? (lossLike(monitor) ? 'min' : 'max');
  const es = EarlyStopper.from(o.earlyStopping, monitor, monitorMode);
  const emaDecay = o.ema === undefined ? null : typeof o.ema === 'number' ? o.ema : o.ema.decay;
  const loaderGen = (o.train as { generator?: unknown }).generator;
  return {
    accumulate: o.accumulateSteps ?? 1,
    logEvery: o.logEvery ?? 25,
    lossFn,
    metrics,
    monitor,
    monitorMode,
    es,
    ema: emaDecay === null ? null : new EMA(model, emaDecay),
    forward: o.forward ?? defaultForward,
    unpack: (o.unpack ?? defaultUnpack) as (b: B) => Unpacked,
    disposeTrain: o.disposeBatches ?? isDataLoader(o.train),
    disposeVal: o.disposeBatches ?? isDataLoader(o.val),
    generators: o.generators ?? [
      defaultGenerator,
      ...(loaderGen instanceof Generator && loaderGen !== defaultGenerator ? [loaderGen] : []),
    ],
  };
}
