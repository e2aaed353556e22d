// PyTorch's zip checkpoint format (torch.save since 1.6): a zip whose records all sit under one
// folder `<archive>/`: `data.pkl` (a pickle of the saved object, tensors replaced by persistent ids
// naming storages), `data/<key>` (each storage's raw little-endian bytes) and `version`.
//
// Loading runs in three steps so that nothing is half-made: (1) parse the zip and unpickle with the
// restricted unpickler (no tensors yet); (2) walk the result, checking every storage record exists
// with the declared size; (3) decode each storage once, straight into a tensor's memory, and cut
// the tensors that use it from it (views that are not the whole storage are made contiguous).
import { CheckpointError, fmtShape } from '../errors.js';
import { bytesPerElement, type DType } from '../kernels/backend.js';
import type { Device } from '../tensor/device.js';
import { contiguousStrides } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { decodeInto, dtypeOf, ELEM_SIZE } from './dtypes.js';
import { defineKey, tensorFrom } from './host.js';
import {
  describe,
  Pickler,
  PY_DICT,
  type PyDict,
  PyGlobal,
  PyStorage,
  PyTensor,
  PyTuple,
  unpickle,
  type PyDictMark,
  type PyValue,
} from './pickle/index.js';
import { pathForMessage, joinPath, walkLoaded } from './walk.js';
import { DEFAULT_ZIP_LIMITS, ZipReader, zipChunks, type ZipLimits } from './zip.js';

/** containers nested deeper than this are refused (a cycle is not nesting: it loads as a cycle) */
export const MAX_NESTING = 1000;
/** where a tensor goes in the plain object until the tensors are built */
const TENSOR_SLOT = Symbol('tensor');

export interface PthArchive {
  zip: ZipReader;
  prefix: string;
  root: PyValue;
}

/** Open the zip and unpickle `data.pkl`; tensors stay descriptors (PyTensor). */
export function openPth(bytes: Uint8Array, limits: ZipLimits = DEFAULT_ZIP_LIMITS): PthArchive {
  const zip = new ZipReader(bytes, limits);
  const names = [...zip.entries.keys()];
  const pkls = names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1) {
    const script = names.some((n) => /^[^/]+\/(constants\.pkl|code\/)/.test(n));
    if (script)
      throw new CheckpointError(
        "pth: this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint; save the model's state_dict() with torch.save instead",
      );
    throw new CheckpointError(
      pkls.length === 0
        ? `pth: the zip has no '<archive>/data.pkl' record among its ${names.length} entries (${names.slice(0, 4).join(', ')}${names.length > 4 ? ', ...' : ''}): not a torch.save checkpoint`
        : `pth: the zip has ${pkls.length} data.pkl records (${pkls.slice(0, 4).join(', ')}); expected one`,
    );
  }
  const prefix = pkls[0].slice(0, -'data.pkl'.length);
  if (zip.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim();
    if (order !== 'little')
      throw new CheckpointError(
        `pth: storages are stored ${JSON.stringify(order.slice(0, 20))}-endian (record ${prefix}byteorder); only little-endian is supported`,
      );
  }
  const root = unpickle(zip.read(pkls[0]), pkls[0]);
  return { zip, prefix, root };
}

interface Slot {
  holder: unknown[] | Record<string, unknown> | null;
  key: string | number;
  t: PyTensor;
  path: string;
}

const join = joinPath;
const where = pathForMessage;

/**
 * Turn the unpickled value into plain JS, with TENSOR_SLOT where each tensor goes (listed in `slots`).
 * The result has the pickle's own shape, as PyTorch builds it: a sub-object referenced from many
 * places is converted once and shared, and a cycle (a list holding itself, which torch.save writes
 * and torch.load reads) stays a cycle — so the work is linear in the number of distinct objects.
 * Nesting beyond MAX_NESTING is refused, and so are dict keys that collide once made strings.
 */
