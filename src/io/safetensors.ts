// safetensors, written here to the published format (huggingface/safetensors): an 8-byte
// little-endian header length N, N bytes of UTF-8 JSON { name: { dtype, shape, data_offsets:
// [begin, end] }, __metadata__?: { str: str } }, then the raw little-endian tensor bytes. As in the
// reference reader, the data section must be covered exactly: tensors in offset order, no gaps, no
// overlaps, nothing after the last one. Every field is checked before any tensor is made.
import { ArgumentError, CheckpointError, fmtShape } from '../errors.js';
import type { DType } from '../kernels/backend.js';
import type { Device } from '../tensor/device.js';
import { Tensor } from '../tensor/tensor.js';
import { checkedNumel, decodeInto, dtypeOf, ELEM_SIZE, isElemKind, type ElemKind } from './dtypes.js';
import { concat, defineKey, tensorFrom } from './host.js';
import { parseFileJson, preview } from './json.js';

export { f16ToF32 } from './dtypes.js';

/** header length above which a file is refused (the reference implementation's limit) */
const MAX_HEADER = 100_000_000;
/** PyTorch's own limit on tensor rank */
const MAX_RANK = 64;

export interface SafetensorsEntry {
  dtype: ElemKind;
  shape: number[];
  dataOffsets: [number, number];
}
export interface SafetensorsHeader {
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  dataStart: number;
}

/** a string as JSON, for the writer (error messages quote with `preview`, which cuts) */
const q = (s: string) => JSON.stringify(s);
/** objects and arrays in the header nest 3 deep; far more is refused before JSON.parse */
const MAX_HEADER_DEPTH = 16;

