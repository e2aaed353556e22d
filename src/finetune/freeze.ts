// freeze / unfreeze by name pattern (see patterns.ts), and the classic BatchNorm pitfall: a frozen
// BatchNorm layer must also stop updating its running statistics and normalise with them, i.e. stay
// in eval mode — even after the training loop calls `model.train()`. BatchNorm layers carry a
// `frozenStats` flag their `train()` honours; `freeze` sets it for every BatchNorm whose parameters
// are all frozen, `unfreeze` clears it.
import type { Module } from '../nn/module.js';
import { asPatterns, selectNames, selects, type Patterns } from './patterns.js';

export interface FreezeOptions {
  /**
   * Put BatchNorm layers whose parameters are all frozen in eval mode and keep them there through
   * later `model.train()` calls (running statistics stay as loaded). Default true.
   */
  freezeBatchNormStats?: boolean;
}

/** A batch-norm layer: it keeps running statistics that train mode updates. */
export function isBatchNorm(m: Module): boolean {
  return m._buffers.has('running_mean') && m._buffers.has('running_var');
}

interface StatsFlag {
  frozenStats?: boolean;
}

/** Whether a BatchNorm layer's running statistics are frozen (it stays in eval mode). */
export function statsFrozen(m: Module): boolean {
  return (m as unknown as StatsFlag).frozenStats === true;
}

function setStatsFrozen(m: Module, frozen: boolean, trainMode: boolean): void {
  (m as unknown as StatsFlag).frozenStats = frozen;
  m.train(frozen ? false : trainMode);
}

function setRequiresGrad(
  model: Module,
  patterns: Patterns | undefined,
  value: boolean,
  what: string,
): { changed: string[]; selected: Set<string> } {
  const named = model.namedParameters();
  const names = named.map(([n]) => n);
  const selected = new Set(patterns === undefined ? names : selectNames(names, patterns, what));
  const changed: string[] = [];
  for (const [n, p] of named) {
    if (!selected.has(n) || p.requiresGrad === value) continue;
    if (value && p.dtype !== 'float32') continue; // integer parameters can never train
    p.requiresGrad = value;
    changed.push(n);
  }
  return { changed, selected };
}

/** BatchNorm layers under `patterns` (all when undefined), including parameterless (affine: false) ones. */
function batchNorms(model: Module, patterns: Patterns | undefined): [string, Module][] {
  const pats = patterns === undefined ? null : asPatterns(patterns, 'freeze');
  return model
    .namedModules()
    .filter(([path, m]) => isBatchNorm(m) && (!pats || pats.some((p) => path !== '' && selects(p, path))));
}

/**
 * Freeze the parameters selected by `patterns` (all of them when omitted): `requiresGrad = false`,
 * so backward computes no gradient for them and the optimizer skips them. Returns the names that
 * changed (already frozen ones are not listed). A pattern that selects nothing throws.
 */
export function freeze(model: Module, patterns?: Patterns, opts: FreezeOptions = {}): string[] {
  const { freezeBatchNormStats = true } = opts;
  if (patterns !== undefined) asPatterns(patterns, 'freeze');
  const { changed } = setRequiresGrad(model, patterns, false, 'freeze');
  if (freezeBatchNormStats) {
    const named = new Set(batchNorms(model, patterns).map(([, m]) => m));
    for (const [, m] of model.namedModules()) {
      if (!isBatchNorm(m) || statsFrozen(m)) continue;
      const own = m.parameters({ recurse: false });
      // affine layers: frozen when all their parameters are; affine=false ones: when a pattern names them
      const frozen = own.length ? own.every((p) => !p.requiresGrad) : named.has(m);
      if (frozen) setStatsFrozen(m, true, model.training);
    }
  }
  return changed;
}

/**
 * Make the parameters selected by `patterns` (all when omitted) trainable again, and let BatchNorm
 * layers with a trainable parameter follow `model.train()`/`eval()` again (they take the model's
 * current mode). Returns the names that changed. A pattern that selects nothing throws.
 */
export function unfreeze(model: Module, patterns?: Patterns): string[] {
  if (patterns !== undefined) asPatterns(patterns, 'unfreeze');
  const { changed } = setRequiresGrad(model, patterns, true, 'unfreeze');
  const named = new Set(batchNorms(model, patterns).map(([, m]) => m));
  for (const [, m] of model.namedModules()) {
    if (!isBatchNorm(m) || !statsFrozen(m)) continue;
    const own = m.parameters({ recurse: false });
    if (own.length ? own.some((p) => p.requiresGrad) : named.has(m)) setStatsFrozen(m, false, model.training);
  }
  return changed;
}
