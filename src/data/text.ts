// Text classification data for the seed's TextCNN: a CSV with columns text,label[,value], a lowercase
// word tokenizer, a `Vocabulary` (<pad> = 0, <unk> = 1) and fixed-length int32 token ids.
import { nodeOnly } from '../platform/node-host.js';
import { ArgumentError } from '../errors.js';
import { parseCsv } from './csv.js';
import { checkIndex, type Dataset } from './dataset.js';
import { DatasetError } from './errors.js';
import { checkLabels, checkNumClasses } from './labels.js';

/**
 * Lowercase words: runs of letters and digits, keeping inner apostrophes ("don't"); punctuation and
 * whitespace separate words and are dropped.
 */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu) ?? [];
}

export interface VocabularyOptions {
  /** tokens seen fewer times are left out (→ <unk>); default 1 */
  minFreq?: number;
  /** at most this many entries, the two specials included; default unlimited */
  maxSize?: number;
}

/** token ↔ id. Ids 0 and 1 are `<pad>` and `<unk>`; the rest by frequency, ties alphabetical (torchtext's order). */
export class Vocabulary {
  static readonly PAD = '<pad>';
  static readonly UNK = '<unk>';
  static readonly padIndex = 0;
  static readonly unkIndex = 1;
  readonly itos: readonly string[];
  readonly stoi: ReadonlyMap<string, number>;

  constructor(itos: readonly string[]) {
    if (itos[0] !== Vocabulary.PAD || itos[1] !== Vocabulary.UNK) {
      throw new ArgumentError(
        `Vocabulary: the first two entries must be '<pad>' and '<unk>', got ${JSON.stringify(itos.slice(0, 2))}`,
      );
    }
    this.itos = [...itos];
    const stoi = new Map<string, number>();
    this.itos.forEach((t, i) => {
      if (stoi.has(t))
        throw new ArgumentError(`Vocabulary: duplicate token ${JSON.stringify(t)} at ids ${stoi.get(t)} and ${i}`);
      stoi.set(t, i);
    });
    this.stoi = stoi;
  }

  static build(documents: Iterable<readonly string[]>, o: VocabularyOptions = {}): Vocabulary {
    const minFreq = o.minFreq ?? 1;
    if (o.maxSize !== undefined && !(Number.isInteger(o.maxSize) && o.maxSize >= 2)) {
      throw new ArgumentError(`Vocabulary: maxSize must be an integer >= 2 (the two specials), got ${o.maxSize}`);
    }
    const counts = new Map<string, number>();
    for (const doc of documents) for (const t of doc) counts.set(t, (counts.get(t) ?? 0) + 1);
    counts.delete(Vocabulary.PAD);
    counts.delete(Vocabulary.UNK);
    const tokens = [...counts]
      .filter(([, c]) => c >= minFreq)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([t]) => t);
    const keep = o.maxSize === undefined ? tokens : tokens.slice(0, o.maxSize - 2);
    return new Vocabulary([Vocabulary.PAD, Vocabulary.UNK, ...keep]);
  }

  get length(): number {
    return this.itos.length;
  }
  /** id of `token`, or 1 (<unk>) */
  lookup(token: string): number {
    return this.stoi.get(token) ?? Vocabulary.unkIndex;
  }
  /** ids of `tokens`, truncated to `maxLen` and padded with 0 (<pad>) */
  encode(tokens: readonly string[], maxLen = tokens.length, out: Int32Array = new Int32Array(maxLen)): Int32Array {
    const n = Math.min(maxLen, tokens.length);
    for (let i = 0; i < n; i++) out[i] = this.lookup(tokens[i]);
    out.fill(Vocabulary.padIndex, n, maxLen);
    return out;
  }
  toJSON(): { itos: string[] } {
    return { itos: [...this.itos] };
  }
  static fromJSON(j: { itos: readonly string[] }): Vocabulary {
    return new Vocabulary(j.itos);
  }
}

export interface TextClassificationCsvOptions extends VocabularyOptions {
  /** ids per sample: longer texts are truncated, shorter padded with 0 (default: the longest text in this file) */
  maxLen?: number;
  /** reuse a vocabulary (build it from the training file, pass it to the test file) */
  vocab?: Vocabulary;
  /** label names → indices; default: labels are integers as written, or else the sorted distinct labels */
  classes?: readonly string[];
  /** the model's class count: every label must then be an index below it (checked here, naming the line) */
  numClasses?: number;
  tokenizer?: (text: string) => string[];
}

export type TextSample = [tokens: Int32Array, label: number, ...value: number[]];

/**
 * A CSV with a header naming `text`, `label` and optionally `value` (any order, other columns
 * ignored). `get(i)` → `[tokens (Int32Array, maxLen), label]` or `[tokens, label, value]`; the
 * default collate makes them int32 [B, maxLen], int32 [B] and float32 [B].
 */
