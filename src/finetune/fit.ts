// fit: the training loop PyTorch users write by hand, done right.
//
// - train()/eval() switching; evaluation under noGrad.
// - one torch.scope per step, so everything a step makes is freed when it ends (memory stays flat);
//   the running loss and metric sums stay on the device and are read back every `logEvery` steps
//   and once per epoch, not after every step. A NaN or infinite loss seen there stops the run with
//   NonFiniteLossError, before it can overwrite the best weights or the resume checkpoint.
// - gradient accumulation, gradient clipping, an EMA of the weights evaluated alongside, LR
//   schedulers per epoch or per batch (ReduceLROnPlateau gets the monitored value), gradual
//   unfreezing, early stopping.
// - in `checkpointDir`: the best weights (`model.safetensors`, a plain state dict), a resume
//   checkpoint (`checkpoint.safetensors`, see fit/resume-state.ts), `metrics.jsonl` (one line per
//   epoch) and the learning curve `curve.svg`.
// - stopping: `signal` (an AbortSignal), or Ctrl-C with `handleSigint: true` (off by default: a
//   library does not own the process). The current step finishes (or validation is abandoned), the
//   resume checkpoint records the position inside the epoch — batch, accumulated gradients, running
//   sums, generator states — and fit returns `interrupted: true`. A run resumed from it continues
//   exactly as an uninterrupted one, bit for bit.
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArgumentError, CheckpointError } from '../errors.js';
import { crossEntropy } from '../nn/functional/loss.js';
import type { Module } from '../nn/module.js';
import { clipGradNorm_ } from '../nn/utils.js';
import type { Optimizer } from '../optim/optimizer.js';
import { ReduceLROnPlateau } from '../optim/plateau.js';
import type { Scheduler } from '../optim/scheduler-base.js';
import type { Device } from '../tensor/device.js';
import { scope } from '../tensor/memory.js';
import { noGrad } from '../autograd/grad-mode.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { writeAtomic } from './checkpoint.js';
import { learningCurveSvg } from './curve.js';
import { EMA } from './ema.js';
import { batchSize, defaultForward, defaultUnpack, isDataLoader, lengthOf, modelDevice, tensorsIn, toDevice, type Batches, type Unpacked } from './fit/batches.js';
import { EarlyStopper, lossLike, type EarlyStopping } from './fit/early-stopper.js';
import { NonFiniteLossError } from './fit/errors.js';
import { runEval, Sums, type EvalCtx } from './fit/evaluate.js';
import { summary, type EpochRecord, type History } from './fit/history.js';
import { generatorStates, loadResumeState, saveResumeState, type EpochPosition, type FitParts } from './fit/resume-state.js';
import { StopRequests } from './fit/stop.js';
import { epochBatches } from './fit/train-batches.js';
import { cap, resolveMetrics, type MetricSpec } from './metrics.js';
import { fmtNum, Progress, type LogOption } from './progress.js';
import type { EpochCallback } from './schedule.js';
import { save } from '../io/index.js';

