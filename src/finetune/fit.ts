// fit: the training loop PyTorch users write by hand, done right.
//
// - train()/eval() switching; evaluation under noGrad.
// - one torch.scope per step, so everything a step makes is freed when it ends (memory stays flat);
//   the running loss and metric sums stay on the device and are read back every `logEvery` steps
//   and once per epoch, not after every step.
// - gradient accumulation, gradient clipping, an EMA of the weights evaluated alongside, LR
//   schedulers per epoch or per batch (ReduceLROnPlateau gets the monitored value), gradual
//   unfreezing, early stopping.
// - in `checkpointDir`: the best weights (`model.safetensors`, a plain state dict), a resume
//   checkpoint (`checkpoint.safetensors`: model + optimizer + scheduler + EMA + epoch + RNG state; a
//   run resumed from it continues identically), `metrics.jsonl` (one line per epoch) and the
//   learning curve `curve.svg`.
// - Ctrl-C (SIGINT) finishes the current step, saves the resume checkpoint and returns with
//   `interrupted: true`; a second Ctrl-C exits at once.
import { mkdir, appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, CheckpointError } from '../errors.js';
import { crossEntropy } from '../nn/functional/loss.js';
import type { Module } from '../nn/module.js';
import { clipGradNorm_ } from '../nn/utils.js';
import type { Optimizer } from '../optim/optimizer.js';
import { ReduceLROnPlateau } from '../optim/plateau.js';
import type { Scheduler } from '../optim/scheduler-base.js';
import { zeros } from '../tensor/creation.js';
import type { Device } from '../tensor/device.js';
import { defaultDevice } from '../tensor/device.js';
import { keep, scope } from '../tensor/memory.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { flatten, loadBundle, saveBundle, unflatten, writeAtomic } from './checkpoint.js';
import { learningCurveSvg } from './curve.js';
import { EMA } from './ema.js';
import { cap, resolveMetrics, type Metric, type MetricSpec } from './metrics.js';
import { fmtNum, fmtTime, Progress, type LogOption } from './progress.js';
import type { EpochCallback } from './schedule.js';
import { save } from '../io/index.js';

export type Batches<B = unknown> = Iterable<B> | AsyncIterable<B>;
type LossFn = (output: any, target: any) => Tensor; // eslint-disable-line @typescript-eslint/no-explicit-any

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

export interface EarlyStopping {
  /** epochs without improvement before stopping */
  patience: number;
  /** improvement smaller than this does not count (default 0) */
  minDelta?: number;
  /** record key to watch (default: fit's `monitor`) */
  monitor?: string;
  mode?: 'min' | 'max';
}

export interface FitOptions<B = unknown> {
  /** training batches, e.g. a DataLoader; each batch is [input, target] or { input, target } (or use `unpack`) */
  train: Batches<B>;
  val?: Batches<B>;
  optimizer: Optimizer;
  /** (output, target) => scalar loss; default F.crossEntropy */
  lossFn?: (output: any, target: any) => Tensor; // eslint-disable-line @typescript-eslint/no-explicit-any
  epochs: number;
  scheduler?: Scheduler & { step(arg?: number): void };
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
  /** stop (and save the resume checkpoint) when aborted */
  signal?: AbortSignal;
  /** catch Ctrl-C while fitting (default true) */
  handleSigint?: boolean;
  /** generators whose state the resume checkpoint saves and restores (default: the global one and the train loader's) */
  generators?: Generator[];
}

interface Unpacked { input: unknown; target: unknown }

function defaultUnpack(batch: unknown): Unpacked {
  if (Array.isArray(batch) && batch.length >= 2) return { input: batch[0], target: batch[1] };
  if (batch && typeof batch === 'object') {
    const b = batch as Record<string, unknown>;
    if ('input' in b && 'target' in b) return { input: b.input, target: b.target };
    if ('x' in b && 'y' in b) return { input: b.x, target: b.y };
  }
  throw new ArgumentError('fit: a batch must be [input, target], { input, target } or { x, y } (or pass unpack)');
}

