// The Python values a PyTorch checkpoint's pickle is made of, as the restricted unpickler builds them.
//
// Plain JS stands in where it can (None → null, int → number or bigint, str → string, list → array);
// tuples, dicts (which keep Python's key equality and insertion order), globals, storages and tensors
// get small classes so that src/io/pth.ts can tell them apart when it turns the result into tensors.
import { ELEM_SIZE, type ElemKind } from '../dtypes.js';

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
export class PyDict {
  readonly keys: PyValue[] = [];
  readonly values: PyValue[] = [];
  private readonly index = new Map<unknown, number>();
  constructor(readonly ordered: boolean) {}
  set(k: PyValue, v: PyValue): void {
    // Python's hash equality for the key types checkpoints use: True == 1, 1 == 1.0
    const h =
      typeof k === 'boolean'
        ? `n:${+k}`
        : typeof k === 'number' || typeof k === 'bigint'
          ? `n:${k}`
          : typeof k === 'string'
            ? `s:${k}`
            : k === null
              ? 'None'
              : k;
    const i = this.index.get(h);
    if (i === undefined) {
      this.index.set(h, this.keys.length);
      this.keys.push(k);
      this.values.push(v);
    } else this.values[i] = v;
  }
  get size(): number {
    return this.keys.length;
  }
}
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get full(): string {
    return `${this.module}.${this.name}`;
  }
}
/** A storage named by a persistent id: its bytes are the record `data/<key>` of the archive. */
export class PyStorage {
  constructor(
    readonly kind: ElemKind,
    readonly typeName: string,
    readonly key: string,
    readonly location: string,
    readonly numel: number,
  ) {}
}
/** What `torch._utils._rebuild_tensor_v2` (and `_rebuild_parameter`) would build. */
export class PyTensor {
  constructor(
    readonly storage: PyStorage,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
    public requiresGrad: boolean,
    public parameter = false,
  ) {}
}
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyValue[]
  | PyTuple
  | PyDict
  | PyGlobal
  | PyStorage
  | PyTensor;

/** A short description of a pickled value for error messages. */
export function describe(v: PyValue | undefined): string {
  if (v === null) return 'None';
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v instanceof PyTuple) return `a tuple of ${v.items.length}`;
  if (v instanceof PyDict) return `a dict of ${v.size}`;
  if (v instanceof PyGlobal) return `global '${v.full}'`;
  if (v instanceof PyStorage) return `storage '${v.key}'`;
  return 'a tensor';
}

export function storageBytes(s: PyStorage): number {
  return s.numel * ELEM_SIZE[s.kind];
}
