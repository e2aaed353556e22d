// fit's resume checkpoint: everything a stopped run needs to continue exactly as an uninterrupted
// one would. Tensors are entries of one safetensors file (`model.<key>`, `optimizer.state.<i>.<name>`,
// `ema.<i>`, and `grad.<i>` for gradients accumulated before an optimizer step); the rest is the JSON
// payload of checkpoint.ts: epochs done, optimizer groups, scheduler, generator states, history,
// best epoch, early-stopping state and — when stopped inside an epoch — the position in it.
import { noGrad } from '../../autograd/grad-mode.js';
import { CheckpointError } from '../../errors.js';
import type { Module } from '../../nn/module.js';
import type { Optimizer } from '../../optim/optimizer.js';
import type { Scheduler } from '../../optim/scheduler-base.js';
import { keep } from '../../tensor/memory.js';
import type { Generator } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { flatten, loadBundle, saveBundle, unflatten } from '../checkpoint.js';
import type { EMA } from '../ema.js';
import type { EpochRecord, History } from './history.js';

/** Where inside an epoch a run stopped (all of it is needed to continue bit for bit). */
export interface EpochPosition {
  /** batches of the epoch already trained */
  batch: number;
  samples: number;
  /** micro-batches whose gradients are accumulated (saved as `grad.<i>`) but not yet stepped */
  micro: number;
  /** the training pass and its last partial step are done: it stopped during validation */
  trainDone: boolean;
  /** the epoch's learning rates (its record shows them) and the seconds it had run */
  lrs: number[];
  seconds: number;
  unfrozen?: string[];
  /** the running loss and metric sums, read back */
  sums: { loss: number; metrics: number[] };
  /** generator states when the epoch began, to draw the same shuffle order again */
  epochStartGenerators: number[][];
  /** generator states when it stopped (after the last step, or before validation) */
  generators: number[][];
}

export interface ResumeState {
  /** epochs completed */
  epoch: number;
  position: EpochPosition | null;
  history: EpochRecord[];
  best: History['best'];
  es: { esBest: number | null; esWait: number };
}

export interface FitParts {
  model: Module;
  optimizer: Optimizer;
  scheduler?: Scheduler;
  ema: EMA | null;
  generators: Generator[];
}

export const generatorStates = (gens: readonly Generator[]): number[][] => gens.map((g) => Array.from(g.getState()));
export function setGeneratorStates(gens: readonly Generator[], states: readonly number[][]): void {
  gens.forEach((g, i) => {
    if (states[i]) g.setState(Uint32Array.from(states[i]));
  });
}

export async function saveResumeState(path: string, parts: FitParts, state: ResumeState): Promise<void> {
  const { model, optimizer, scheduler, ema } = parts;
  const tensors: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(model.stateDict())) tensors[`model.${k}`] = t;
  const optJson = flatten(optimizer.stateDict(), 'optimizer', tensors);
  ema?.shadow.forEach((t, i) => {
    tensors[`ema.${i}`] = t;
  });
  if (state.position && state.position.micro > 0) {
    model.parameters().forEach((p, i) => {
      if (p.grad) tensors[`grad.${i}`] = p.grad;
    });
  }
  const live = new Set<Tensor>();
  for (const st of optimizer.state.values()) for (const v of Object.values(st)) if (v instanceof Tensor) live.add(v);
  try {
    await saveBundle(path, tensors, {
      epoch: state.epoch,
      interrupted: state.position !== null,
      position: state.position,
      optimizer: optJson,
      scheduler: scheduler?.stateDict(),
      generators: state.position ? state.position.generators : generatorStates(parts.generators),
      history: state.history,
      best: state.best,
      ...state.es,
    });
  } finally {
    // stateDict() views and tensors made for it (Adam's step) are ours to free; optimizer state, EMA and .grad are not
    for (const [k, t] of Object.entries(tensors))
      if (k.startsWith('model.') || (k.startsWith('optimizer.') && !live.has(t))) t.dispose();
  }
}

/**
 * Load a resume checkpoint into the parts. `rebuild(epochs)` replays what happened to the model and
 * optimizer at the start of each of the first `epochs` epochs (gradual unfreezing adds param groups),
 * before the optimizer state is loaded.
 */
export async function loadResumeState(
  bytes: Uint8Array,
  path: string,
  parts: FitParts,
  rebuild: (epochs: number) => void,
): Promise<ResumeState> {
  const { model, optimizer, scheduler, ema } = parts;
  const { tensors, payload: p } = loadBundle(bytes, `'${path}'`);
  try {
    const epoch = p.epoch as number;
    const position = (p.position as EpochPosition | undefined) ?? null;
    rebuild(position ? epoch + 1 : epoch);
    const msd: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(tensors)) if (k.startsWith('model.')) msd[k.slice(6)] = t;
    model.loadStateDict(msd);
    optimizer.loadStateDict(unflatten(p.optimizer, tensors) as never);
    if (scheduler) {
      if (p.scheduler === undefined)
        throw new CheckpointError(`fit: the checkpoint '${path}' has no scheduler state but a scheduler was given`);
      scheduler.loadStateDict(p.scheduler as Record<string, unknown>);
    }
    if (ema) {
      const shadow = ema.shadow.map((_, i) => tensors[`ema.${i}`]);
      if (shadow.some((t) => !t))
        throw new CheckpointError(`fit: the checkpoint '${path}' has no EMA weights but ema was given`);
      ema.load(shadow);
    }
    const params = model.parameters();
    for (const [k, t] of Object.entries(tensors)) {
      if (!k.startsWith('grad.')) continue;
      const param = params[Number(k.slice(5))];
      if (!param || param.shape.join() !== t.shape.join())
        throw new CheckpointError(
          `fit: the checkpoint '${path}' holds gradient '${k}' of shape [${t.shape.join(', ')}] that matches no parameter of the model`,
        );
      param.grad = keep(noGrad(() => (t.device === param.device ? t.clone() : t.to(param.device))));
    }
    const gens = p.generators as number[][] | undefined;
    if (gens) setGeneratorStates(parts.generators, gens);
    return {
      epoch,
      position,
      history: (p.history as EpochRecord[]) ?? [],
      best: (p.best as History['best']) ?? null,
      es: { esBest: (p.esBest as number | null) ?? null, esWait: (p.esWait as number) ?? 0 },
    };
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}
