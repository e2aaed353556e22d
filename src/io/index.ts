// Checkpoints: `torch.load` / `torch.save` for safetensors and PyTorch .pth/.pt files.
// The format is told by the bytes, never by the name, when loading; by the extension when saving.
// Bytes come from anywhere (sources.ts); files are the platform's: paths in Node, `opfs:` names in a
// browser (src/platform/).
import { ArgumentError, CheckpointError } from '../errors.js';
import type { Device } from '../tensor/device.js';
import { Tensor } from '../tensor/tensor.js';
import { concat } from './host.js';
import { describePth, loadPth, pthChunks, type StoredTensor } from './pth.js';
import { loadSafetensors, parseSafetensorsHeader, safetensorsChunks } from './safetensors.js';
import { platform } from '../platform/platform.js';
import { readSource, type CheckpointSource, type LoadProgress } from './sources.js';

export { loadSafetensors, saveSafetensors, parseSafetensorsHeader } from './safetensors.js';
export { loadPth, type StoredTensor } from './pth.js';
export { fetchBytes, type CheckpointSource, type LoadProgress } from './sources.js';

export type CheckpointFormat = 'safetensors' | 'pth';

const LEGACY =
  'legacy (pre-1.6) PyTorch serialization is not supported: re-save the file with torch.save(obj, path) in PyTorch >= 1.6, which writes the zip format by default (_use_new_zipfile_serialization=True)';

