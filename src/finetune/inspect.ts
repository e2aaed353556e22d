// The seed's step 3, readable: which parameters train, grouped by the model's top-level children,
// with totals — and the seed's step 5 as one call (`trainableParameters`).
import type { Module } from '../nn/module.js';
import type { Parameter } from '../nn/parameter.js';
import { isBatchNorm, statsFrozen } from './freeze.js';
import { count, shapeStr, table } from './table.js';

export interface TrainabilityRow {
  /** the top-level child the parameter belongs to ('' for the model's own parameters) */
  module: string;
  /** full parameter name (`layer1.0.conv1.weight`) */
  name: string;
  shape: number[];
  /** number of elements */
  count: number;
  requiresGrad: boolean;
}

export interface TrainabilityGroup {
  module: string;
  /** class name of the child (`Sequential`, `Linear`, ...) */
  type: string;
  tensors: number;
  count: number;
  trainable: number;
  /** BatchNorm layers under this child kept in eval mode by `freeze` */
  frozenBatchNorms: number;
}

export class Trainability {
  constructor(
    readonly rows: TrainabilityRow[],
    readonly groups: TrainabilityGroup[],
  ) {}
  /** trainable parameter elements */
  get trainable(): number {
    return this.rows.reduce((s, r) => s + (r.requiresGrad ? r.count : 0), 0);
  }
  /** frozen parameter elements */
  get frozen(): number {
    return this.rows.reduce((s, r) => s + (r.requiresGrad ? 0 : r.count), 0);
  }
  get total(): number {
    return this.trainable + this.frozen;
  }

  /** One row per top-level child (with `verbose`, one per parameter too), then the totals. */
  toString(opts: { verbose?: boolean } = {}): string {
    const lines: string[][] = [];
    for (const g of this.groups) {
      const state =
        g.count === 0 ? '-' : g.trainable === 0 ? 'frozen' : g.trainable === g.count ? 'trainable' : 'partly trainable';
      const bn = g.frozenBatchNorms ? ` (${g.frozenBatchNorms} BatchNorm in eval)` : '';
      lines.push([g.module || '(own)', g.type, count(g.count), count(g.trainable), state + bn]);
      if (opts.verbose) {
        for (const r of this.rows.filter((x) => x.module === g.module)) {
          lines.push([
            `  ${r.name}`,
            shapeStr(r.shape),
            count(r.count),
            r.requiresGrad ? count(r.count) : '0',
            r.requiresGrad ? 'trainable' : 'frozen',
          ]);
        }
      }
    }
    const pct = this.total ? ` (${((100 * this.trainable) / this.total).toFixed(2)}% trainable)` : '';
    const body = table(['module', 'type', 'params', 'trainable', 'state'], lines, [
      'left',
      'left',
      'right',
      'right',
      'left',
    ]);
    return `${body}\ntotal: ${count(this.total)} parameters, ${count(this.trainable)} trainable, ${count(this.frozen)} frozen${pct}`;
  }
  print(opts: { verbose?: boolean } = {}): this {
    console.log(this.toString(opts));
    return this;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** Every parameter with its top-level child, shape, size and whether it trains. */
export function trainability(model: Module): Trainability {
  const rows: TrainabilityRow[] = model.namedParameters().map(([name, p]) => ({
    module: model._parameters.has(name) ? '' : name.split('.')[0],
    name,
    shape: [...p.shape],
    count: p.numel(),
    requiresGrad: p.requiresGrad,
  }));
  const groups: TrainabilityGroup[] = [];
  const group = (module: string, type: string, sub: Module | null): void => {
    const mine = rows.filter((r) => r.module === module);
    const bns = sub ? sub.modules().filter((m) => isBatchNorm(m) && statsFrozen(m)).length : 0;
    groups.push({
      module,
      type,
      tensors: mine.length,
      count: mine.reduce((s, r) => s + r.count, 0),
      trainable: mine.reduce((s, r) => s + (r.requiresGrad ? r.count : 0), 0),
      frozenBatchNorms: bns,
    });
  };
  if (rows.some((r) => r.module === '')) group('', model._getName(), null);
  for (const [name, child] of model.namedChildren()) group(name, child._getName(), child);
  return new Trainability(rows, groups);
}

/** The parameters that require gradients, in model order (the seed's `filter(lambda p: p.requires_grad, ...)`). */
export function trainableParameters(model: Module): Parameter[] {
  return model.parameters().filter((p) => p.requiresGrad);
}