export class TextClassificationCsv implements Dataset<TextSample> {
  readonly vocab: Vocabulary;
  readonly maxLen: number;
  /** N*maxLen token ids */
  readonly tokens: Int32Array;
  readonly labels: Int32Array;
  /** the regression targets, when the file has a `value` column */
  readonly values: Float32Array | null;
  /** label names by index, when labels were names (or `classes` was given) */
  readonly classes: string[] | null;
  readonly texts: string[];
  readonly dtypes = ['int32', 'int32', 'float32'] as const;

  constructor(
    readonly path: string,
    o: TextClassificationCsvOptions = {},
  ) {
    let text: string;
    try {
      text = nodeOnly('TextClassificationCsv').fs.readFileSync(path, 'utf8');
    } catch (e) {
      throw new DatasetError(`TextClassificationCsv: cannot read '${path}': ${(e as Error).message}`);
    }
    checkNumClasses(o.numClasses, 'TextClassificationCsv');
    const rows = parseCsv(text, path);
    if (rows.length === 0)
      throw new DatasetError(`${path}: empty file (expected a header with columns text,label[,value])`);
    const header = rows[0].fields.map((h) => h.trim().toLowerCase());
    const col = (n: string) => header.indexOf(n);
    const [ti, li, vi] = [col('text'), col('label'), col('value')];
    if (ti < 0 || li < 0)
      throw new DatasetError(
        `${path}: line ${rows[0].line}: expected a header with columns text,label[,value], got ${JSON.stringify(rows[0].fields)}`,
      );
    const body = rows.slice(1);
    for (const r of body) {
      if (r.fields.length !== header.length) {
        throw new DatasetError(
          `${path}: line ${r.line}: ${r.fields.length} fields, but the header has ${header.length} (quote fields that contain commas)`,
        );
      }
    }
    this.texts = body.map((r) => r.fields[ti]);
    const tok = o.tokenizer ?? tokenize;
    const docs = this.texts.map(tok);
    this.vocab = o.vocab ?? Vocabulary.build(docs, o);
    this.maxLen = o.maxLen ?? Math.max(1, ...docs.map((d) => d.length));
    if (!Number.isInteger(this.maxLen) || this.maxLen < 1)
      throw new ArgumentError(`TextClassificationCsv: maxLen must be a positive integer, got ${o.maxLen}`);

    const n = body.length;
    this.tokens = new Int32Array(n * this.maxLen);
    docs.forEach((d, i) =>
      this.vocab.encode(d, this.maxLen, this.tokens.subarray(i * this.maxLen, (i + 1) * this.maxLen)),
    );

    const raw = body.map((r) => r.fields[li].trim());
    this.labels = new Int32Array(n);
    const isInt = (s: string) => /^[+-]?\d+$/.test(s);
    if (o.classes || !raw.every(isInt)) {
      this.classes = o.classes ? [...o.classes] : [...new Set(raw)].sort();
      const idx = new Map(this.classes.map((c, i) => [c, i]));
      raw.forEach((s, i) => {
        const k = idx.get(s);
        if (k === undefined)
          throw new DatasetError(
            `${path}: line ${body[i].line}: label ${JSON.stringify(s)} is not one of the classes [${this.classes!.join(', ')}]`,
          );
        this.labels[i] = k;
      });
    } else {
      this.classes = null;
      raw.forEach((s, i) => {
        this.labels[i] = Number(s);
      });
    }
    if (o.numClasses !== undefined) {
      if (this.classes && this.classes.length > o.numClasses) {
        throw new DatasetError(
          `${path}: ${this.classes.length} label names [${this.classes.join(', ')}] but numClasses is ${o.numClasses}`,
        );
      }
      checkLabels(this.labels, o.numClasses, (i) => `${path}: line ${body[i].line}`);
    }

    if (vi >= 0) {
      this.values = new Float32Array(n);
      body.forEach((r, i) => {
        const s = r.fields[vi].trim();
        const v = Number(s);
        if (s === '' || !Number.isFinite(v))
          throw new DatasetError(
            `${path}: line ${r.line}: value ${JSON.stringify(r.fields[vi])} is not a finite number`,
          );
        this.values![i] = v;
      });
    } else this.values = null;
  }

  get length(): number {
    return this.labels.length;
  }

  get(i: number): TextSample {
    checkIndex(i, this.labels.length, 'TextClassificationCsv');
    const t = this.tokens.subarray(i * this.maxLen, (i + 1) * this.maxLen);
    return this.values ? [t, this.labels[i], this.values[i]] : [t, this.labels[i]];
  }
}
