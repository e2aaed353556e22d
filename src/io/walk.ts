// One walk over a loaded checkpoint's object graph, for everything that looks through one (tensor
// search, flattening for convert, inspect's other values). A pickle can reference one object from
// many places, and may be cyclic (PyTorch loads both): a walk that follows every path is exponential
// on 60 lists that each hold the previous one twice (a 1.5 KB "billion laughs" file has 2^60 paths).
// Here each distinct container is entered once — the first time it is reached, under that path —
// and the number of values visited is capped, so a walk is linear in the size of the graph.
// Iterative, so depth costs no stack.
import { CheckpointError } from '../errors.js';

/** values a walk visits (container entries and leaves, each edge once) before it gives up */
export const MAX_WALK_VALUES = 20_000_000;
/** paths are cut here: hostile keys could otherwise make each path megabytes long */
export const MAX_PATH_CHARS = 4096;

/**
 * `path.key`, kept under about MAX_PATH_CHARS: a key that would cross the limit becomes `…` and the
 * path stops growing, without copying it (V8 joins strings as ropes, so a path shared by a million
 * children costs nothing per child; slicing would copy it each time).
 */
export function joinPath(path: string, key: string | number): string {
  const k = String(key);
  if (path === '') return k.length > MAX_PATH_CHARS ? `${k.slice(0, 100)}…` : k;
  if (path.length + 1 + k.length <= MAX_PATH_CHARS) return `${path}.${k}`;
  return path.endsWith('…') ? path : `${path}.…`;
}

/** A path for an error message: at most about 100 characters. */
export function pathForMessage(path: string): string {
  return path === '' ? 'the top-level object' : `'${path.length > 100 ? `${path.slice(0, 100)}…` : path}'`;
}

/** Arrays and plain objects are walked into; everything else (tensors included) is a leaf. */
function entriesOf(v: unknown): [string, unknown][] | null {
  if (v === null || typeof v !== 'object') return null;
  if (Array.isArray(v)) return v.map((x, i) => [String(i), x]);
  if (v instanceof Map) return [...v].map(([k, x]) => [String(k), x]);
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return null;
  return Object.entries(v);
}

export interface WalkOptions {
  /** names the walk in the error when the cap is hit */
  what?: string;
  maxValues?: number;
}

/**
 * Call `leaf(value, path)` for every leaf of `root` in depth-first key order, and for every empty
 * array/object (so callers can keep them). A container reached a second time — shared or cyclic — is
 * not entered again: its leaves are reported under the first path only. Throws a CheckpointError
 * when more than `maxValues` values would be visited.
 */
export function walkLoaded(root: unknown, leaf: (value: unknown, path: string) => void, opts: WalkOptions = {}): void {
  const max = opts.maxValues ?? MAX_WALK_VALUES;
  const entered = new Set<object>();
  let visited = 0;
  // a stack of [value, path]; children are pushed in reverse so they come off in key order
  const stack: [unknown, string][] = [[root, '']];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (++visited > max) {
      throw new CheckpointError(
        `${opts.what ?? 'checkpoint'}: more than ${max} values to visit (reached at ${pathForMessage(path)}); refusing a graph this large`,
      );
    }
    const entries = entriesOf(v);
    if (entries === null) {
      leaf(v, path);
      continue;
    }
    if (entered.has(v as object)) continue;
    entered.add(v as object);
    if (entries.length === 0) {
      leaf(v, path);
      continue;
    }
    for (let i = entries.length - 1; i >= 0; i--) stack.push([entries[i][1], joinPath(path, entries[i][0])]);
  }
}

/** The distinct tensors (or other leaves passing `keep`) of a loaded value, in walk order. */
export function leavesOf<T>(root: unknown, keep: (v: unknown) => v is T, opts: WalkOptions = {}): T[] {
  const out = new Set<T>();
  walkLoaded(
    root,
    (v) => {
      if (keep(v)) out.add(v);
    },
    opts,
  );
  return [...out];
}