export { evaluate, type EvaluateOptions } from './fit/evaluate.js';
export { NonFiniteLossError } from './fit/errors.js';
export type { Batches, EarlyStopping, EpochRecord, History };

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
  const es = EarlyStopper.from(o.earlyStopping, monitor, monitorMode);
  const emaDecay = o.ema === undefined ? null : typeof o.ema === 'number' ? o.ema : o.ema.decay;
  const ema = emaDecay === null ? null : new EMA(model, emaDecay);
  const forward = o.forward ?? defaultForward;
  const unpack = (o.unpack ?? defaultUnpack) as (b: B) => Unpacked;
  const disposeTrain = o.disposeBatches ?? isDataLoader(o.train);
  const disposeVal = o.disposeBatches ?? isDataLoader(o.val);
  const loaderGen = (o.train as { generator?: unknown }).generator;
  const generators = o.generators ?? [defaultGenerator, ...(loaderGen instanceof Generator && loaderGen !== defaultGenerator ? [loaderGen] : [])];
  const parts: FitParts = { model, optimizer, scheduler, ema, generators };
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
  let resumeAt: EpochPosition | null = null;

  // ---- resume ----
  const resumePath = o.resume === true ? files.checkpoint! : typeof o.resume === 'string' ? o.resume : null;
  if (resumePath) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(resumePath);
    } catch (e) {
      throw new CheckpointError(`fit: cannot read the resume checkpoint '${resumePath}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    const st = await loadResumeState(bytes, resumePath, parts, (epochs) => { for (let e = 0; e < epochs; e++) applyEpochCallback(e); });
    startEpoch = st.epoch;
    resumeAt = st.position;
    history.epochs.push(...st.history);
    history.best = st.best;
    es?.load(st.es);
    const at = resumeAt ? `, continuing epoch ${startEpoch + 1} ${resumeAt.trainDone ? 'at its validation' : `at step ${resumeAt.batch + 1}`}` : '';
    progress.line(`resumed from ${resumePath} after epoch ${startEpoch}${at}`);
  }
  // the finished epochs' lines (a kill between writing a line and the checkpoint would repeat one)
  if (files.metrics) await writeFile(files.metrics, history.epochs.map((r) => `${JSON.stringify(r)}\n`).join(''));

  function applyEpochCallback(epoch: number): string[] | undefined {
    if (!o.unfreeze) return undefined;
    // groups it adds reach the schedulers through the optimizer (onParamGroupAdded)
    const ev = o.unfreeze.onEpochStart(epoch, optimizer);
    return ev ? ev.unfrozen : undefined;
  }

  /** Save the resume checkpoint: after `epochsDone` epochs, or inside the next one at `position`. */
  async function saveCheckpoint(epochsDone: number, position: EpochPosition | null): Promise<void> {
    if (!files.checkpoint) return;
    await saveResumeState(files.checkpoint, parts, { epoch: epochsDone, position, history: history.epochs, best: history.best, es: es?.state() ?? { esBest: null, esWait: 0 } });
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

  /** NaN or ±Infinity in a loss read back: stop before anything is saved. */
  function checkFinite(key: string, value: number, epoch: number, where: string): void {
    if (Number.isFinite(value)) return;
    throw new NonFiniteLossError(`fit: the ${key} became ${value} in epoch ${epoch + 1}${where}; stopped without saving (the best weights and the resume checkpoint are those of the last good epoch). ` +
      'Check the targets (a class index outside [0, number of classes) gives NaN on webgpu), the inputs and the learning rate.', epoch + 1, key, value);
  }

  const stop = new StopRequests(o.signal, o.handleSigint ?? false, (l) => progress.line(l));
  const evalCtx = (data: Batches<B>): [Batches<B>, EvalCtx<B>] => [data, { lossFn, metrics, device, forward, unpack, dispose: disposeVal, stop: () => stop.requested }];
  const trainable = () => model.parameters().filter((p) => p.requiresGrad);

  try {
    for (let epoch = startEpoch; epoch < o.epochs && !stop.requested; epoch++) {
      const at = epoch === startEpoch ? resumeAt : null;
      const t0 = performance.now() - (at?.seconds ?? 0) * 1000;
      const unfrozen = at ? at.unfrozen : applyEpochCallback(epoch);
      if (!at && unfrozen && unfrozen.length) progress.line(`epoch ${epoch + 1}: unfroze ${unfrozen.length} parameter tensors`);
      const lrs = at ? at.lrs : optimizer.paramGroups.map((g) => g.lr);
      const epochStartGenerators = at ? at.epochStartGenerators : generatorStates(generators);
      model.train();
      const total = lengthOf(o.train);
      progress.startEpoch(`epoch ${epoch + 1}/${o.epochs}`, total);
      const sums = at ? Sums.of(device, at.sums) : Sums.zero(device, metrics.length);
      let steps = at?.batch ?? 0, samples = at?.samples ?? 0, micro = at?.micro ?? 0, trainDone = at?.trainDone ?? false;
      let lastRead = steps; // the last step whose running loss was read back finite
      let afterStep = at ? at.generators : epochStartGenerators; // generator states after the last step
      const params = trainable();
      const optimizerStep = () => {
        if (o.clipGradNorm !== undefined) clipGradNorm_(params, o.clipGradNorm);
        optimizer.step();
        ema?.update();
        optimizer.zeroGrad();
        if (scheduler && o.schedulerStep === 'batch' && !(scheduler instanceof ReduceLROnPlateau)) scheduler.step(); // (refused above)
      };
      const position = async (): Promise<EpochPosition> => ({
        batch: steps, samples, micro, trainDone, lrs, seconds: (performance.now() - t0) / 1000, unfrozen,
        sums: await sums.read(), epochStartGenerators, generators: afterStep,
      });
      const interrupt = async () => {
        history.interrupted = true;
        const pos = await position();
        await saveCheckpoint(epoch, pos);
        const where = trainDone ? 'during validation' : `after step ${steps}${total ? ` of ${total}` : ''}`;
        progress.line(`interrupted in epoch ${epoch + 1} ${where}; checkpoint saved to ${files.checkpoint ?? '(no checkpointDir)'}`);
      };
      try {
        if (!trainDone) {
          if (micro === 0) optimizer.zeroGrad(); // else: gradients restored from the checkpoint
          for await (const batch of await epochBatches(o.train, generators, at, disposeTrain)) {
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
            afterStep = generatorStates(generators);
            // reading back every few steps also keeps the host from running far ahead of the GPU
            if (steps % logEvery === 0) {
              const sum = await sums.loss.item();
              checkFinite('training loss', sum, epoch, `, between steps ${lastRead + 1} and ${steps}`);
              lastRead = steps;
              progress.update(steps, samples, sum / samples);
            }
            if (stop.requested) break;
          }
          if (stop.requested) {
            await interrupt();
            break;
          }
          if (micro > 0) scope(optimizerStep); // the last, partial accumulation
          micro = 0;
          trainDone = true;
        }
        if (steps === 0) throw new ArgumentError(`fit: the training data gave no batches in epoch ${epoch + 1}`);
        const tr = await sums.read();
        const rec: EpochRecord = { epoch: epoch + 1, trainLoss: tr.loss / samples, lr: lrs, steps, samples, seconds: 0 };
        checkFinite('training loss', rec.trainLoss, epoch, lastRead < steps ? `, between steps ${lastRead + 1} and ${steps}` : '');
        metrics.forEach((m, i) => { rec[`train${cap(m.name)}`] = tr.metrics[i] / samples; });
        afterStep = generatorStates(generators); // validation is redone from here when stopped during it
        if (o.val) {
          const v = await runEval(model, ...evalCtx(o.val));
          const ev = v && ema ? await ema.withAveraged(() => runEval(model, ...evalCtx(o.val!))) : null;
          if (!v || (ema && !ev)) {
            await interrupt();
            break;
          }
          rec.valLoss = v.loss;
          metrics.forEach((m, i) => { rec[`val${cap(m.name)}`] = v.metrics[i]; });
          checkFinite('validation loss', v.loss, epoch, '');
          if (ev) {
            rec.emaValLoss = ev.loss;
            metrics.forEach((m, i) => { rec[`emaVal${cap(m.name)}`] = ev.metrics[i]; });
            checkFinite('EMA validation loss', ev.loss, epoch, '');
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
        const stopEarly = es ? es.update(rec) : false;
        await saveCheckpoint(epoch + 1, null);
        if (stopEarly) {
          history.stoppedEarly = true;
          progress.line(`${es!.message} (best ${fmtNum(es!.best)})`);
          break;
        }
        if (o.onEpoch && (await o.onEpoch(rec, history)) === false) break;
      } finally {
        sums.dispose();
      }
    }
    // a stop between two epochs: the finished epoch's checkpoint is already saved
    const done = history.epochs.length ? history.epochs[history.epochs.length - 1].epoch : startEpoch;
    if (stop.requested && !history.interrupted && !history.stoppedEarly && done < o.epochs) {
      history.interrupted = true;
      progress.line(`stopped after epoch ${done}; checkpoint in ${files.checkpoint ?? '(no checkpointDir)'}`);
    }
  } finally {
    stop.dispose();
    ema?.dispose();
    optimizer.zeroGrad();
  }
  if (files.curve) await writeAtomic(files.curve, learningCurveSvg(history.epochs as unknown as Record<string, unknown>[]));
  if (history.best && progress.enabled && history.epochs.length) {
    progress.line(`best ${history.best.monitor} ${fmtNum(history.best.value)} at epoch ${history.best.epoch}${files.model ? ` (saved to ${files.model})` : ''}`);
  }
  return history;
}