function toPlain(root: PyValue, slots: Slot[]): unknown {
  const done = new Map<object, unknown>();
  const rec = (v: PyValue, path: string, depth: number, holder: Slot['holder'], key: string | number): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (v instanceof PyTensor) {
      slots.push({ holder, key, t: v, path });
      return TENSOR_SLOT;
    }
    if (v instanceof PyGlobal)
      throw new CheckpointError(
        `pth: ${where(path)} is the global '${v.full}' itself, not a value a checkpoint can hold`,
      );
    if (v instanceof PyStorage)
      throw new CheckpointError(
        `pth: ${where(path)} is a bare storage ('${v.key}', ${v.typeName}), not a tensor; save tensors instead`,
      );
    // a container reached again (shared, or a cycle back to an ancestor) is the object made the
    // first time; a tensor slot inside it is filled once, there
    const seen = done.get(v);
    if (seen !== undefined) return seen;
    if (depth >= MAX_NESTING)
      throw new CheckpointError(`pth: ${where(path)} is nested more than ${MAX_NESTING} containers deep`);
    if (Array.isArray(v) || v instanceof PyTuple) {
      const items = Array.isArray(v) ? v : v.items;
      const arr: unknown[] = new Array(items.length);
      done.set(v, arr);
      for (let i = 0; i < items.length; i++) arr[i] = rec(items[i], join(path, i), depth + 1, arr, i);
      return arr;
    }
    {
      const d = v as PyDict;
      const obj: Record<string, unknown> = {};
      done.set(v, obj);
      const mark: PyDictMark = { intKeys: new Set(), ordered: d.ordered };
      // Python keeps 1 and '1' apart; as JS property names they are one key
      const original = new Map<string, PyValue>();
      for (let i = 0; i < d.keys.length; i++) {
        const k = d.keys[i];
        let name: string;
        if (typeof k === 'string') name = k;
        else if (typeof k === 'number' || typeof k === 'bigint') {
          name = String(k);
          if (typeof k === 'bigint' || Number.isInteger(k)) mark.intKeys.add(name);
        } else if (typeof k === 'boolean') name = k ? 'True' : 'False';
        else if (k === null) name = 'None';
        else
          throw new CheckpointError(
            `pth: dict ${where(path)} has a key that is ${describe(k)}; only strings, numbers, booleans and None can be keys here`,
          );
        const clash = original.get(name);
        if (clash !== undefined) {
          throw new CheckpointError(
            `pth: dict ${where(path)} has the keys ${describe(clash)} and ${describe(k)}, which are both '${name.length > 100 ? `${name.slice(0, 100)}…` : name}' here (object keys are strings); rename one of them`,
          );
        }
        original.set(name, k);
        defineKey(obj, name, rec(d.values[i], join(path, name), depth + 1, obj, name));
      }
      Object.defineProperty(obj, PY_DICT, { value: mark, enumerable: false });
      return obj;
    }
  };
  return rec(root, '', 0, null, '');
}

export interface StorageInfo {
  storage: PyStorage;
  record: string;
  users: Slot[];
}

/** Check every storage the tensors use: its record exists and holds exactly the declared bytes. */
function checkStorages(arch: PthArchive, slots: Slot[]): Map<PyStorage, StorageInfo> {
  const infos = new Map<PyStorage, StorageInfo>();
  for (const s of slots) {
    const st = s.t.storage;
    let info = infos.get(st);
    if (!info) {
      const record = `${arch.prefix}data/${st.key}`;
      const e = arch.zip.entries.get(record);
      if (!e)
        throw new CheckpointError(
          `pth: tensor ${where(s.path)} uses storage '${st.key}', but the archive has no record '${record}'`,
        );
      const want = st.numel * ELEM_SIZE[st.kind];
      if (e.size !== want)
        throw new CheckpointError(
          `pth: storage '${st.key}' (${st.typeName} of ${st.numel} elements, used by ${where(s.path)}) needs ${want} bytes but record '${record}' at offset ${e.dataStart} holds ${e.size}`,
        );
      info = { storage: st, record, users: [] };
      infos.set(st, info);
    }
    info.users.push(s);
  }
  return infos;
}

const isWhole = (t: PyTensor) => {
  const c = contiguousStrides(t.size);
  return (
    t.offset === 0 &&
    t.size.reduce((a, b) => a * b, 1) === t.storage.numel &&
    t.size.every((n, i) => n === 1 || c[i] === t.stride[i])
  );
};

