// PyTorch's pickle, both ways: the restricted unpickler for the `data.pkl` of a checkpoint (a machine
// in unpickler.ts, one handler per opcode in opcodes.ts, the only globals a file may name in
// allowlist.ts, so that no code from a file ever runs) and the pickler torch.save's output uses.
export { describe, PyDict, PyGlobal, PyStorage, PyTensor, PyTuple, storageBytes, type PyValue } from './values.js';
export { STORAGE_KINDS } from './allowlist.js';
export { DEFAULT_PICKLE_LIMITS, unpickle, Unpickler, type PickleLimits } from './unpickler.js';
export { Pickler, PY_DICT, type PyDictMark, type TensorRecord } from './pickler.js';
