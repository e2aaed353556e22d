// Generators of hostile checkpoints, small enough to make inside a test: reference bombs, cycles,
// views that ask for far more memory than their file, deeply nested and duplicate-keyed safetensors
// headers. Shared by the hostile-input tests and the fuzz test.
import { binget, binput, dictPickle, f32bytes, int, OP, pk, pthBytes, str, tensorCall } from './util.js';

type Part = number | readonly number[] | Uint8Array;

/**
 * "Billion laughs" in pickle: `levels` lists, each holding the previous one twice through the memo
 * (memo 0 is the empty list at the bottom). 2^levels paths, levels+1 objects. `leaf` goes into the
 * bottom list (pickled once, however many paths reach it).
 */
export function laughsValue(levels: number, leaf: Part[] = []): Part[] {
  const parts: Part[] = [OP.EMPTY_LIST, binput(0)];
  if (leaf.length) parts.push(...leaf, OP.APPEND);
  parts.push(OP.POP);
  for (let i = 1; i <= levels; i++)
    parts.push(OP.EMPTY_LIST, OP.MARK, binget(i - 1), binget(i - 1), OP.APPENDS, binput(i), OP.POP);
  parts.pop(); // keep the last level on the stack
  return parts;
}

/** A .pth whose top level is the bomb itself (`{ w: tensor }` at its bottom when `withTensor`). */
export function laughsPth(levels = 60, withTensor = false): Uint8Array {
  const leaf = withTensor
    ? [OP.EMPTY_DICT, str('w'), tensorCall({ numel: 2, size: [2], stride: [1] }), OP.SETITEM]
    : [];
  return pthBytes(pk(...OP.PROTO2, ...laughsValue(levels, leaf), OP.STOP), withTensor ? { 0: f32bytes([1, 2]) } : {});
}

/** `{ <tensorKey>: tensor [1, 2], bomb: <levels-deep bomb> }`, or the tensor nested under `state_dict`. */
export function stateDictWithBomb(levels = 60, nested = false): Uint8Array {
  const t = tensorCall({ numel: 2, size: [2], stride: [1] });
  const bomb = pk(...laughsValue(levels));
  const sd = nested ? pk(OP.EMPTY_DICT, str('w'), t, OP.SETITEM) : t;
  return pthBytes(
    dictPickle([
      [nested ? 'state_dict' : 'w', sd],
      ['bomb', bomb],
    ]),
    { 0: f32bytes([1, 2]) },
  );
}

/** A list that holds itself and a dict that holds itself, as torch.save writes them (memo references). */
export function cyclicPth(): Uint8Array {
  return pthBytes(
    pk(
      ...OP.PROTO2,
      OP.EMPTY_DICT,
      binput(0),
      str('loop'),
      OP.EMPTY_LIST,
      binput(1),
      binget(1),
      OP.APPEND,
      OP.SETITEM,
      str('self'),
      binget(0),
      OP.SETITEM,
      str('w'),
      tensorCall({ numel: 1, size: [1], stride: [1] }),
      OP.SETITEM,
      OP.STOP,
    ),
    { 0: f32bytes([7]) },
  );
}

/** `{ w: view }` of a float storage of `numel` elements (value i+1 at element i). */
export function viewPth(size: number[], stride: number[], numel = 1, offset = 0, key = 'w'): Uint8Array {
  const values = Array.from({ length: numel }, (_, i) => i + 1);
  return pthBytes(dictPickle([[key, tensorCall({ numel, size, stride, offset })]]), { 0: f32bytes(values) });
}

/** `{ v0..v{n-1} }`: n views of one storage, each `size` with stride 0 (an expansion). */
export function manyViewsPth(n: number, size: number): Uint8Array {
  const items: [string, Uint8Array][] = [];
  for (let i = 0; i < n; i++) items.push([`v${i}`, tensorCall({ numel: 1, size: [size], stride: [0] })]);
  return pthBytes(dictPickle(items), { 0: f32bytes([3]) });
}

/** A dict with the int key 1 and the string key '1'. */
export function collidingKeysPth(): Uint8Array {
  return pthBytes(pk(...OP.PROTO2, OP.EMPTY_DICT, OP.MARK, int(1), str('a'), str('1'), str('b'), OP.SETITEMS, OP.STOP));
}

/** A safetensors file from header text and data bytes. */
export function safetensorsBytes(header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** `depth` nested arrays: `[[[...]]]` */
export const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
/** `depth` nested objects: `{"a":{"a":...{}}}` */
export const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)}`;

/** One F32 tensor `w` of 2 elements whose `field` is replaced by raw JSON text. */
export function safetensorsWith(
  field: 'dtype' | 'shape' | 'data_offsets' | '__metadata__' | 'entry',
  json: string,
): Uint8Array {
  const e: Record<string, string> = { dtype: '"F32"', shape: '[2]', data_offsets: '[0,8]' };
  if (field === '__metadata__')
    return safetensorsBytes(
      `{"__metadata__":{"k":${json}},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`,
      f32bytes([1, 2]),
    );
  if (field === 'entry') return safetensorsBytes(`{"w":${json}}`, f32bytes([1, 2]));
  e[field] = json;
  return safetensorsBytes(
    `{"w":{"dtype":${e.dtype},"shape":${e.shape},"data_offsets":${e.data_offsets}}}`,
    f32bytes([1, 2]),
  );
}
