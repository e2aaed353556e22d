// safetensors, written here to the published format: 8-byte little-endian header length, a JSON
// header { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { str: str } }, then
// the raw little-endian bytes. Every field is validated before any tensor is made.
import { CheckpointError, fmtShape } from '../errors.js';
import type { DType } from '../kernels/backend.js';
import type { Device } from '../tensor/device.js';
import { Tensor } from '../tensor/tensor.js';

const SIZES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/** header length above which a file is refused (the reference implementation uses 100 MB) */
const MAX_HEADER = 100_000_000;

export interface SafetensorsEntry { dtype: string; shape: number[]; dataOffsets: [number, number] }

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Parse and validate the header; offsets are relative to the data section. */
export function parseSafetensorsHeader(bytes: Uint8Array): { entries: Map<string, SafetensorsEntry>; metadata: Record<string, string>; dataStart: number } {
  if (bytes.length < 8) throw new CheckpointError(`safetensors: file is ${bytes.length} bytes, shorter than the 8-byte header length at offset 0`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBig = dv.getBigUint64(0, true);
  if (lenBig > BigInt(MAX_HEADER)) throw new CheckpointError(`safetensors: header length ${lenBig} at offset 0 exceeds the ${MAX_HEADER}-byte limit`);
  const hlen = Number(lenBig);
  if (8 + hlen > bytes.length) throw new CheckpointError(`safetensors: header length ${hlen} at offset 0 runs past the end of the ${bytes.length}-byte file`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + hlen)));
  } catch (e) {
    throw new CheckpointError(`safetensors: header (bytes 8..${8 + hlen}) is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new CheckpointError('safetensors: header is not a JSON object');
  const dataStart = 8 + hlen;
  const dataLen = bytes.length - dataStart;
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [key, raw] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw) || Object.values(raw).some((v) => typeof v !== 'string')) {
        throw new CheckpointError('safetensors: __metadata__ must map strings to strings');
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!e || typeof e !== 'object') throw new CheckpointError(`safetensors: entry '${key}' is not an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in SIZES)) throw new CheckpointError(`safetensors: tensor '${key}' has unknown dtype ${JSON.stringify(e.dtype)}`);
    if (!Array.isArray(e.shape) || e.shape.some((s) => !Number.isSafeInteger(s) || s < 0)) throw new CheckpointError(`safetensors: tensor '${key}' has an invalid shape ${JSON.stringify(e.shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || off.some((o) => !Number.isSafeInteger(o) || o < 0) || off[0] > off[1]) {
      throw new CheckpointError(`safetensors: tensor '${key}' has invalid data_offsets ${JSON.stringify(off)}`);
    }
    if (off[1] > dataLen) throw new CheckpointError(`safetensors: tensor '${key}' data_offsets [${off[0]}, ${off[1]}] run past the data section (${dataLen} bytes from file offset ${dataStart})`);
    const n = (e.shape as number[]).reduce((a, b) => a * b, 1);
    if (n * SIZES[e.dtype] !== off[1] - off[0]) {
      throw new CheckpointError(`safetensors: tensor '${key}' of shape ${fmtShape(e.shape as number[])} and dtype ${e.dtype} needs ${n * SIZES[e.dtype]} bytes but data_offsets [${off[0]}, ${off[1]}] hold ${off[1] - off[0]}`);
    }
    spans.push([off[0], off[1], key]);
    entries.set(key, { dtype: e.dtype, shape: e.shape as number[], dataOffsets: [off[0], off[1]] });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1]) throw new CheckpointError(`safetensors: tensors '${spans[i - 1][2]}' and '${spans[i][2]}' overlap at data offset ${spans[i][0]}`);
  }
  return { entries, metadata, dataStart };
}

/** Decode one entry's bytes: floats → float32, integers → int32 (range checked), BOOL → bool. */
export function decodeEntry(key: string, e: SafetensorsEntry, raw: Uint8Array, fileOffset = 0): { data: Float32Array | Int32Array; dtype: DType } {
  const n = e.shape.reduce((a, b) => a * b, 1);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (e.dtype) {
    case 'F32': {
      const out = new Float32Array(n);
      if (raw.byteOffset % 4 === 0) out.set(new Float32Array(raw.buffer, raw.byteOffset, n));
      else for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
      return { data: out, dtype: 'float32' };
    }
    case 'F64': { const out = new Float32Array(n); for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true); return { data: out, dtype: 'float32' }; }
    case 'F16': { const out = new Float32Array(n); for (let i = 0; i < n; i++) out[i] = f16ToF32(dv.getUint16(i * 2, true)); return { data: out, dtype: 'float32' }; }
    case 'BF16': {
      const out = new Float32Array(n);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = dv.getUint16(i * 2, true) << 16;
      return { data: out, dtype: 'float32' };
    }
    case 'I64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = dv.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n) throw new CheckpointError(`safetensors: tensor '${key}' holds int64 value ${v} at element ${i} (file offset ${fileOffset + i * 8}), outside the int32 range`);
        out[i] = Number(v);
      }
      return { data: out, dtype: 'int32' };
    }
    case 'I32': { const out = new Int32Array(n); for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true); return { data: out, dtype: 'int32' }; }
    case 'I16': { const out = new Int32Array(n); for (let i = 0; i < n; i++) out[i] = dv.getInt16(i * 2, true); return { data: out, dtype: 'int32' }; }
    case 'I8': { const out = new Int32Array(n); for (let i = 0; i < n; i++) out[i] = dv.getInt8(i); return { data: out, dtype: 'int32' }; }
    case 'U8': { const out = new Int32Array(n); for (let i = 0; i < n; i++) out[i] = raw[i]; return { data: out, dtype: 'int32' }; }
    case 'BOOL': { const out = new Int32Array(n); for (let i = 0; i < n; i++) out[i] = raw[i] ? 1 : 0; return { data: out, dtype: 'bool' }; }
  }
  throw new CheckpointError(`safetensors: tensor '${key}' has unknown dtype ${e.dtype}`);
}

/** Read every tensor of a safetensors file. */
export function loadSafetensors(bytes: Uint8Array, opts: { device?: Device } = {}): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const { entries, metadata, dataStart } = parseSafetensorsHeader(bytes);
  // decode everything before creating any tensor: a bad entry leaves nothing half-made
  const decoded = [...entries].map(([k, e]) => [k, e, decodeEntry(k, e, bytes.subarray(dataStart + e.dataOffsets[0], dataStart + e.dataOffsets[1]), dataStart + e.dataOffsets[0])] as const);
  const device = opts.device ?? 'cpu';
  const tensors: Record<string, Tensor> = {};
  for (const [k, e, d] of decoded) tensors[k] = Tensor.fromHost(d.data, e.shape, d.dtype, device);
  return { tensors, metadata };
}

const ST_DTYPE: Record<DType, string> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };

/** Serialise tensors (keys sorted, as the reference writer does; data 8-byte aligned). */
export async function saveSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<Uint8Array> {
  const keys = Object.keys(tensors).sort();
  const datas: Uint8Array[] = [];
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let off = 0;
  for (const k of keys) {
    const t = tensors[k];
    const d = await t.data();
    const bytes = t.dtype === 'bool' ? Uint8Array.from(d as Uint8Array) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    header[k] = { dtype: ST_DTYPE[t.dtype], shape: [...t.shape], data_offsets: [off, off + bytes.length] };
    datas.push(bytes);
    off += bytes.length;
  }
  let json = JSON.stringify(header);
  const pad = (8 - ((8 + Buffer.byteLength(json)) % 8)) % 8;
  json += ' '.repeat(pad);
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const d of datas) { out.set(d, p); p += d.length; }
  return out;
}