/** Tell the format from the first bytes: zip → pth, JSON after an 8-byte length → safetensors. */
export function detectFormat(bytes: Uint8Array): CheckpointFormat {
  const b = bytes;
  if (b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && ((b[2] === 3 && b[3] === 4) || (b[2] === 5 && b[3] === 6)))
    return 'pth';
  if (b.length >= 9 && b[8] === 0x7b) return 'safetensors';
  // torch.save before 1.6 (or with _use_new_zipfile_serialization=False): a pickle of a magic number first
  if (b.length >= 2 && b[0] === 0x80 && b[1] >= 2 && b[1] <= 5) throw new CheckpointError(LEGACY);
  // torch before 0.4 wrote a tar archive
  if (b.length >= 262 && new TextDecoder().decode(b.subarray(257, 262)) === 'ustar') throw new CheckpointError(LEGACY);
  const head = [...b.subarray(0, 8)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
  throw new CheckpointError(
    `not a checkpoint: a ${b.length}-byte file starting with [${head}] is neither a PyTorch zip (.pth/.pt) nor safetensors`,
  );
}

/**
 * Load a checkpoint from a path (Node) or an `opfs:` name (a browser), a URL (fetched; `onProgress`
 * hears of each chunk), a Blob or File, or the file's bytes (ArrayBuffer, Uint8Array, Buffer). A safetensors file gives `{ name: Tensor }`; a .pth
 * gives the object torch.save was given: a state dict as `{ name: Tensor }` in its order, a checkpoint
 * dict as nested plain objects/arrays with tensors in place (dict keys become strings; tuples become
 * arrays). Floating-point tensors load as float32, integers as int32 (int64 outside the int32 range
 * is an error naming the key), booleans as bool. Tensors land on `device` (default cpu).
 * Objects shared in the file are shared in the result, and cycles stay cycles, as in PyTorch.
 * `maxViewBytes`: a .pth tensor that is a view on part of a storage (a slice, a transpose, an
 * expansion) is copied out; these copies together may take at most this many bytes (default: 4× the
 * file's size, at least 16 MiB), so a small hostile file cannot ask for gigabytes.
 *
 * ```ts
 * const sd = await torch.load('resnet18-f37072fd.pth');              // torchvision's file, as is
 * model.loadStateDict(sd);
 * const ckpt = await torch.load('run/checkpoint.pth', { device: 'webgpu' });
 * const remote = await torch.load(url, { onProgress: (loaded, total) => console.log(loaded, total) });
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function load(
  src: CheckpointSource,
  opts: { device?: Device; maxViewBytes?: number; onProgress?: LoadProgress } = {},
): Promise<any> {
  if (opts.maxViewBytes !== undefined && !(Number.isSafeInteger(opts.maxViewBytes) && opts.maxViewBytes >= 0)) {
    throw new ArgumentError(`load: maxViewBytes must be a non-negative integer, got ${String(opts.maxViewBytes)}`);
  }
  const bytes = await readSource(src, opts.onProgress);
  if (detectFormat(bytes) === 'safetensors') return loadSafetensors(bytes, opts).tensors;
  return loadPth(bytes, opts);
}

function formatFor(path: string): CheckpointFormat {
  const p = path.toLowerCase();
  if (p.endsWith('.safetensors')) return 'safetensors';
  if (p.endsWith('.pth') || p.endsWith('.pt') || p.endsWith('.bin') || p.endsWith('.ckpt')) return 'pth';
  throw new ArgumentError(
    `save: cannot tell the format of '${path}' from its extension (use .safetensors, .pth or .pt)`,
  );
}

/** The bytes `save` would write, for a given format. */
export async function serializeCheckpoint(
  obj: unknown,
  format: CheckpointFormat,
  opts: { metadata?: Record<string, string> } = {},
): Promise<Uint8Array> {
  return concat(await chunksFor(obj, format, opts));
}

async function chunksFor(
  obj: unknown,
  format: CheckpointFormat,
  opts: { metadata?: Record<string, string> },
): Promise<Uint8Array[]> {
  if (format === 'pth') return pthChunks(obj);
  if (!obj || typeof obj !== 'object' || Array.isArray(obj) || obj instanceof Tensor) {
    throw new ArgumentError('save: a safetensors file holds a flat { name: Tensor } object (or Map)');
  }
  return safetensorsChunks(obj as Record<string, Tensor>, opts.metadata);
}

/**
 * Save `obj` to `path` (Node) or an `opfs:dir/file` name (a browser's origin-private file system), the
 * format chosen by the extension: `.safetensors` (a flat `{ name: Tensor }`, optional string
 * `metadata`) or `.pth`/`.pt` (anything `load` returns: nested objects, arrays, tensors, numbers,
 * strings, booleans, null), readable by PyTorch's torch.load (also with weights_only=True). Tensors
 * are read back from their device first. The file is written beside the target and renamed into
 * place (OPFS: committed on close), so a failure never leaves a half-written checkpoint.
 * Without a name, resolves the file's bytes instead (`format`, default 'pth' as PyTorch's
 * torch.save to a buffer): for a download, an upload, or a store of your own.
 */
export async function save(obj: unknown, path: string, opts?: { metadata?: Record<string, string> }): Promise<void>;
export async function save(
  obj: unknown,
  opts?: { format?: CheckpointFormat; metadata?: Record<string, string> },
): Promise<Uint8Array>;
export async function save(
  obj: unknown,
  pathOrOpts?: string | { format?: CheckpointFormat; metadata?: Record<string, string> },
  opts: { metadata?: Record<string, string> } = {},
): Promise<void | Uint8Array> {
  if (typeof pathOrOpts !== 'string') {
    const o = pathOrOpts ?? {};
    const format = o.format ?? 'pth';
    if (format !== 'pth' && format !== 'safetensors')
      throw new ArgumentError(`save: format must be 'pth' or 'safetensors', got ${JSON.stringify(format)}`);
    return serializeCheckpoint(obj, format, o);
  }
  const chunks = await chunksFor(obj, formatFor(pathOrOpts), opts);
  await platform().files.write(pathOrOpts, chunks);
}

export interface CheckpointSummary {
  format: CheckpointFormat;
  tensors: StoredTensor[];
  /** elements in all tensors together */
  parameters: number;
  /** bytes of tensor data as stored */
  bytes: number;
  /** safetensors `__metadata__`, or the non-tensor values of a .pth (epoch, hyperparameters) by path */
  other: Record<string, unknown>;
}

/** What a checkpoint holds, read from its header / pickle without decoding tensor data. */
export function inspectCheckpoint(bytes: Uint8Array): CheckpointSummary {
  const format = detectFormat(bytes);
  let tensors: StoredTensor[];
  let other: Record<string, unknown>;
  if (format === 'safetensors') {
    const h = parseSafetensorsHeader(bytes);
    tensors = [...h.entries].map(([key, e]) => {
      const numel = e.shape.reduce((a, b) => a * b, 1);
      return {
        key,
        dtype: e.dtype,
        shape: e.shape,
        numel,
        bytes: e.dataOffsets[1] - e.dataOffsets[0],
        requiresGrad: false,
      };
    });
    other = h.metadata;
  } else ({ tensors, other } = describePth(bytes));
  return {
    format,
    tensors,
    other,
    parameters: tensors.reduce((a, t) => a + t.numel, 0),
    bytes: tensors.reduce((a, t) => a + t.bytes, 0),
  };
}
