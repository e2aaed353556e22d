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
// - in `checkpointDir`: the best weights, a resume checkpoint, `metrics.jsonl` and the learning
//   curve, written by fit/checkpointer.ts; the options and their defaults are in fit/options.ts.
// - stopping: `signal` (an AbortSignal), or Ctrl-C with `handleSigint: true` (off by default: a
//   library does not own the process). The current step finishes (or validation is abandoned), the
//   resume checkpoint records the position inside the epoch — batch, accumulated gradients, running
//   sums, generator states — and fit returns `interrupted: true`. A run resumed from it continues
//   exactly as an uninterrupted one, bit for bit.
import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { clipGradNorm_ } from '../nn/utils.js';
import { ReduceLROnPlateau } from '../optim/plateau.js';
import { scope } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';
import { batchSize, lengthOf, modelDevice, tensorsIn, toDevice, type Batches } from './fit/batches.js';
import { Checkpointer } from './fit/checkpointer.js';
import type { EarlyStopping } from './fit/early-stopper.js';
import { checkFinite } from './fit/errors.js';
import { runEval, Sums, type EvalCtx } from './fit/evaluate.js';
import { summary, type EpochRecord, type History } from './fit/history.js';
import { checkFitOptions, fitSettings, type FitOptions } from './fit/options.js';
import { generatorStates, type EpochPosition, type FitParts } from './fit/resume-state.js';
import { StopRequests } from './fit/stop.js';
import { epochBatches } from './fit/train-batches.js';
import { cap } from './metrics.js';
import { fmtNum, Progress } from './progress.js';

export { evaluate, type EvaluateOptions } from './fit/evaluate.js';
export { NonFiniteLossError } from './fit/errors.js';
export type { Batches, EarlyStopping, EpochRecord, FitOptions, History };

/**
 * Train `model` for `epochs` epochs. Returns the history (one record per epoch, the best epoch,
 * whether it stopped early or was interrupted, the files written).
 *
 * ```ts
 * const history = await finetune.fit(model, {
 *   train: new data.DataLoader(trainSet, { batchSize: 32, shuffle: true }),
 *   val: new data.DataLoader(valSet, { batchSize: 64 }),
 *   optimizer: new optim.SGD(model.parameters().filter((p) => p.requiresGrad), { lr: 1e-3, momentum: 0.9 }),
 *   epochs: 5,
 *   metrics: ['accuracy'],
 *   checkpointDir: 'run',        // best weights, resume checkpoint, metrics.jsonl, curve.svg
 *   earlyStopping: 3,            // epochs without improvement of the monitored value (val loss)
 * });
 * console.log(history.best);
 * ```
 */