function batchSize(u: Unpacked): number {
  for (const v of [u.target, u.input]) {
    if (v instanceof Tensor) return v.ndim ? v.shape[0] : 1;
    if (Array.isArray(v) && v[0] instanceof Tensor) return (v[0] as Tensor).ndim ? (v[0] as Tensor).shape[0] : 1;
  }
  throw new ArgumentError('fit: cannot tell the batch size: neither the target nor the input is a tensor');
}

function tensorsIn(v: unknown, out: Tensor[] = []): Tensor[] {
  if (v instanceof Tensor) out.push(v);
  else if (Array.isArray(v)) for (const x of v) tensorsIn(x, out);
  else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) tensorsIn(x, out);
  return out;
}

/** `v` with every tensor on `device`; copies made are pushed to `made`. */
async function toDevice(v: unknown, device: Device, made: Tensor[]): Promise<unknown> {
  if (v instanceof Tensor) {
    if (v.device === device) return v;
    const t = v.device === 'cpu' ? v._transfer(device) : await v.toAsync(device);
    made.push(t);
    return t;
  }
  if (Array.isArray(v)) return Promise.all(v.map((x) => toDevice(x, device, made)));
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await toDevice(x, device, made);
    return out;
  }
  return v;
}

const lengthOf = (b: Batches): number | undefined => {
  const n = (b as { length?: unknown }).length;
  return typeof n === 'number' ? n : undefined;
};
const isDataLoader = (b: unknown) => !!b && typeof b === 'object' && typeof (b as { epochIndices?: unknown }).epochIndices === 'function';

/** Running sums kept on the device (loss * samples, metric sums). */
class Sums {
  constructor(public loss: Tensor, public metrics: Tensor[]) {}
  static zero(device: Device, n: number): Sums {
    return new Sums(keep(zeros([], { device })), Array.from({ length: n }, () => keep(zeros([], { device }))));
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
export async function evaluate<B>(model: Module, data: Batches<B>, opts: EvaluateOptions<B> = {}): Promise<Record<string, number>> {
  const lossFn: LossFn = opts.lossFn ?? crossEntropy;
  const metrics = resolveMetrics(opts.metrics ?? (opts.lossFn ? [] : ['accuracy']));
  const device = opts.device ?? modelDevice(model);
  const r = await runEval(model, data, { lossFn, metrics, device, forward: opts.forward ?? defaultForward, unpack: opts.unpack ?? defaultUnpack, dispose: opts.disposeBatches ?? isDataLoader(data) });
  const out: Record<string, number> = { loss: r.loss, samples: r.samples };
  metrics.forEach((m, i) => { out[m.name] = r.metrics[i]; });
  return out;
}

const defaultForward = (model: Module, input: unknown) => model.call(input as never);

function modelDevice(model: Module): Device {
  const p = model.parameters()[0] ?? model.buffers()[0];
  return p ? p.device : defaultDevice();
}

interface EvalCtx<B> {
  lossFn: (output: any, target: any) => Tensor; // eslint-disable-line @typescript-eslint/no-explicit-any
  metrics: Metric[];
  device: Device;
  forward: (model: Module, input: any) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  unpack: (batch: B) => Unpacked;
  dispose: boolean;
}

async function runEval<B>(model: Module, data: Batches<B>, c: EvalCtx<B>): Promise<{ loss: number; metrics: number[]; samples: number }> {
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
        sums.swap(scope(() => noGrad(() => {
          const out = c.forward(model, input);
          const loss = c.lossFn(out, target);
          return { loss: sums.loss.add(loss.mul(n)), metrics: c.metrics.map((m, i) => sums.metrics[i].add(m.sum(out, target))) };
        })));
        samples += n;
      } finally {
        for (const t of made) t.dispose();
        if (c.dispose) for (const t of tensorsIn(batch)) t.dispose();
      }
    }
    const r = await sums.read();
    return { loss: r.loss / Math.max(1, samples), metrics: r.metrics.map((v) => v / Math.max(1, samples)), samples };
  } finally {
    sums.dispose();
    model.train(wasTraining);
  }
}

const lossLike = (key: string) => /loss$/i.test(key);

/**
 * Train `model` for `epochs` epochs. Returns the history (one record per epoch, the best epoch,
 * whether it stopped early or was interrupted, the files written).
 */
