// The only globals a checkpoint may name, and the plain values "calling" them builds.
//
// This file is the security boundary of the unpickler: Python's GLOBAL + REDUCE would import and
// call anything a file names (`os.system`), so here GLOBAL is checked against a short allowlist
// (OrderedDict, torch's tensor/parameter rebuild functions and storage types), anything else is
// refused by name, and REDUCE only builds PyDict/PyTensor values for those few. Every shape, stride,
// offset and storage size a file claims is checked here before a tensor descriptor exists.
import { checkedNumel, type ElemKind } from '../dtypes.js';
import type { Unpickler } from './unpickler.js';
import { describe, PyDict, PyGlobal, PyStorage, PyTensor, PyTuple, type PyValue } from './values.js';

/** storage classes a persistent id may name, and the element type each holds */
export const STORAGE_KINDS: Record<string, ElemKind> = {
  'torch.FloatStorage': 'F32',
  'torch.HalfStorage': 'F16',
  'torch.BFloat16Storage': 'BF16',
  'torch.DoubleStorage': 'F64',
  'torch.LongStorage': 'I64',
  'torch.IntStorage': 'I32',
  'torch.ShortStorage': 'I16',
  'torch.CharStorage': 'I8',
  'torch.ByteStorage': 'U8',
  'torch.BoolStorage': 'BOOL',
  // an untyped storage counts bytes
  'torch.UntypedStorage': 'U8',
  'torch.storage.UntypedStorage': 'U8',
  'torch.storage._UntypedStorage': 'U8',
};
export const ORDERED_DICT = 'collections.OrderedDict';
const REBUILD_TENSOR = 'torch._utils._rebuild_tensor_v2';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const REBUILD_PARAMETER_STATE = 'torch._utils._rebuild_parameter_with_state';
const ALLOWED = new Set([
  ORDERED_DICT,
  REBUILD_TENSOR,
  REBUILD_PARAMETER,
  REBUILD_PARAMETER_STATE,
  ...Object.keys(STORAGE_KINDS),
]);

/** GLOBAL / STACK_GLOBAL: a reference to an allowed name, or a CheckpointError naming the refused one. */
export function allowedGlobal(u: Unpickler, module: string, name: string): PyGlobal {
  const full = `${module}.${name}`;
  if (!ALLOWED.has(full)) {
    if (module === 'torch' && name.endsWith('Storage'))
      u.fail(`storage type '${full}' is not supported (supported: ${Object.keys(STORAGE_KINDS).join(', ')})`);
    u.fail(
      `refusing global '${full}': a checkpoint may only hold tensors, storages and plain containers, and no code from a file is run`,
    );
  }
  return new PyGlobal(module, name);
}

/** BINPERSID: ('storage', type, key, location, numel) names a storage record; one key names one storage. */
export function persistentStorage(u: Unpickler, pid: PyValue): PyStorage {
  const t = pid instanceof PyTuple ? pid.items : null;
  if (t?.length !== 5 || t[0] !== 'storage')
    return u.fail(`persistent id ${describe(pid)} is not ('storage', type, key, location, numel)`);
  const [, type, key, location, numel] = t;
  if (!(type instanceof PyGlobal) || !(type.full in STORAGE_KINDS))
    return u.fail(`persistent id names storage type ${describe(type)}, not a storage class`);
  if (typeof key !== 'string' || key.length === 0 || key.length > 256)
    return u.fail(`persistent id has storage key ${describe(key)}, not a short string`);
  if (typeof location !== 'string')
    return u.fail(`persistent id for storage '${key}' has location ${describe(location)}, not a string`);
  const n = u.int(numel, `element count of storage '${key}'`);
  if (n < 0) u.fail(`storage '${key}' has negative element count ${n}`);
  const kind = STORAGE_KINDS[type.full];
  const seen = u.storages.get(key);
  if (seen) {
    if (seen.kind !== kind || seen.numel !== n)
      u.fail(
        `storage '${key}' is named twice with different types or sizes (${seen.typeName}[${seen.numel}] and ${type.full}[${n}])`,
      );
    return seen;
  }
  const s = new PyStorage(kind, type.full, key, location, n);
  u.storages.set(key, s);
  return s;
}

