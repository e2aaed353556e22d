// DataLoader: batches of a map-style dataset as an async iterable, with seeded shuffling and a
// one-batch prefetch. Batches are stacked on the host and uploaded once per field (see collate.ts).
import type { DType } from '../kernels/backend.js';
import { ArgumentError } from '../errors.js';
import { platform } from '../platform/platform.js';
import { defaultDevice, type Device } from '../tensor/device.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { collateHost, uploadBatch, type Collated } from './collate.js';
import { permutation, type Dataset, type FieldDtypes } from './dataset.js';

export interface DataLoaderOptions<T, B> {
  /** samples per batch (default 1) */
  batchSize?: number;
  /** draw a new permutation of the dataset every epoch (default false: dataset order) */
  shuffle?: boolean;
  /** the generator shuffling draws from (default: the global one, `torch.manualSeed`) */
  generator?: Generator;
  /** drop the last batch when it is smaller than `batchSize` (default false) */
  dropLast?: boolean;
  /** samples → batch; default: stack each field on the host and upload one tensor per field */
  collate?: (samples: T[]) => B;
  /** device of the default collate's tensors (default: `torch.defaultDevice()` when iteration starts) */
  device?: Device;
  /** prepare batch k+1 (host work + upload) while the caller works on batch k (default true) */
  prefetch?: boolean;
  /** dtypes of the sample's top-level fields for the default collate (default: `dataset.dtypes`) */
  dtypes?: FieldDtypes;
}

type Outcome<B> = { ok: true; value: B } | { ok: false; error: unknown };

/**
 * `for await (const [x, y] of loader) { ... }` — one pass is one epoch: every sample exactly once
 * (the last batch may be smaller unless `dropLast`). With `shuffle`, each epoch draws a permutation
 * from `generator` when iteration starts, so a seeded generator gives a reproducible order.
 *
 * Ownership: the tensors of a batch belong to the caller (they are not tied to any `torch.scope`);
 * dispose them when done (`x.dispose(); y.dispose()`) to keep device memory flat — otherwise the
 * garbage collector frees them eventually. With `prefetch`, one extra batch is alive at a time; a
 * prefetched batch that is never delivered (loop left early) is disposed by the loader.
 */
export class DataLoader<T, B = Collated<T>> implements AsyncIterable<B> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly prefetch: boolean;
  readonly generator: Generator;
  readonly device: Device | undefined;
  private readonly collate: ((samples: T[]) => B) | undefined;
  private readonly dtypes: FieldDtypes | undefined;
  /** number-field dtypes fixed by the first batch, so they never change between batches */
  private readonly inferred = new Map<string, DType>();

  constructor(
    readonly dataset: Dataset<T>,
    o: DataLoaderOptions<T, B> = {},
  ) {
    this.batchSize = o.batchSize ?? 1;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new ArgumentError(`DataLoader: batchSize should be a positive integer, got ${o.batchSize}`);
    }
    this.shuffle = o.shuffle ?? false;
    this.dropLast = o.dropLast ?? false;
    this.prefetch = o.prefetch ?? true;
    this.generator = o.generator ?? defaultGenerator;
    this.device = o.device;
    this.collate = o.collate;
    this.dtypes = o.dtypes;
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The sample indices of each batch of one epoch (draws from the generator when shuffling). */
  epochIndices(): Int32Array[] {
    const n = this.dataset.length;
    let order: Int32Array;
    if (this.shuffle) order = permutation(n, this.generator);
    else {
      order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
    }
    const out: Int32Array[] = [];
    for (let k = 0; k < this.length; k++)
      out.push(order.subarray(k * this.batchSize, Math.min(n, (k + 1) * this.batchSize)));
    return out;
  }

  private make(indices: Int32Array, device: Device): B {
    const samples: T[] = new Array(indices.length);
    for (let b = 0; b < indices.length; b++) samples[b] = this.dataset.get(indices[b]);
    if (this.collate) return this.collate(samples);
    const host = collateHost(samples, { dtypes: this.dtypes ?? this.dataset.dtypes, inferred: this.inferred, indices });
    return uploadBatch(host, device) as B;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<B, void, undefined> {
    yield* this.batchesFrom(this.epochIndices());
  }

  /**
   * The batches of one epoch whose sample indices are `batches` (as `epochIndices()` returned them),
   * from batch `start` on: a run resumed inside an epoch continues without making the batches it
   * already trained on.
   */
  async *batchesFrom(batches: readonly Int32Array[], start = 0): AsyncGenerator<B, void, undefined> {
    const device = this.device ?? defaultDevice();
    let pending: Promise<Outcome<B>> | null = null;
    // Runs on a later macrotask: while the caller awaits GPU work or a readback, the next batch is
    // read, stacked and uploaded. The promise never rejects (the error is delivered in order instead).
    const schedule = (k: number) =>
      new Promise<Outcome<B>>((resolve) => {
        void platform()
          .nextTask()
          .then(() => {
            try {
              resolve({ ok: true, value: this.make(batches[k], device) });
            } catch (error) {
              resolve({ ok: false, error });
            }
          });
      });
    try {
      for (let k = start; k < batches.length; k++) {
        let batch: B;
        if (pending) {
          const r: Outcome<B> = await pending;
          pending = null;
          if (!r.ok) throw r.error;
          batch = r.value;
        } else batch = this.make(batches[k], device);
        if (this.prefetch && k + 1 < batches.length) pending = schedule(k + 1);
        yield batch;
      }
    } finally {
      if (pending) {
        const r: Outcome<B> = await pending;
        if (r.ok) disposeAll(r.value);
      }
    }
  }
}

function disposeAll(v: unknown): void {
  if (!v || typeof v !== 'object') return;
  const d = v as { dispose?: unknown };
  if (typeof d.dispose === 'function' && 'isDisposed' in v) {
    (d.dispose as () => void).call(v);
    return;
  }
  if (Array.isArray(v)) v.forEach(disposeAll);
  else if (Object.getPrototypeOf(v) === Object.prototype) Object.values(v).forEach(disposeAll);
}
