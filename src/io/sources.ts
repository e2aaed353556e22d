// Where checkpoint bytes come from, on either platform: a path or an `opfs:` name (the platform's
// files), a URL (fetch, with progress), a Blob or File (a file input, a drag and drop), or bytes
// already in memory (an ArrayBuffer, a typed array, a Node Buffer).
import { ArgumentError, CheckpointError } from '../errors.js';
import { platform } from '../platform/platform.js';

export type CheckpointSource = string | URL | Blob | ArrayBuffer | ArrayBufferView;

/** Called as bytes arrive from a URL: `total` is the Content-Length, or null when the server sent none. */
export type LoadProgress = (loaded: number, total: number | null) => void;

const isUrl = (s: string) => /^(https?|blob|data):/i.test(s);

/** GET `url` into one array, reporting progress per chunk. */
export async function fetchBytes(url: string | URL, onProgress?: LoadProgress): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok)
    throw new CheckpointError(`cannot read '${String(url)}': HTTP ${res.status} ${res.statusText}`.trimEnd());
  const header = res.headers.get('content-length');
  const total = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  if (!onProgress || !res.body) return new Uint8Array(await res.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = res.body.getReader();
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress(loaded, total);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The bytes of `src` (see the header); a failure to read is a CheckpointError naming the source. */
export async function readSource(src: CheckpointSource, onProgress?: LoadProgress): Promise<Uint8Array> {
  if (src instanceof Uint8Array) return src;
  if (ArrayBuffer.isView(src)) return new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  if (src instanceof ArrayBuffer) return new Uint8Array(src);
  if (typeof Blob !== 'undefined' && src instanceof Blob) return new Uint8Array(await src.arrayBuffer());
  if (src instanceof URL || (typeof src === 'string' && isUrl(src))) return fetchBytes(src, onProgress);
  if (typeof src !== 'string') {
    throw new ArgumentError(
      `load: expected a path, URL, Blob, ArrayBuffer or Uint8Array, got ${Object.prototype.toString.call(src)}`,
    );
  }
  try {
    return await platform().files.read(src);
  } catch (e) {
    throw new CheckpointError(`cannot read '${src}': ${(e as Error).message}`);
  }
}