/** the least `maxViewBytes` by default: room for modest expanded buffers in a small file */
export const MIN_VIEW_BYTES = 16 * 2 ** 20;
/** the default `maxViewBytes` is this many times the file's size (or MIN_VIEW_BYTES, if larger) */
export const VIEW_BYTES_PER_FILE_BYTE = 4;
export const defaultMaxViewBytes = (fileBytes: number) =>
  Math.max(MIN_VIEW_BYTES, VIEW_BYTES_PER_FILE_BYTE * fileBytes);

/**
 * A tensor that is a whole storage costs nothing beyond the storage (which is in the file); any other
 * view — a slice, a transpose, an expansion with stride 0 — is copied out contiguous. A few bytes of
 * pickle can ask for any size ([2^30] with stride [0] over one element), so the copies together are
 * bounded, before anything is allocated: by `maxBytes` (default: defaultMaxViewBytes of the file).
 */
function checkViews(infos: Map<PyStorage, StorageInfo>, maxBytes: number, fileBytes: number, raised: boolean): void {
  const counted = new Set<PyTensor>();
  let total = 0;
  for (const info of infos.values()) {
    for (const { t, path } of info.users) {
      if (counted.has(t) || isWhole(t)) continue;
      counted.add(t);
      const numel = t.size.reduce((a, b) => a * b, 1);
      const bytes = numel * bytesPerElement;
      total += bytes;
      if (total <= maxBytes) continue;
      const limit = raised
        ? 'the maxViewBytes limit'
        : `the limit (${VIEW_BYTES_PER_FILE_BYTE}× the ${fileBytes}-byte file, at least ${MIN_VIEW_BYTES})`;
      throw new CheckpointError(
        `pth: tensor ${where(path)} is a view of shape ${fmtShape(t.size)} with stride ${fmtShape(t.stride)} at offset ${t.offset} on storage '${t.storage.key}' of ${t.storage.numel} elements; copying it out takes ${bytes} bytes${total > bytes ? ` (${total} with the views before it)` : ''}, over ${limit} of ${maxBytes} bytes for views; if the file is trusted, load it with { maxViewBytes } raised`,
      );
    }
  }
}

/** Decode the storages and build the tensors; on any failure everything made so far is freed. */
function buildTensors(arch: PthArchive, infos: Map<PyStorage, StorageInfo>, device: Device): Map<PyTensor, Tensor> {
  const made = new Map<PyTensor, Tensor>();
  try {
    for (const info of infos.values()) {
      const st = info.storage;
      const bytes = arch.zip.read(info.record);
      const dtype: DType = dtypeOf(st.kind);
      const first = info.users[0].path;
      const whole = tensorFrom(
        `pth: storage '${st.key}' of ${where(first)}`,
        [st.numel],
        st.numel,
        dtype,
        'cpu',
        (out) =>
          decodeInto(st.kind, bytes, st.numel, out, (i, v) => {
            const users = [...new Set(info.users.map((u) => where(u.path)))].slice(0, 3).join(', ');
            throw new CheckpointError(
              `pth: tensor ${users} holds int64 value ${v} at storage element ${i} (record '${info.record}', file offset ${arch.zip.entries.get(info.record)!.dataStart + i * 8}), outside the int32 range tensors here have`,
            );
          }),
      );
      // whole-storage tensors share one copy of the storage, on the target device too (tied weights stay tied)
      let placed: Tensor | null = device === 'cpu' ? whole : null;
      try {
        for (const { t } of info.users) {
          if (made.has(t)) continue;
          let out: Tensor;
          if (isWhole(t)) {
            placed ??= whole._transfer(device);
            out = placed._view(t.size, contiguousStrides(t.size), 0);
          } else {
            // a slice, a transposed or expanded view (sized by checkViews): materialise it contiguous
            const view = whole._view(t.size, t.stride, t.offset);
            out = view._contiguousRaw();
            view.dispose();
            if (device !== 'cpu') {
              const moved = out._transfer(device);
              out.dispose();
              out = moved;
            }
          }
          if (t.requiresGrad && dtype === 'float32') out.requiresGrad = true;
          made.set(t, out);
        }
      } finally {
        whole.dispose();
        if (placed !== whole) placed?.dispose();
      }
    }
  } catch (e) {
    for (const t of made.values()) t.dispose();
    throw e;
  }
  return made;
}

