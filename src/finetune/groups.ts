// Parameter groups for discriminative learning rates: `paramGroups(model, [{ match: 'fc.*', lr: 1e-2 },
// { match: 'layer4.**', lr: 1e-3 }])` gives optimizer param groups in which every trainable
// parameter appears exactly once (the first spec that selects it wins; the rest form a last group
// that takes the optimizer's defaults) and frozen parameters appear nowhere.
import { ArgumentError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { ParamGroupInput } from '../optim/optimizer.js';
import type { Parameter } from '../nn/parameter.js';
import { asPatterns, describeNames, selects, type Patterns } from './patterns.js';

export interface GroupSpec {
  /** name pattern(s), as for `freeze` */
  match: Patterns;
  /** any optimizer option for this group: lr, weightDecay, momentum, betas, ... */
  [option: string]: unknown;
}

export interface ParamGroupOut extends ParamGroupInput {
  params: Parameter[];
}

/**
 * Optimizer param groups from name patterns. Specs that select no trainable parameter give no group
 * (a pattern that selects no parameter at all is an error, as it is most likely a typo); the
 * default group comes last and is left out when empty. `groupNames` (non-enumerable on the result)
 * lists each group's parameter names, for printing.
 */
export function paramGroups(model: Module, specs: readonly GroupSpec[]): ParamGroupOut[] & { groupNames: string[][] } {
  if (!Array.isArray(specs))
    throw new ArgumentError(`paramGroups: expected an array of { match, ...options }, got ${typeof specs}`);
  const named = model.namedParameters();
  const all = named.map(([n]) => n);
  const taken = new Set<string>();
  const groups: ParamGroupOut[] = [];
  const names: string[][] = [];
  specs.forEach((spec, i) => {
    if (!spec || typeof spec !== 'object' || spec.match === undefined)
      throw new ArgumentError(`paramGroups: spec ${i} needs a 'match' pattern`);
    if ('params' in spec)
      throw new ArgumentError(`paramGroups: spec ${i} gives 'params'; the parameters come from 'match'`);
    const pats = asPatterns(spec.match, 'paramGroups');
    for (const pat of pats) {
      if (!all.some((n) => selects(pat, n)))
        throw new ArgumentError(
          `paramGroups: pattern '${pat}' (spec ${i}) matches no parameter (${describeNames(all)})`,
        );
    }
    const { match: _match, ...options } = spec;
    const mine = named.filter(([n, p]) => p.requiresGrad && !taken.has(n) && pats.some((pat) => selects(pat, n)));
    for (const [n] of mine) taken.add(n);
    if (mine.length) {
      groups.push({ ...options, params: mine.map(([, p]) => p) });
      names.push(mine.map(([n]) => n));
    }
  });
  const rest = named.filter(([n, p]) => p.requiresGrad && !taken.has(n));
  if (rest.length) {
    groups.push({ params: rest.map(([, p]) => p) });
    names.push(rest.map(([n]) => n));
  }
  if (groups.length === 0)
    throw new ArgumentError('paramGroups: the model has no trainable parameters (everything is frozen)');
  return Object.defineProperty(groups, 'groupNames', { value: names, enumerable: false }) as ParamGroupOut[] & {
    groupNames: string[][];
  };
}
