// Element types a checkpoint may hold, and their decoding into the three dtypes a tensor has here:
// floats → float32, integers → int32 (range checked), booleans → bool. Decoders write straight into
// the destination typed array (a tensor's own storage), so a file is copied once, not twice.
import { CheckpointError } from '../errors.js';
import type { DType } from '../kernels/backend.js';

/** safetensors dtype names; PyTorch storages map onto the same set. */
export type ElemKind = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const ELEM_SIZE: Record<ElemKind, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export function isElemKind(s: unknown): s is ElemKind {
  return typeof s === 'string' && Object.hasOwn(ELEM_SIZE, s);
}

export function dtypeOf(kind: ElemKind): DType {
  if (kind === 'BOOL') return 'bool';
  return kind[0] === 'F' || kind === 'BF16' ? 'float32' : 'int32';
}

/** Product of dims, refusing anything that is not a safe integer on the way. */
export function checkedNumel(shape: readonly number[], what: () => string): number {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n))
      throw new CheckpointError(`${what()}: shape [${shape.join(', ')}] has more elements than can be addressed`);
  }
  return n;
}

let f16Table: Float32Array | null = null;
/** all 65536 half values, built once: a lookup is far faster than bit fiddling per element */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = f16ToF32(h);
  return (f16Table = t);
}

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1,
    e = (h >> 10) & 0x1f,
    f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/**
 * Decode `count` elements of `kind` from `src` (little-endian bytes, any alignment) into `out`.
 * `outOfRange(i, value)` is called (and must throw) for an int64 element outside the int32 range.
 */
export function decodeInto(
  kind: ElemKind,
  src: Uint8Array,
  count: number,
  out: Float32Array | Int32Array,
  outOfRange: (i: number, v: bigint) => never,
): void {
  const size = ELEM_SIZE[kind];
  if (src.length !== count * size || out.length !== count) {
    throw new CheckpointError(
      `internal: decoding ${count} ${kind} elements from ${src.length} bytes into ${out.length}`,
    );
  }
  const off = src.byteOffset;
  const dv = new DataView(src.buffer, off, src.byteLength);
  const aligned = (a: number) => off % a === 0;
  switch (kind) {
    case 'F32':
    case 'I32':
      // same width and bits: a byte copy, whatever the source alignment (NaN payloads kept)
      new Uint8Array(out.buffer, out.byteOffset, count * 4).set(src);
      return;
    case 'F64':
      if (aligned(8)) out.set(new Float64Array(src.buffer, off, count));
      else for (let i = 0; i < count; i++) out[i] = dv.getFloat64(i * 8, true);
      return;
    case 'F16': {
      const t = halfTable();
      if (aligned(2)) {
        const u = new Uint16Array(src.buffer, off, count);
        for (let i = 0; i < count; i++) out[i] = t[u[i]];
      } else for (let i = 0; i < count; i++) out[i] = t[src[2 * i] | (src[2 * i + 1] << 8)];
      return;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32: shift the bits into place
      const u32 = new Uint32Array(out.buffer, out.byteOffset, count);
      for (let i = 0; i < count; i++) u32[i] = ((src[2 * i] | (src[2 * i + 1] << 8)) << 16) >>> 0;
      return;
    }
    case 'I64': {
      // an int64 fits int32 exactly when its high word is the sign extension of its low word
      if (aligned(4)) {
        const w = new Int32Array(src.buffer, off, count * 2);
        for (let i = 0; i < count; i++) {
          const lo = w[2 * i],
            hi = w[2 * i + 1];
          if (hi !== lo >> 31) outOfRange(i, dv.getBigInt64(i * 8, true));
          out[i] = lo;
        }
      } else {
        for (let i = 0; i < count; i++) {
          const lo = dv.getInt32(i * 8, true),
            hi = dv.getInt32(i * 8 + 4, true);
          if (hi !== lo >> 31) outOfRange(i, dv.getBigInt64(i * 8, true));
          out[i] = lo;
        }
      }
      return;
    }
    case 'I16':
      for (let i = 0; i < count; i++) out[i] = dv.getInt16(i * 2, true);
      return;
    case 'I8':
      for (let i = 0; i < count; i++) out[i] = (src[i] << 24) >> 24;
      return;
    case 'U8':
      for (let i = 0; i < count; i++) out[i] = src[i];
      return;
    case 'BOOL':
      for (let i = 0; i < count; i++) out[i] = src[i] ? 1 : 0;
      return;
  }
}

/** Allocate an output array, turning an allocation failure into a CheckpointError naming the tensor. */
export function allocFor<T>(what: string, count: number, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof RangeError)
      throw new CheckpointError(`${what}: ${count} elements do not fit in memory (${(e as Error).message})`);
    throw e;
  }
}
