// The default collate: a batch of host samples becomes one typed array per field (stacked along a new
// first dimension), then one tensor per field on the target device — one upload per field per batch.
import type { DType } from '../kernels/backend.js';
import { ArgumentError, DeviceError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { defaultDevice, type Device } from '../tensor/device.js';
import { keep } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';
import type { FieldDtypes } from './dataset.js';

/** The samples' leaves: numbers, booleans, typed arrays, `HostTensor`s, images, cpu tensors. */
type Leaf = number | boolean | Float32Array | Int32Array | { data: Float32Array | Int32Array } | Tensor;
/** What the default collate makes of a sample type: every leaf becomes a Tensor, structure is kept. */
export type Collated<T> = T extends Leaf
  ? Tensor
  : T extends readonly unknown[]
    ? { -readonly [K in keyof T]: Collated<T[K]> }
    : T extends object
      ? { -readonly [K in keyof T]: Collated<T[K]> }
      : never;

/** One stacked field on the host, ready to upload. */
export class StackedField {
  constructor(
    readonly data: Float32Array | Int32Array,
    readonly shape: number[],
    readonly dtype: DType,
  ) {}
}

export interface CollateOptions {
  /** dtypes of the top-level fields (decides int32 vs float32 for plain numbers) */
  dtypes?: FieldDtypes;
  /**
   * dtypes inferred for undeclared number fields, keyed by field path. A DataLoader passes one map
   * for its lifetime, so a field's dtype is fixed by the first batch and never flips between batches.
   */
  inferred?: Map<string, DType>;
  /** dataset indices of the samples, for error messages */
  indices?: ArrayLike<number>;
}

interface Ctx {
  inferred: Map<string, DType>;
  indices?: ArrayLike<number>;
}
const where = (c: Ctx, b: number) =>
  c.indices ? `the sample at dataset index ${c.indices[b]}` : `sample ${b} of the batch`;
const name = (path: string) => (path ? `field ${path}` : 'the sample');

/** Stack `samples` on the host (numbers → [B], arrays of shape S → [B, ...S]); nothing is uploaded. */
export function collateHost(samples: readonly unknown[], o: CollateOptions = {}): unknown {
  if (samples.length === 0) throw new ArgumentError('collate: cannot collate an empty batch');
  return walk({ inferred: o.inferred ?? new Map(), indices: o.indices }, samples, '', undefined, o.dtypes);
}

/** Upload every stacked field as one tensor on `device`; the tensors belong to the caller. */
export function uploadBatch(tree: unknown, device: Device): unknown {
  if (tree instanceof StackedField) return keep(Tensor.fromHost(tree.data, tree.shape, tree.dtype, device));
  if (Array.isArray(tree)) return tree.map((t) => uploadBatch(t, device));
  if (tree && typeof tree === 'object') {
    return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, uploadBatch(v, device)]));
  }
  return tree;
}

/** `collateHost` + `uploadBatch`: what a DataLoader does when no `collate` is given. */
export function defaultCollate<T>(samples: readonly T[], o: CollateOptions & { device?: Device } = {}): Collated<T> {
  return uploadBatch(collateHost(samples, o), o.device ?? defaultDevice()) as Collated<T>;
}

interface HostLeaf {
  data: Float32Array | Int32Array;
  shape: readonly number[];
  dtype?: DType;
}
function leafOf(v: unknown): HostLeaf | null {
  if (v instanceof Float32Array || v instanceof Int32Array) return { data: v, shape: [v.length] };
  if (v instanceof Tensor) {
    if (v.device !== 'cpu') {
      throw new DeviceError(
        `collate: a sample holds a ${v.device} tensor of shape ${fmtShape(v.shape)}; datasets should return host values (typed arrays, numbers) or cpu tensors, which are batched and uploaded once`,
      );
    }
    const d = v.dataSync();
    return { data: d instanceof Uint8Array ? Int32Array.from(d) : d, shape: v.shape, dtype: v.dtype };
  }
  if (v && typeof v === 'object') {
    const o = v as {
      data?: unknown;
      shape?: readonly number[];
      dtype?: DType;
      channels?: number;
      height?: number;
      width?: number;
    };
    if (o.data instanceof Float32Array || o.data instanceof Int32Array) {
      const shape = o.shape ?? (o.channels !== undefined ? [o.channels, o.height!, o.width!] : [o.data.length]);
      return { data: o.data, shape, dtype: o.dtype };
    }
  }
  return null;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return v.constructor?.name ?? 'object';
}

function declaredAt(dtypes: FieldDtypes | undefined, key: string | number): DType | undefined {
  if (!dtypes) return undefined;
  return Array.isArray(dtypes)
    ? (dtypes as (DType | undefined)[])[key as number]
    : (dtypes as Record<string, DType | undefined>)[key];
}

