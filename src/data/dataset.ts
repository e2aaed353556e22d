// Datasets: the map-style `Dataset` interface, `TensorDataset`, `Subset` and `randomSplit`.
// Samples stay on the host (typed-array views, numbers); the DataLoader stacks a batch of them and
// uploads one tensor per field, so a dataset never creates a tiny device tensor per sample.
import type { DType } from '../kernels/backend.js';
import { ArgumentError, DeviceError, ShapeError, fmtShape } from '../errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * A sample field that is an n-d array on the host. `dtype` defaults to the array's kind
 * (Float32Array → float32, Int32Array → int32); 'bool' is stored as 0/1 in an Int32Array.
 */
export interface HostTensor {
  data: Float32Array | Int32Array;
  shape: readonly number[];
  dtype?: DType;
}

/**
 * The dtype of each top-level field of a sample (tuple position or object key). It decides how plain
 * numbers collate (`int32` labels vs `float32` targets); typed arrays carry their own dtype.
 */
export type FieldDtypes = readonly (DType | undefined)[] | Readonly<Record<string, DType | undefined>>;

/** A map-style dataset, as `torch.utils.data.Dataset`: `length` samples, `get(i)` for 0 <= i < length. */
export interface Dataset<T> {
  readonly length: number;
  get(index: number): T;
  /** optional: how plain-number fields collate (see `FieldDtypes`) */
  readonly dtypes?: FieldDtypes | undefined;
}

export function checkIndex(i: number, length: number, what: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= length) {
    throw new ArgumentError(`${what}: index ${i} is out of range for a dataset of length ${length}`);
  }
}

type Field = number | HostTensor;
interface Column {
  data: Float32Array | Int32Array;
  rowShape: number[];
  rowSize: number;
  dtype: DType;
}

/**
 * `TensorDataset(...tensors)`: sample i is the tuple of row i of each tensor (first dimension). The
 * values are copied to the host once; a 1-d tensor gives numbers, a higher one `HostTensor` views
 * (no copy per sample). Use `await TensorDataset.fromAsync(...)` for tensors that live on webgpu.
 */
export class TensorDataset implements Dataset<Field[]> {
  private readonly cols: Column[];
  readonly length: number;
  readonly dtypes: DType[];

  constructor(...tensors: (Tensor | HostTensor)[]) {
    if (tensors.length === 0) throw new ArgumentError('TensorDataset: at least one tensor is required');
    this.cols = tensors.map((t, k) => toColumn(t, k));
    const n = tensors.map((t) => t.shape[0]);
    if (n.some((x) => x !== n[0])) {
      throw new ShapeError(
        `TensorDataset: size mismatch between tensors: first dimensions ${tensors.map((t) => fmtShape(t.shape)).join(', ')}`,
      );
    }
    this.length = n[0];
    this.dtypes = this.cols.map((c) => c.dtype);
  }

  /** Reads tensors on any device back to the host first. */
  static async fromAsync(...tensors: Tensor[]): Promise<TensorDataset> {
    const host = await Promise.all(
      tensors.map(async (t): Promise<HostTensor> => {
        const d = await t.data();
        return { data: d instanceof Uint8Array ? Int32Array.from(d) : d, shape: t.shape, dtype: t.dtype };
      }),
    );
    return new TensorDataset(...host);
  }

  get(i: number): Field[] {
    checkIndex(i, this.length, 'TensorDataset');
    return this.cols.map((c) =>
      c.rowShape.length === 0
        ? c.data[i]
        : { data: c.data.subarray(i * c.rowSize, (i + 1) * c.rowSize), shape: c.rowShape, dtype: c.dtype },
    );
  }
}

function toColumn(t: Tensor | HostTensor, k: number): Column {
  if (t.shape.length === 0)
    throw new ShapeError(`TensorDataset: tensor ${k} is 0-d; every tensor needs a first (sample) dimension`);
  let data: Float32Array | Int32Array;
  let dtype: DType;
  if ('device' in t) {
    if (t.device !== 'cpu') {
      throw new DeviceError(
        `TensorDataset keeps its data on the host: tensor ${k} is on ${t.device}; use await TensorDataset.fromAsync(...) or pass cpu tensors`,
      );
    }
    const d = t.dataSync();
    data = d instanceof Uint8Array ? Int32Array.from(d) : d;
    dtype = t.dtype;
  } else {
    data = t.data;
    dtype = t.dtype ?? (t.data instanceof Float32Array ? 'float32' : 'int32');
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== data.length)
      throw new ShapeError(`TensorDataset: host array ${k} has ${data.length} values for shape ${fmtShape(t.shape)}`);
  }
  const rowShape = t.shape.slice(1);
  return { data, rowShape, rowSize: rowShape.reduce((a, b) => a * b, 1), dtype };
}

/** `Subset(dataset, indices)`: the samples of `dataset` at `indices`, in that order. */
export class Subset<T> implements Dataset<T> {
  readonly indices: Int32Array;
  constructor(
    readonly dataset: Dataset<T>,
    indices: ArrayLike<number>,
  ) {
    this.indices = Int32Array.from(indices);
    for (const i of this.indices) checkIndex(i, dataset.length, 'Subset');
  }
  get length(): number {
    return this.indices.length;
  }
  get dtypes(): FieldDtypes | undefined {
    return this.dataset.dtypes;
  }
  get(i: number): T {
    checkIndex(i, this.indices.length, 'Subset');
    return this.dataset.get(this.indices[i]);
  }
}

/** A uniform random permutation of 0..n-1 drawn from `g` (Fisher–Yates, like `randperm`). */
export function permutation(n: number, g: Generator = defaultGenerator): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.int(0, i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * `randomSplit(dataset, lengths, generator)`: non-overlapping random subsets. `lengths` are counts
 * summing to the dataset length, or fractions summing to 1 (floored; the remainder is dealt one by
 * one from the first subset on, as PyTorch does).
 */
export function randomSplit<T>(
  dataset: Dataset<T>,
  lengths: readonly number[],
  generator: Generator = defaultGenerator,
): Subset<T>[] {
  const n = dataset.length;
  let counts = [...lengths];
  const total = counts.reduce((a, b) => a + b, 0);
  if (counts.some((x) => x < 0 || !Number.isFinite(x)))
    throw new ArgumentError(`randomSplit: lengths must be non-negative, got [${lengths.join(', ')}]`);
  const isCounts = counts.every(Number.isInteger) && total === n;
  if (!isCounts && Math.abs(total - 1) < 1e-9 && counts.every((x) => x <= 1)) {
    counts = counts.map((f) => Math.floor(n * f));
    const rem = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; i < rem; i++) counts[i % counts.length] += 1;
  }
  if (!counts.every(Number.isInteger) || counts.reduce((a, b) => a + b, 0) !== n) {
    throw new ArgumentError(
      `randomSplit: sum of input lengths [${lengths.join(', ')}] does not equal the length of the input dataset (${n}) and they are not fractions summing to 1`,
    );
  }
  const perm = permutation(n, generator);
  const out: Subset<T>[] = [];
  let at = 0;
  for (const c of counts) {
    out.push(new Subset(dataset, perm.subarray(at, at + c)));
    at += c;
  }
  return out;
}
