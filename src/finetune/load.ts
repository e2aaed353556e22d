// loadPretrained: the seed's "keep only the keys the new model has" made safe. The checkpoint's keys
// are renamed (DataParallel's 'module.' prefix, a 'backbone.' wrapper) and filtered, compared with
// the model's state dict, and what fits is loaded in one atomic `loadStateDict` — so a load that
// throws changes nothing. The report says exactly what happened to every key.
import { ArgumentError, CheckpointError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { readStateDict, type StateDictSource } from './source.js';
import { count, shapeStr, table } from './table.js';

export interface Mismatch {
  key: string;
  expected: number[];
  got: number[];
}

/** `{ 'module.': '' }`: the first matching prefix is replaced; a function may return null to drop a key. */
export type Rename = Readonly<Record<string, string>> | ((key: string) => string | null | undefined);

export interface LoadPretrainedOptions {
  /** every model key must be loaded and every checkpoint key used (default false) */
  strict?: boolean;
  /** keep a (renamed) checkpoint key when this returns true */
  filter?: (key: string, value: Tensor) => boolean;
  rename?: Rename;
  /** skip checkpoint tensors whose shape differs from the model's (a new head); false: throw (default true) */
  skipMismatched?: boolean;
}

export class LoadReport {
  constructor(
    /** model keys copied from the checkpoint */
    readonly loaded: string[],
    /** model keys the checkpoint does not have (they keep their current values) */
    readonly missing: string[],
    /** checkpoint keys (after renaming) the model does not have */
    readonly unexpected: string[],
    /** keys both have, with different shapes (`expected`: the model's, `got`: the checkpoint's) */
    readonly mismatched: Mismatch[],
    /** checkpoint keys dropped by `rename` (returning null) or `filter`, as they were in the checkpoint */
    readonly ignored: string[] = [],
  ) {}

  get ok(): boolean {
    return this.missing.length === 0 && this.unexpected.length === 0 && this.mismatched.length === 0;
  }

  /** A short table: a summary line, then one row per key that was not loaded (at most `limit` per kind). */
  toString(limit = 12): string {
    const total = this.loaded.length + this.missing.length + this.mismatched.length;
    const head =
      `loaded ${count(this.loaded.length)} of ${count(total)} model tensors` +
      (this.missing.length ? `, ${this.missing.length} missing` : '') +
      (this.mismatched.length ? `, ${this.mismatched.length} shape-mismatched (skipped)` : '') +
      (this.unexpected.length ? `, ${this.unexpected.length} unexpected in the checkpoint` : '') +
      (this.ignored.length ? `, ${this.ignored.length} ignored by rename/filter` : '') +
      // a few dropped keys (an old head) are worth naming; many (a filter on purpose) are not
      (this.ignored.length && this.ignored.length <= 4 ? ` (${this.ignored.join(', ')})` : '');
    const rows: string[][] = [];
    const more: string[] = [];
    const add = (kind: string, items: string[][]) => {
      for (const r of items.slice(0, limit)) rows.push([kind, ...r]);
      if (items.length > limit) more.push(`... and ${items.length - limit} more ${kind}`);
    };
    add(
      'mismatched',
      this.mismatched.map((m) => [m.key, shapeStr(m.got), shapeStr(m.expected)]),
    );
    add(
      'missing',
      this.missing.map((k) => [k, '-', '']),
    );
    add(
      'unexpected',
      this.unexpected.map((k) => [k, '', '-']),
    );
    if (!rows.length) return head;
    return `${head}\n${table(['', 'key', 'checkpoint', 'model'], rows, [], '  ')}${more.length ? `\n  ${more.join('\n  ')}` : ''}`;
  }
  print(): this {
    console.log(this.toString());
    return this;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function renamer(rename: Rename | undefined): (k: string) => string | null {
  if (!rename) return (k) => k;
  if (typeof rename === 'function') {
    return (k) => {
      const r = rename(k);
      if (r === null || r === undefined) return null;
      if (typeof r !== 'string')
        throw new ArgumentError(
          `loadPretrained: rename returned ${typeof r} for key '${k}' (a string, or null to drop the key)`,
        );
      return r;
    };
  }
  if (typeof rename !== 'object')
    throw new ArgumentError(
      `loadPretrained: rename must be a prefix map ({ 'module.': '' }) or a function, got ${typeof rename}`,
    );
  const pairs = Object.entries(rename);
  return (k) => {
    for (const [from, to] of pairs) if (k.startsWith(from)) return to + k.slice(from.length);
    return k;
  };
}

/**
 * Load the parts of a pretrained checkpoint that fit `model`. `source` is a file path (safetensors or
 * PyTorch .pth), the file's bytes, or a state dict (an object or a Map of tensors). Returns a
 * `LoadReport`; with `strict` anything not loaded is an error, with `skipMismatched: false` a shape
 * mismatch is. When it throws, the model is unchanged.
 *
 * ```ts
 * const model = new models.SmallCNN({ numClasses: 5 });
 * const report = await finetune.loadPretrained(model, 'smallcnn-mnist04.safetensors', {
 *   filter: (key) => !key.startsWith('fc.'),   // the old head stays behind
 * });
 * report.print();                            // loaded / missing / mismatched, as a table
 * ```
 */
export async function loadPretrained(
  model: Module,
  source: StateDictSource,
  opts: LoadPretrainedOptions = {},
): Promise<LoadReport> {
  const { strict = false, filter, rename, skipMismatched = true } = opts;
  if (filter !== undefined && typeof filter !== 'function')
    throw new ArgumentError(`loadPretrained: filter must be a function (key, tensor) => boolean, got ${typeof filter}`);
  const { tensors, owned } = await readStateDict(source, 'loadPretrained');
  try {
    const name = renamer(rename);
    const renamed = new Map<string, Tensor>();
    const origin = new Map<string, string>();
    const ignored: string[] = [];
    for (const [k, v] of tensors) {
      const nk = name(k);
      if (nk === null || (filter && !filter(nk, v))) {
        ignored.push(k);
        continue;
      }
      const prev = origin.get(nk);
      if (prev !== undefined)
        throw new ArgumentError(`loadPretrained: checkpoint keys '${prev}' and '${k}' both rename to '${nk}'`);
      origin.set(nk, k);
      renamed.set(nk, v);
    }
    const mine = model.stateDict({ keepVars: true });
    const loaded: string[] = [],
      missing: string[] = [],
      mismatched: Mismatch[] = [];
    const take = new Map<string, Tensor>();
    for (const [k, dst] of Object.entries(mine)) {
      const src = renamed.get(k);
      if (!src) missing.push(k);
      else if (!sameShape(src.shape, dst.shape))
        mismatched.push({ key: k, expected: [...dst.shape], got: [...src.shape] });
      else {
        loaded.push(k);
        take.set(k, src);
      }
    }
    const unexpected = [...renamed.keys()].filter((k) => !(k in mine));
    const report = new LoadReport(loaded, missing, unexpected, mismatched, ignored);
    if (mismatched.length && !skipMismatched) {
      throw new CheckpointError(
        `loadPretrained: ${mismatched.length} shape mismatch(es), nothing loaded: ${mismatched
          .slice(0, 5)
          .map((m) => `${m.key} checkpoint ${shapeStr(m.got)} vs model ${shapeStr(m.expected)}`)
          .join('; ')}${mismatched.length > 5 ? '; ...' : ''}`,
      );
    }
    if (strict && !report.ok) {
      const parts = [
        missing.length ? `missing ${listKeys(missing)}` : '',
        unexpected.length ? `unexpected ${listKeys(unexpected)}` : '',
        mismatched.length ? `mismatched ${listKeys(mismatched.map((m) => m.key))}` : '',
      ].filter(Boolean);
      throw new CheckpointError(`loadPretrained (strict): nothing loaded: ${parts.join('; ')}`);
    }
    if (take.size) model.loadStateDict(take, { strict: false });
    return report;
  } finally {
    if (owned) for (const t of tensors.values()) t.dispose();
  }
}

// a 0-dim entry saved as a 1-element vector loads (PyTorch's backward compatibility, as loadStateDict)
const sameShape = (src: readonly number[], dst: readonly number[]) =>
  (src.length === dst.length && src.every((s, i) => s === dst[i])) ||
  (dst.length === 0 && src.length === 1 && src[0] === 1);
const listKeys = (ks: string[]) =>
  `${ks
    .slice(0, 5)
    .map((k) => `'${k}'`)
    .join(', ')}${ks.length > 5 ? ` (+${ks.length - 5} more)` : ''}`;