export interface LoadPthOptions {
  device?: Device;
  limits?: ZipLimits;
  /** most bytes the copies of non-whole-storage views may take together (default: defaultMaxViewBytes) */
  maxViewBytes?: number;
}

/** Load a .pth/.pt (zip) checkpoint: the saved object with tensors in place. */
export function loadPth(bytes: Uint8Array, opts: LoadPthOptions = {}): unknown {
  const arch = openPth(bytes, opts.limits);
  const slots: Slot[] = [];
  const plain = toPlain(arch.root, slots);
  const infos = checkStorages(arch, slots);
  checkViews(
    infos,
    opts.maxViewBytes ?? defaultMaxViewBytes(bytes.length),
    bytes.length,
    opts.maxViewBytes !== undefined,
  );
  const tensors = buildTensors(arch, infos, opts.device ?? 'cpu');
  for (const s of slots) {
    const t = tensors.get(s.t)!;
    if (s.holder === null) return t;
    if (Array.isArray(s.holder)) s.holder[s.key as number] = t;
    else defineKey(s.holder, s.key as string, t);
  }
  return plain;
}

/** One tensor of a checkpoint as stored in the file, without decoding it. */
export interface StoredTensor {
  key: string;
  dtype: string;
  shape: number[];
  numel: number;
  bytes: number;
  requiresGrad: boolean;
}

/** List the tensors of a .pth without decoding their data (storage records are size-checked). */
export function describePth(bytes: Uint8Array): { tensors: StoredTensor[]; other: Record<string, unknown> } {
  const arch = openPth(bytes);
  const slots: Slot[] = [];
  const plain = toPlain(arch.root, slots);
  checkStorages(arch, slots);
  const tensors = slots.map((s) => {
    const numel = s.t.size.reduce((a, b) => a * b, 1);
    return {
      key: s.path,
      dtype: s.t.storage.kind,
      shape: s.t.size,
      numel,
      bytes: numel * ELEM_SIZE[s.t.storage.kind],
      requiresGrad: s.t.requiresGrad,
    };
  });
  // the non-tensor leaves (epoch, hyperparameters), flattened by path (a shared part under its first path)
  const other: Record<string, unknown> = {};
  walkLoaded(
    plain,
    (v, path) => {
      if (v === TENSOR_SLOT) return;
      if (v !== null && typeof v === 'object') return defineKey(other, path, Array.isArray(v) ? [] : {});
      defineKey(other, path, typeof v === 'bigint' ? v.toString() : v);
    },
    { what: 'pth' },
  );
  return { tensors, other };
}

const STORAGE_TYPE: Record<DType, string> = {
  float32: 'torch.FloatStorage',
  int32: 'torch.IntStorage',
  bool: 'torch.BoolStorage',
};

/**
 * Serialise `obj` (a state dict, or nested objects/arrays of tensors, numbers, strings, booleans and
 * null) the way torch.save does: records `<archive>/data.pkl`, `<archive>/data/<n>`, `<archive>/version`.
 */
export async function pthChunks(obj: unknown, archive = 'archive'): Promise<Uint8Array[]> {
  const order: Tensor[] = [];
  const keys = new Map<Tensor, string>();
  const pickler = new Pickler((v) => {
    if (!(v instanceof Tensor)) return null;
    let key = keys.get(v);
    if (key === undefined) {
      key = String(order.length);
      keys.set(v, key);
      order.push(v);
    }
    return {
      key,
      storageType: STORAGE_TYPE[v.dtype],
      numel: v.numel(),
      size: v.shape,
      stride: contiguousStrides(v.shape),
      requiresGrad: v.requiresGrad,
      parameter: v._isParameter,
    };
  });
  pickler.value(obj, '');
  const files = [{ name: `${archive}/data.pkl`, data: pickler.finish() }];
  for (const t of order) {
    const d = await t.data();
    files.push({ name: `${archive}/data/${keys.get(t)}`, data: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) });
  }
  files.push({ name: `${archive}/version`, data: new TextEncoder().encode('3\n') });
  return zipChunks(files);
}