export async function fit<B = unknown>(model: Module, opts: FitOptions<B>): Promise<History> {
  const o = opts;
  checkFitOptions(o);
  const { optimizer, scheduler } = o;
  const device = o.device ?? modelDevice(model);
  if (o.device) {
    const away = [...model.parameters(), ...model.buffers()].some((t) => t.device !== device);
    if (away) await model.toAsync(device);
  }
  const {
    accumulate,
    logEvery,
    lossFn,
    metrics,
    monitor,
    monitorMode,
    es,
    ema,
    forward,
    unpack,
    disposeTrain,
    disposeVal,
    generators,
  } = fitSettings(model, o);
  const parts: FitParts = { model, optimizer, scheduler, ema, generators };
  const progress = new Progress(o.log ?? 'auto');

  const ckpt = await Checkpointer.open(o.checkpointDir, parts);
  const { files } = ckpt;
  const history: History = { epochs: [], best: null, stoppedEarly: false, interrupted: false, files };
  let startEpoch = 0;
  let resumeAt: EpochPosition | null = null;

  const resumePath = ckpt.resumePath(o.resume);
  if (resumePath) {
    const st = await ckpt.resume(resumePath, (epochs) => {
      for (let e = 0; e < epochs; e++) applyEpochCallback(e);
    });
    startEpoch = st.epoch;
    resumeAt = st.position;
    history.epochs.push(...st.history);
    history.best = st.best;
    es?.load(st.es);
    const at = resumeAt
      ? `, continuing epoch ${startEpoch + 1} ${resumeAt.trainDone ? 'at its validation' : `at step ${resumeAt.batch + 1}`}`
      : '';
    progress.line(`resumed from ${resumePath} after epoch ${startEpoch}${at}`);
  }
  await ckpt.startMetrics(history.epochs);

  function applyEpochCallback(epoch: number): string[] | undefined {
    if (!o.unfreeze) return undefined;
    // groups it adds reach the schedulers through the optimizer (onParamGroupAdded)
    const ev = o.unfreeze.onEpochStart(epoch, optimizer);
    return ev ? ev.unfrozen : undefined;
  }

  /** Save the resume checkpoint: after `epochsDone` epochs, or inside the next one at `position`. */
  const saveCheckpoint = (epochsDone: number, position: EpochPosition | null) =>
    ckpt.saveResume({
      epoch: epochsDone,
      position,
      history: history.epochs,
      best: history.best,
      es: es?.state() ?? { esBest: null, esWait: 0 },
    });

  const stop = new StopRequests(o.signal, o.handleSigint ?? false, (l) => progress.line(l));
  const evalCtx = (data: Batches<B>): [Batches<B>, EvalCtx<B>] => [
    data,
    { lossFn, metrics, device, forward, unpack, dispose: disposeVal, stop: () => stop.requested },
  ];
  const trainable = () => model.parameters().filter((p) => p.requiresGrad);

  try {
    for (let epoch = startEpoch; epoch < o.epochs && !stop.requested; epoch++) {
      const at = epoch === startEpoch ? resumeAt : null;
      const t0 = performance.now() - (at?.seconds ?? 0) * 1000;
      const unfrozen = at ? at.unfrozen : applyEpochCallback(epoch);
      if (!at && unfrozen && unfrozen.length)
        progress.line(`epoch ${epoch + 1}: unfroze ${unfrozen.length} parameter tensors`);
      const lrs = at ? at.lrs : optimizer.paramGroups.map((g) => g.lr);
      const epochStartGenerators = at ? at.epochStartGenerators : generatorStates(generators);
      model.train();
      const total = lengthOf(o.train);
      progress.startEpoch(`epoch ${epoch + 1}/${o.epochs}`, total);
      const sums = at ? Sums.of(device, at.sums) : Sums.zero(device, metrics.length);
      let steps = at?.batch ?? 0,
        samples = at?.samples ?? 0,
        micro = at?.micro ?? 0,
        trainDone = at?.trainDone ?? false;
      let lastRead = steps; // the last step whose running loss was read back finite
      let afterStep = at ? at.generators : epochStartGenerators; // generator states after the last step
      const params = trainable();
      const optimizerStep = () => {
        if (o.clipGradNorm !== undefined) clipGradNorm_(params, o.clipGradNorm);
        optimizer.step();
        ema?.update();
        optimizer.zeroGrad();
        if (scheduler && o.schedulerStep === 'batch' && !(scheduler instanceof ReduceLROnPlateau)) scheduler.step(); // (refused by checkFitOptions)
      };
      const position = async (): Promise<EpochPosition> => ({
        batch: steps,
        samples,
        micro,
        trainDone,
        lrs,
        seconds: (performance.now() - t0) / 1000,
        unfrozen,
        sums: await sums.read(),
        epochStartGenerators,
        generators: afterStep,
      });
      const interrupt = async () => {
        history.interrupted = true;
        const pos = await position();
        await saveCheckpoint(epoch, pos);
        const where = trainDone ? 'during validation' : `after step ${steps}${total ? ` of ${total}` : ''}`;
        progress.line(
          `interrupted in epoch ${epoch + 1} ${where}; checkpoint saved to ${files.checkpoint ?? '(no checkpointDir)'}`,
        );
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
              sums.swap(
                scope(() => {
                  const out = forward(model, input);
                  const loss = lossFn(out, target);
                  if (!(loss instanceof Tensor) || loss.numel() !== 1)
                    throw new ArgumentError('fit: lossFn must return a scalar tensor');
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
                }),
              );
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
        const rec: EpochRecord = {
          epoch: epoch + 1,
          trainLoss: tr.loss / samples,
          lr: lrs,
          steps,
          samples,
          seconds: 0,
        };
        checkFinite(
          'training loss',
          rec.trainLoss,
          epoch,
          lastRead < steps ? `, between steps ${lastRead + 1} and ${steps}` : '',
        );
        metrics.forEach((m, i) => {
          rec[`train${cap(m.name)}`] = tr.metrics[i] / samples;
        });
        afterStep = generatorStates(generators); // validation is redone from here when stopped during it
        if (o.val) {
          const v = await runEval(model, ...evalCtx(o.val));
          const ev = v && ema ? await ema.withAveraged(() => runEval(model, ...evalCtx(o.val!))) : null;
          if (!v || (ema && !ev)) {
            await interrupt();
            break;
          }
          rec.valLoss = v.loss;
          metrics.forEach((m, i) => {
            rec[`val${cap(m.name)}`] = v.metrics[i];
          });
          checkFinite('validation loss', v.loss, epoch, '');
          if (ev) {
            rec.emaValLoss = ev.loss;
            metrics.forEach((m, i) => {
              rec[`emaVal${cap(m.name)}`] = ev.metrics[i];
            });
            checkFinite('EMA validation loss', ev.loss, epoch, '');
          }
        }
        if (unfrozen?.length) rec.unfrozen = unfrozen;
        rec.seconds = (performance.now() - t0) / 1000;
        const value = rec[monitor];
        if (typeof value !== 'number')
          throw new ArgumentError(
            `fit: monitor '${monitor}' is not in the epoch record (keys: ${Object.keys(rec).join(', ')})`,
          );
        if (scheduler && o.schedulerStep !== 'batch') {
          if (scheduler instanceof ReduceLROnPlateau) scheduler.step(value);
          else scheduler.step();
        }
        history.epochs.push(rec);
        const improved =
          !history.best || (monitorMode === 'min' ? value < history.best.value : value > history.best.value);
        if (improved) {
          history.best = { epoch: epoch + 1, monitor, value };
          await ckpt.saveBest(model);
        }
        await ckpt.appendMetrics(rec);
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
  await ckpt.writeCurve(history.epochs);
  if (history.best && progress.enabled && history.epochs.length) {
    progress.line(
      `best ${history.best.monitor} ${fmtNum(history.best.value)} at epoch ${history.best.epoch}${files.model ? ` (saved to ${files.model})` : ''}`,
    );
  }
  return history;
}