function rebuildTensor(u: Unpickler, args: PyValue[]): PyTensor {
  if (args.length !== 6 && args.length !== 7) u.fail(`${REBUILD_TENSOR} takes 6 or 7 arguments, got ${args.length}`);
  const [storage, offsetV, sizeV, strideV, rg, hooks] = args;
  if (!(storage instanceof PyStorage))
    return u.fail(`${REBUILD_TENSOR} got ${describe(storage)} where a storage belongs`);
  const offset = u.int(offsetV, 'storage offset');
  if (offset < 0) u.fail(`storage offset ${offset} is negative`);
  const size = u.intTuple(sizeV, 'tensor size');
  const stride = u.intTuple(strideV, 'tensor stride');
  if (stride.length !== size.length)
    u.fail(`tensor size ${describe(sizeV)} and stride ${describe(strideV)} have different lengths`);
  if (typeof rg !== 'boolean') u.fail(`requires_grad is ${describe(rg)}, not a bool`);
  if (!(hooks instanceof PyDict)) u.fail(`backward hooks are ${describe(hooks)}, not an OrderedDict`);
  const n = checkedNumel(size, () => `${u.where}: tensor of storage '${storage.key}'`);
  // the furthest element the view touches must lie inside its storage
  let last = offset;
  if (n > 0) for (let i = 0; i < size.length; i++) last += (size[i] - 1) * stride[i];
  if (!Number.isSafeInteger(last) || (n > 0 ? last >= storage.numel : offset > storage.numel)) {
    u.fail(
      `tensor of size (${size.join(', ')}), stride (${stride.join(', ')}) at offset ${offset} reaches element ${last} of storage '${storage.key}', which holds ${storage.numel}`,
    );
  }
  return new PyTensor(storage, offset, size, stride, rg as boolean);
}

/** REDUCE (and NEWOBJ of OrderedDict): what calling an allowed global with `args` would build. */
export function callAllowed(u: Unpickler, fn: PyValue, args: PyValue): PyValue {
  if (!(fn instanceof PyGlobal)) return u.fail(`REDUCE calls ${describe(fn)}, which is not an allowed global`);
  if (!(args instanceof PyTuple)) return u.fail(`REDUCE arguments for '${fn.full}' are ${describe(args)}, not a tuple`);
  const a = args.items;
  switch (fn.full) {
    case ORDERED_DICT: {
      const d = new PyDict(true);
      if (a.length === 0) return d;
      const items = a[0] instanceof PyTuple ? a[0].items : a[0];
      if (a.length !== 1 || !Array.isArray(items)) return u.fail(`OrderedDict(...) takes at most one list of pairs`);
      for (const kv of items) {
        const pair = kv instanceof PyTuple ? kv.items : kv;
        if (!Array.isArray(pair) || pair.length !== 2)
          return u.fail('OrderedDict(...) item is not a (key, value) pair');
        d.set(pair[0], pair[1]);
      }
      return d;
    }
    case REBUILD_TENSOR:
      return rebuildTensor(u, a);
    case REBUILD_PARAMETER:
    case REBUILD_PARAMETER_STATE: {
      if (
        a.length !== (fn.full === REBUILD_PARAMETER ? 3 : 4) ||
        !(a[0] instanceof PyTensor) ||
        typeof a[1] !== 'boolean'
      ) {
        return u.fail(
          `${fn.full} arguments are not (tensor, requires_grad, hooks${fn.full === REBUILD_PARAMETER ? '' : ', state'})`,
        );
      }
      const t = a[0];
      return new PyTensor(t.storage, t.offset, t.size, t.stride, a[1], true);
    }
  }
  return u.fail(`'${fn.full}' cannot be called (it is only allowed as a storage type)`);
}