/** Parse and validate the header; offsets in entries are relative to the data section (file offset `dataStart`). */
export function parseSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  if (bytes.length < 8)
    throw new CheckpointError(
      `safetensors: file is ${bytes.length} bytes, shorter than the 8-byte header length at offset 0`,
    );
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBig = dv.getBigUint64(0, true);
  if (lenBig > BigInt(MAX_HEADER))
    throw new CheckpointError(`safetensors: header length ${lenBig} at offset 0 exceeds the ${MAX_HEADER}-byte limit`);
  const hlen = Number(lenBig);
  if (8 + hlen > bytes.length)
    throw new CheckpointError(
      `safetensors: header length ${hlen} at offset 0 runs past the end of the ${bytes.length}-byte file (header would end at offset ${8 + hlen})`,
    );
  const dataStart = 8 + hlen;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    throw new CheckpointError(`safetensors: header (file offsets 8..${dataStart}) is not valid UTF-8 JSON (bad UTF-8)`);
  }
  const header = parseFileJson(text, `safetensors: header (file offsets 8..${dataStart})`, MAX_HEADER_DEPTH);
  if (!header || typeof header !== 'object' || Array.isArray(header))
    throw new CheckpointError(`safetensors: header (file offsets 8..${dataStart}) is not a JSON object`);
  const dataLen = bytes.length - dataStart;
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [key, raw] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (raw === null) continue;
      if (typeof raw !== 'object' || Array.isArray(raw))
        throw new CheckpointError('safetensors: __metadata__ must be an object mapping strings to strings');
      metadata = {};
      for (const [mk, mv] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof mv !== 'string')
          throw new CheckpointError(
            `safetensors: __metadata__ value for ${preview(mk)} is ${preview(mv)}, not a string`,
          );
        defineKey(metadata, mk, mv);
      }
      continue;
    }
    const what = `safetensors: tensor ${preview(key)}`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw))
      throw new CheckpointError(`${what} has a header entry that is not an object`);
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!isElemKind(e.dtype))
      throw new CheckpointError(
        `${what} has unknown dtype ${preview(e.dtype)} (supported: ${Object.keys(ELEM_SIZE).join(' ')})`,
      );
    const shape = e.shape;
    if (!Array.isArray(shape) || shape.length > MAX_RANK || shape.some((s) => !Number.isSafeInteger(s) || s < 0)) {
      throw new CheckpointError(
        `${what} has an invalid shape ${preview(shape)} (expected at most ${MAX_RANK} non-negative integers)`,
      );
    }
    const off = e.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      off.some((o) => !Number.isSafeInteger(o) || o < 0) ||
      off[0] > off[1]
    ) {
      throw new CheckpointError(
        `${what} has invalid data_offsets ${preview(off)} (expected [begin, end] with 0 <= begin <= end)`,
      );
    }
    const [b, end] = off as [number, number];
    const n = checkedNumel(shape as number[], () => what);
    const need = n * ELEM_SIZE[e.dtype];
    if (!Number.isSafeInteger(need) || need !== end - b) {
      throw new CheckpointError(
        `${what} of shape ${fmtShape(shape as number[])} and dtype ${e.dtype} needs ${need} bytes but data_offsets [${b}, ${end}] (file offsets ${dataStart + b}..${dataStart + end}) hold ${end - b}`,
      );
    }
    if (end > dataLen) {
      throw new CheckpointError(
        `${what} data_offsets [${b}, ${end}] run past the end of the file: the data section starts at file offset ${dataStart} and holds ${dataLen} bytes (the file is truncated or the offsets are wrong)`,
      );
    }
    entries.set(key, { dtype: e.dtype, shape: shape as number[], dataOffsets: [b, end] });
  }
  // the data section must be covered exactly once, in offset order (as the reference reader demands);
  // entries are kept in that order, the reference's own order of names
  const spans = [...entries].sort(
    (x, y) => x[1].dataOffsets[0] - y[1].dataOffsets[0] || x[1].dataOffsets[1] - y[1].dataOffsets[1],
  );
  let covered = 0,
    prev = '';
  for (const [key, e] of spans) {
    const [b, end] = e.dataOffsets;
    if (b < covered)
      throw new CheckpointError(
        `safetensors: tensors ${preview(prev)} and ${preview(key)} overlap at data offset ${b} (file offset ${dataStart + b})`,
      );
    if (b > covered)
      throw new CheckpointError(
        `safetensors: data bytes ${covered}..${b} (file offsets ${dataStart + covered}..${dataStart + b}) before tensor ${preview(key)} belong to no tensor`,
      );
    covered = end;
    prev = key;
  }
  if (covered !== dataLen) {
    throw new CheckpointError(
      `safetensors: ${dataLen - covered} bytes after the last tensor (file offsets ${dataStart + covered}..${bytes.length}) belong to no tensor`,
    );
  }
  return { entries: new Map(spans), metadata, dataStart };
}

const int64Error = (key: string, i: number, v: bigint, at: number) =>
  new CheckpointError(
    `safetensors: tensor ${preview(key)} holds int64 value ${v} at element ${i} (file offset ${at}), outside the int32 range tensors here have`,
  );

/** Read every tensor of a safetensors file, decoding each straight into its tensor's storage. */
export function loadSafetensors(
  bytes: Uint8Array,
  opts: { device?: Device } = {},
): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const { entries, metadata, dataStart } = parseSafetensorsHeader(bytes);
  const device = opts.device ?? 'cpu';
  const tensors: Record<string, Tensor> = {};
  const made: Tensor[] = [];
  try {
    for (const [k, e] of entries) {
      const at = dataStart + e.dataOffsets[0];
      const raw = bytes.subarray(at, dataStart + e.dataOffsets[1]);
      const n = raw.length / ELEM_SIZE[e.dtype];
      const t = tensorFrom(`safetensors: tensor ${preview(k)}`, e.shape, n, dtypeOf(e.dtype), device, (out) =>
        decodeInto(e.dtype, raw, n, out, (i, v) => {
          throw int64Error(k, i, v, at + i * 8);
        }),
      );
      made.push(t);
      defineKey(tensors, k, t);
    }
  } catch (err) {
    // a bad entry leaves nothing half-made
    for (const t of made) t.dispose();
    throw err;
  }
  return { tensors, metadata };
}