export async function fit<B = unknown>(model: Module, opts: FitOptions<B>): Promise<History> {
  const o = opts;
  if (!o || typeof o !== 'object') throw new ArgumentError('fit(model, { train, optimizer, epochs, ... })');
  if (!o.train) throw new ArgumentError('fit: `train` (the training batches) is required');
  if (!o.optimizer) throw new ArgumentError('fit: `optimizer` is required');
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new ArgumentError(`fit: epochs must be a positive integer, got ${o.epochs}`);
  const accumulate = o.accumulateSteps ?? 1;
  if (!Number.isInteger(accumulate) || accumulate < 1) throw new ArgumentError(`fit: accumulateSteps must be a positive integer, got ${o.accumulateSteps}`);
  if (o.clipGradNorm !== undefined && !(o.clipGradNorm > 0)) throw new ArgumentError(`fit: clipGradNorm must be positive, got ${o.clipGradNorm}`);
  const logEvery = o.logEvery ?? 25;
  if (!Number.isInteger(logEvery) || logEvery < 1) throw new ArgumentError(`fit: logEvery must be a positive integer, got ${o.logEvery}`);
  if (o.resume === true && !o.checkpointDir) throw new ArgumentError('fit: resume: true needs checkpointDir');
  if (o.schedulerStep === 'batch' && o.scheduler instanceof ReduceLROnPlateau) throw new ArgumentError('fit: ReduceLROnPlateau steps on the monitored value once per epoch (schedulerStep: "epoch")');

  const { optimizer, scheduler } = o;
  const device = o.device ?? modelDevice(model);
  if (o.device) {
    const away = [...model.parameters(), ...model.buffers()].some((t) => t.device !== device);
    if (away) await model.toAsync(device);
  }
  const lossFn: LossFn = o.lossFn ?? crossEntropy;
  const metrics = resolveMetrics(o.metrics ?? (o.lossFn ? [] : ['accuracy']));
  const monitor = o.monitor ?? (o.val ? 'valLoss' : 'trainLoss');
  const monitorMode = o.monitorMode ?? (lossLike(monitor) ? 'min' : 'max');
  const es: EarlyStopping | null = o.earlyStopping === undefined ? null : typeof o.earlyStopping === 'number' ? { patience: o.earlyStopping } : o.earlyStopping;
  if (es && (!Number.isInteger(es.patience) || es.patience < 0)) throw new ArgumentError(`fit: earlyStopping patience must be a non-negative integer, got ${es.patience}`);
  const esMonitor = es?.monitor ?? monitor;
  const esMode = es?.mode ?? (es?.monitor ? (lossLike(es.monitor) ? 'min' : 'max') : monitorMode);
  const emaDecay = o.ema === undefined ? null : typeof o.ema === 'number' ? o.ema : o.ema.decay;
  const ema = emaDecay === null ? null : new EMA(model, emaDecay);
  const forward = o.forward ?? defaultForward;
  const unpack = (o.unpack ?? defaultUnpack) as (b: B) => Unpacked;
  const disposeTrain = o.disposeBatches ?? isDataLoader(o.train);
  const disposeVal = o.disposeBatches ?? isDataLoader(o.val);
  const loaderGen = (o.train as { generator?: unknown }).generator;
  const generators = o.generators ?? [defaultGenerator, ...(loaderGen instanceof Generator && loaderGen !== defaultGenerator ? [loaderGen] : [])];
  const progress = new Progress(o.log ?? 'auto');

  const dir = o.checkpointDir;
  const files: History['files'] = {};
  if (dir) {
    await mkdir(dir, { recursive: true });
    files.model = join(dir, 'model.safetensors');
    files.checkpoint = join(dir, 'checkpoint.safetensors');
    files.metrics = join(dir, 'metrics.jsonl');
    files.curve = join(dir, 'curve.svg');
  }
  const history: History = { epochs: [], best: null, stoppedEarly: false, interrupted: false, files };
  let startEpoch = 0;
  let esBest: number | null = null;
  let esWait = 0;

  // ---- resume ----
  const resumePath = o.resume === true ? files.checkpoint! : typeof o.resume === 'string' ? o.resume : null;
  if (resumePath) {
    const st = await restore(resumePath);
    startEpoch = st.epoch;
    history.epochs.push(...st.records);
    history.best = st.best;
    esBest = st.esBest;
    esWait = st.esWait;
    progress.line(`resumed from ${resumePath} after epoch ${startEpoch}${st.interrupted ? ' (interrupted mid-epoch: that epoch restarts)' : ''}`);
  } else if (files.metrics) {
    await writeFile(files.metrics, '');
  }

  async function restore(path: string) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (e) {
      throw new CheckpointError(`fit: cannot read the resume checkpoint '${path}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    const { tensors, payload: p } = loadBundle(bytes, `'${path}'`);
    try {
      const epoch = p.epoch as number;
      // rebuild the param groups the run had (gradual unfreezing adds them) before loading the optimizer
      if (o.unfreeze) for (let e = 0; e < epoch; e++) applyEpochCallback(e);
      const msd: Record<string, Tensor> = {};
      for (const [k, t] of Object.entries(tensors)) if (k.startsWith('model.')) msd[k.slice(6)] = t;
      model.loadStateDict(msd);
      optimizer.loadStateDict(unflatten(p.optimizer, tensors) as never);
      if (scheduler) {
        if (p.scheduler === undefined) throw new CheckpointError(`fit: the checkpoint '${path}' has no scheduler state but a scheduler was given`);
        scheduler.loadStateDict(p.scheduler as Record<string, unknown>);
      }
      if (ema) {
        const shadow = ema.shadow.map((_, i) => tensors[`ema.${i}`]);
        if (shadow.some((t) => !t)) throw new CheckpointError(`fit: the checkpoint '${path}' has no EMA weights but ema was given`);
        ema.load(shadow);
      }
      const gens = p.generators as number[][] | undefined;
      if (gens) generators.forEach((g, i) => { if (gens[i]) g.setState(Uint32Array.from(gens[i])); });
      return {
        epoch,
        records: (p.history as EpochRecord[]) ?? [],
        best: (p.best as History['best']) ?? null,
        esBest: (p.esBest as number | null) ?? null,
        esWait: (p.esWait as number) ?? 0,
        interrupted: !!p.interrupted,
      };
    } finally {
      for (const t of Object.values(tensors)) t.dispose();
    }
  }

  function applyEpochCallback(epoch: number): string[] | undefined {
    if (!o.unfreeze) return undefined;
    const before = optimizer.paramGroups.length;
    const ev = o.unfreeze.onEpochStart(epoch, optimizer);
    // keep an LR scheduler's per-group lists in step with groups added to the optimizer
    const added = optimizer.paramGroups.slice(before);
    if (added.length && scheduler) {
      const s = scheduler as unknown as { baseLrs?: number[]; minLrs?: number[]; _lastLr?: number[] };
      for (const g of added) {
        if (Array.isArray(s.baseLrs) && s.baseLrs.length < optimizer.paramGroups.length) s.baseLrs.push(g.initialLr ?? g.lr);
        if (Array.isArray(s.minLrs) && s.minLrs.length < optimizer.paramGroups.length) s.minLrs.push(s.minLrs[0] ?? 0);
        if (Array.isArray(s._lastLr) && s._lastLr.length < optimizer.paramGroups.length) s._lastLr.push(g.lr);
      }
    }
    return ev ? ev.unfrozen : undefined;
  }

  async function saveCheckpoint(epochsDone: number, interrupted: boolean): Promise<void> {
    if (!files.checkpoint) return;
    const tensors: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(model.stateDict())) tensors[`model.${k}`] = t;
    const osd = optimizer.stateDict();
    const optJson = flatten(osd, 'optimizer', tensors);
    ema?.shadow.forEach((t, i) => { tensors[`ema.${i}`] = t; });
    const live = new Set<Tensor>();
    for (const st of optimizer.state.values()) for (const v of Object.values(st)) if (v instanceof Tensor) live.add(v);
    try {
      await saveBundle(files.checkpoint, tensors, {
        epoch: epochsDone, interrupted, optimizer: optJson, scheduler: scheduler?.stateDict(),
        generators: generators.map((g) => Array.from(g.getState())), history: history.epochs, best: history.best, esBest, esWait,
      });
    } finally {
      // stateDict() views and tensors made for it (Adam's step) are ours to free; optimizer state is not
      for (const [k, t] of Object.entries(tensors)) if (k.startsWith('model.') || (k.startsWith('optimizer.') && !live.has(t))) t.dispose();
    }
  }

  async function saveBest(): Promise<void> {
    if (!files.model) return;
    const sd = model.stateDict();
    try {
      await save(sd, files.model);
    } finally {
      for (const t of Object.values(sd)) t.dispose();
    }
  }

  // ---- stop requests: Ctrl-C and the abort signal ----
  let stop: 'interrupt' | null = null;
  const onSigint = () => {
    if (stop) process.exit(130); // second Ctrl-C: give up at once
    stop = 'interrupt';
    progress.line('interrupted: finishing this step and saving a checkpoint (Ctrl-C again to quit now)');
  };
  const onAbort = () => { stop = 'interrupt'; };
  if (o.handleSigint ?? true) process.on('SIGINT', onSigint);
  o.signal?.addEventListener('abort', onAbort);
  if (o.signal?.aborted) stop = 'interrupt';

  const evalCtx = (data: Batches<B>): [Batches<B>, EvalCtx<B>] => [data, { lossFn, metrics, device, forward, unpack, dispose: disposeVal }];
  const trainable = () => model.parameters().filter((p) => p.requiresGrad);

  try {
    for (let epoch = startEpoch; epoch < o.epochs && !stop; epoch++) {
      const t0 = performance.now();
      const unfrozen = applyEpochCallback(epoch);
      if (unfrozen && unfrozen.length) progress.line(`epoch ${epoch + 1}: unfroze ${unfrozen.length} parameter tensors`);
      const lrs = optimizer.paramGroups.map((g) => g.lr);
      model.train();
      const total = lengthOf(o.train);
      progress.startEpoch(`epoch ${epoch + 1}/${o.epochs}`, total);
      const sums = Sums.zero(device, metrics.length);
      let steps = 0, samples = 0, micro = 0;
      let params = trainable();
      const optimizerStep = () => {
        if (o.clipGradNorm !== undefined) clipGradNorm_(params, o.clipGradNorm);
        optimizer.step();
        ema?.update();
        optimizer.zeroGrad();
        if (scheduler && o.schedulerStep === 'batch') scheduler.step();
      };
      try {
        optimizer.zeroGrad();
        for await (const batch of o.train as AsyncIterable<B>) {
          const made: Tensor[] = [];
          let n = 0;
          try {
            const u = unpack(batch);
            n = batchSize(u);
            const input = await toDevice(u.input, device, made);
            const target = await toDevice(u.target, device, made);
            sums.swap(scope(() => {
              const out = forward(model, input);
              const loss = lossFn(out, target);
              if (!(loss instanceof Tensor) || loss.numel() !== 1) throw new ArgumentError('fit: lossFn must return a scalar tensor');
              (accumulate > 1 ? loss.div(accumulate) : loss).backward();
              micro++;
              if (micro === accumulate) {
                optimizerStep();
                micro = 0;
              }
              return noGrad(() => ({
                loss: sums.loss.add(loss.detach().mul(n)),
                metrics: metrics.map((m, i) => sums.metrics[i].add(m.sum(out, target))),
              }));
            }));
          } finally {
            for (const t of made) t.dispose();
            if (disposeTrain) for (const t of tensorsIn(batch)) t.dispose();
          }
          steps++;
          samples += n;
          // reading back every few steps also keeps the host from running far ahead of the GPU
          if (steps % logEvery === 0) {
            const running = (await sums.loss.item()) / samples;
            progress.update(steps, samples, running);
          }
          if (stop) break;
        }
        if (micro > 0 && !stop) {
          params = trainable();
          scope(optimizerStep); // the last, partial accumulation
        }
        if (stop) {
          optimizer.zeroGrad();
          history.interrupted = true;
          await saveCheckpoint(epoch, true);
          progress.line(`checkpoint saved to ${files.checkpoint ?? '(no checkpointDir)'}`);
          break;
        }
        if (steps === 0) throw new ArgumentError(`fit: the training data gave no batches in epoch ${epoch + 1}`);
        const tr = await sums.read();
        const rec: EpochRecord = { epoch: epoch + 1, trainLoss: tr.loss / samples, lr: lrs, steps, samples, seconds: 0 };
        metrics.forEach((m, i) => { rec[`train${cap(m.name)}`] = tr.metrics[i] / samples; });
        if (o.val) {
          const v = await runEval(model, ...evalCtx(o.val));
          rec.valLoss = v.loss;
          metrics.forEach((m, i) => { rec[`val${cap(m.name)}`] = v.metrics[i]; });
          if (ema) {
            const ev = await ema.withAveraged(() => runEval(model, ...evalCtx(o.val!)));
            rec.emaValLoss = ev.loss;
            metrics.forEach((m, i) => { rec[`emaVal${cap(m.name)}`] = ev.metrics[i]; });
          }
        }
        if (unfrozen && unfrozen.length) rec.unfrozen = unfrozen;
        rec.seconds = (performance.now() - t0) / 1000;
        const value = rec[monitor];
        if (typeof value !== 'number') throw new ArgumentError(`fit: monitor '${monitor}' is not in the epoch record (keys: ${Object.keys(rec).join(', ')})`);
        if (scheduler && o.schedulerStep !== 'batch') {
          if (scheduler instanceof ReduceLROnPlateau) scheduler.step(value);
          else scheduler.step();
        }
        history.epochs.push(rec);
        const improved = !history.best || (monitorMode === 'min' ? value < history.best.value : value > history.best.value);
        if (improved) {
          history.best = { epoch: epoch + 1, monitor, value };
          await saveBest();
        }
        if (files.metrics) await appendFile(files.metrics, `${JSON.stringify(rec)}\n`);
        progress.line(summary(rec, metrics, improved && !!files.model));
        // early stopping bookkeeping happens before the checkpoint so a resumed run continues it
        let stopEarly = false;
        if (es) {
          const ev = rec[esMonitor];
          if (typeof ev !== 'number') throw new ArgumentError(`fit: earlyStopping monitor '${esMonitor}' is not in the epoch record`);
          const delta = es.minDelta ?? 0;
          const better = esBest === null || (esMode === 'min' ? ev < esBest - delta : ev > esBest + delta);
          if (better) { esBest = ev; esWait = 0; } else if (++esWait > es.patience) stopEarly = true;
        }
        await saveCheckpoint(epoch + 1, false);
        if (stopEarly) {
          history.stoppedEarly = true;
          progress.line(`early stopping: ${esMonitor} has not improved for ${es!.patience + 1} epochs (best ${fmtNum(esBest)})`);
          break;
        }
        if (o.onEpoch && (await o.onEpoch(rec, history)) === false) break;
      } finally {
        sums.dispose();
      }
    }
    // a stop between two epochs: the finished epoch's checkpoint is already saved
    const done = history.epochs.length ? history.epochs[history.epochs.length - 1].epoch : startEpoch;
    if (stop && !history.interrupted && !history.stoppedEarly && done < o.epochs) {
      history.interrupted = true;
      progress.line(`stopped after epoch ${done}; checkpoint in ${files.checkpoint ?? '(no checkpointDir)'}`);
    }
  } finally {
    process.off('SIGINT', onSigint);
    o.signal?.removeEventListener('abort', onAbort);
    ema?.dispose();
    optimizer.zeroGrad();
  }
  if (files.curve) await writeAtomic(files.curve, learningCurveSvg(history.epochs as unknown as Record<string, unknown>[]));
  if (history.best && progress.enabled && history.epochs.length) {
    progress.line(`best ${history.best.monitor} ${fmtNum(history.best.value)} at epoch ${history.best.epoch}${files.model ? ` (saved to ${files.model})` : ''}`);
  }
  return history;
}

function summary(r: EpochRecord, metrics: Metric[], saved: boolean): string {
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