function walk(c: Ctx, vals: readonly unknown[], path: string, declared: DType | undefined, top?: FieldDtypes): unknown {
  const v0 = vals[0];
  if (typeof v0 === 'number' || typeof v0 === 'boolean') return scalars(c, vals, path, declared);
  const leaf = leafOf(v0);
  if (leaf) return arrays(c, vals, path, leaf);
  if (Array.isArray(v0)) {
    vals.forEach((v, b) => {
      if (!Array.isArray(v) || v.length !== v0.length) {
        throw new ShapeError(
          `collate: ${name(path)} of ${where(c, b)} is ${Array.isArray(v) ? `a tuple of ${v.length}` : describe(v)}, but the first sample has a tuple of ${v0.length}`,
        );
      }
    });
    return v0.map((_, k) =>
      walk(
        c,
        vals.map((v) => (v as unknown[])[k]),
        `${path}[${k}]`,
        declaredAt(top, k),
      ),
    );
  }
  if (v0 && typeof v0 === 'object' && Object.getPrototypeOf(v0) === Object.prototype) {
    const keys = Object.keys(v0);
    return Object.fromEntries(
      keys.map((k) => [
        k,
        walk(
          c,
          vals.map((v, b) => {
            if (!v || typeof v !== 'object' || !(k in v))
              throw new ArgumentError(
                `collate: ${where(c, b)} has no key '${k}' (${name(path)}), unlike the first sample`,
              );
            return (v as Record<string, unknown>)[k];
          }),
          `${path}.${k}`,
          declaredAt(top, k),
        ),
      ]),
    );
  }
  throw new ArgumentError(
    `collate: cannot stack ${name(path)} of type ${describe(v0)}; return numbers, booleans, typed arrays, { data, shape } or images from get(), or pass a custom collate`,
  );
}

function scalars(c: Ctx, vals: readonly unknown[], path: string, declared: DType | undefined): StackedField {
  let dtype = declared ?? c.inferred.get(path);
  if (!dtype) {
    dtype = typeof vals[0] === 'boolean' ? 'bool' : vals.every((v) => Number.isInteger(v)) ? 'int32' : 'float32';
    c.inferred.set(path, dtype);
  }
  const out = dtype === 'float32' ? new Float32Array(vals.length) : new Int32Array(vals.length);
  for (let b = 0; b < vals.length; b++) {
    const v = vals[b];
    if (typeof v === 'boolean') {
      out[b] = +v;
      continue;
    }
    if (typeof v !== 'number')
      throw new ArgumentError(
        `collate: ${name(path)} of ${where(c, b)} is ${describe(v)}, but the first sample has a number`,
      );
    if (dtype !== 'float32' && !Number.isInteger(v)) {
      throw new DTypeError(
        `collate: ${name(path)} is stacked as ${dtype} (${declared ? 'declared' : 'inferred from the first batch'}), but ${where(c, b)} has ${v}; declare dtypes (on the dataset or the DataLoader) to make it float32`,
      );
    }
    out[b] = dtype === 'bool' ? +(v !== 0) : v;
  }
  return new StackedField(out, [vals.length], dtype);
}

function arrays(c: Ctx, vals: readonly unknown[], path: string, first: HostLeaf): StackedField {
  const dtype: DType = first.dtype ?? (first.data instanceof Float32Array ? 'float32' : 'int32');
  const size = first.data.length;
  const out = dtype === 'float32' ? new Float32Array(vals.length * size) : new Int32Array(vals.length * size);
  for (let b = 0; b < vals.length; b++) {
    const l = b === 0 ? first : leafOf(vals[b]);
    if (!l)
      throw new ArgumentError(
        `collate: ${name(path)} of ${where(c, b)} is ${describe(vals[b])}, but the first sample has an array of shape ${fmtShape(first.shape)}`,
      );
    if (
      l.data.length !== size ||
      l.shape.length !== first.shape.length ||
      l.shape.some((s, k) => s !== first.shape[k])
    ) {
      throw new ShapeError(
        `collate: ${name(path)} of ${where(c, b)} has shape ${fmtShape(l.shape)}, but the first sample's is ${fmtShape(first.shape)}; resize/crop them to one size or pass a custom collate`,
      );
    }
    if (out instanceof Int32Array && l.data instanceof Float32Array) {
      throw new DTypeError(
        `collate: ${name(path)} of ${where(c, b)} is float32, but the batch is stacked as ${dtype} (from the first sample)`,
      );
    }
    out.set(l.data, b * size);
  }
  return new StackedField(out, [vals.length, ...first.shape], dtype);
}