const ST_DTYPE: Record<DType, ElemKind> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };
/** The reference's Dtype enum order (BOOL < U8 < I8 < F8_E5M2 < F8_E4M3 < I16 < U16 < F16 < BF16 < I32 < U32 < F32 < F64 < I64 < U64). */
const DTYPE_RANK: Record<string, number> = {
  BOOL: 0,
  U8: 1,
  I8: 2,
  F8_E5M2: 3,
  F8_E4M3: 4,
  I16: 5,
  U16: 6,
  F16: 7,
  BF16: 8,
  I32: 9,
  U32: 10,
  F32: 11,
  F64: 12,
  I64: 13,
  U64: 14,
};

/**
 * The reference writer's order: dtype descending (by its Dtype enum, i.e. by alignment), then name
 * ascending by UTF-8 bytes (Rust's `String` ordering, not JS's UTF-16 ordering).
 */
export function referenceOrder(items: { name: string; dtype: string }[]): { name: string; dtype: string }[] {
  const utf8 = new TextEncoder();
  const enc = new Map(items.map((it) => [it.name, utf8.encode(it.name)]));
  return [...items].sort(
    (a, b) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || compareBytes(enc.get(a.name)!, enc.get(b.name)!),
  );
}

/** Lexicographic order of byte strings (Node's Buffer.compare, without Buffer: browsers lack it). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Serialise tensors as chunks: header first, then each tensor's bytes in the reference order. */
export async function safetensorsChunks(
  tensors: Record<string, Tensor> | ReadonlyMap<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<Uint8Array[]> {
  const list: [string, Tensor][] =
    tensors instanceof Map
      ? [...(tensors as ReadonlyMap<string, Tensor>)]
      : Object.entries(tensors as Record<string, Tensor>);
  for (const [k, t] of list) {
    if (!(t instanceof Tensor))
      throw new ArgumentError(
        `saveSafetensors: value for key ${preview(k)} is not a Tensor (safetensors holds tensors only; put other values in metadata as strings)`,
      );
    if (k === '__metadata__')
      throw new ArgumentError("saveSafetensors: '__metadata__' is reserved for the metadata and cannot name a tensor");
  }
  if (metadata)
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string')
        throw new ArgumentError(
          `saveSafetensors: metadata value for ${preview(k)} is ${typeof v}; safetensors metadata maps strings to strings`,
        );
  const byName = new Map(list);
  const order = referenceOrder(list.map(([name, t]) => ({ name, dtype: ST_DTYPE[t.dtype] })));
  const parts: string[] = [];
  if (metadata && Object.keys(metadata).length)
    parts.push(
      `"__metadata__":{${Object.entries(metadata)
        .map(([k, v]) => `${q(k)}:${q(v)}`)
        .join(',')}}`,
    );
  const datas: Uint8Array[] = [];
  let off = 0;
  for (const { name, dtype } of order) {
    const t = byName.get(name)!;
    const d = await t.data();
    // bool comes back as one byte per element, which is exactly safetensors' BOOL
    const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    // keys built by hand: JSON.stringify of an object would move integer-like names to the front
    parts.push(
      `${q(name)}:{"dtype":"${dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${off},${off + bytes.length}]}`,
    );
    datas.push(bytes);
    off += bytes.length;
  }
  let json = `{${parts.join(',')}}`;
  // pad with spaces so the data section starts 8-byte aligned (the reference pads the same way)
  const unpadded = new TextEncoder().encode(json).length;
  json += ' '.repeat((8 - (unpadded % 8)) % 8);
  const hb = new TextEncoder().encode(json);
  const head = new Uint8Array(8 + hb.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(hb.length), true);
  head.set(hb, 8);
  return [head, ...datas];
}

/** Serialise tensors to safetensors bytes. */
export async function saveSafetensors(
  tensors: Record<string, Tensor> | ReadonlyMap<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<Uint8Array> {
  return concat(await safetensorsChunks(tensors, metadata));
}
