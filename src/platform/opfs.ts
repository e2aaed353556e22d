// Files in a browser: `opfs:dir/file` names in the origin-private file system (navigator.storage),
// which pages and workers of the same origin share and which survives reloads. `torch.save(sd,
// 'opfs:run/model.safetensors')`, `torch.load('opfs:run/model.safetensors')` and fit's
// `checkpointDir: 'opfs:run'` use it. Any other name is read with fetch (a URL, relative to the page)
// and cannot be written. Writes go through createWritable, which commits on close (nothing
// half-written is ever visible); where that is missing (Safari's workers) a sync access handle.
import { ArgumentError, PlatformError } from '../errors.js';
import type { FileStore } from './platform.js';
import { web, type WebDirectoryHandle, type WebFileHandle } from './web-types.js';

export const OPFS_PREFIX = 'opfs:';

/** `opfs:a/b/c` → ['a', 'b', 'c'] (empty segments and '.' dropped; '..' refused). */
export function opfsParts(name: string): string[] {
  const parts = name
    .slice(OPFS_PREFIX.length)
    .split('/')
    .filter((p) => p && p !== '.');
  if (parts.includes('..')) throw new ArgumentError(`'${name}': '..' is not allowed in an opfs: name`);
  return parts;
}

const notFound = (name: string, e: unknown) =>
  Object.assign(
    new PlatformError(
      `cannot read '${name}': ${(e as Error)?.name === 'NotFoundError' ? 'no such file' : (e as Error)?.message}`,
    ),
    {
      code: (e as Error)?.name === 'NotFoundError' || (e as Error)?.name === 'TypeMismatchError' ? 'ENOENT' : 'EIO',
    },
  );

async function root(): Promise<WebDirectoryHandle> {
  const storage = web().navigator?.storage;
  if (!storage?.getDirectory)
    throw new PlatformError(
      'the origin-private file system (navigator.storage.getDirectory) is not available here (it needs a secure context: https or localhost)',
    );
  return storage.getDirectory();
}

async function dirOf(parts: string[], create: boolean): Promise<WebDirectoryHandle> {
  let d = await root();
  for (const p of parts) d = await d.getDirectoryHandle(p, { create });
  return d;
}

async function fileHandle(name: string, create: boolean): Promise<WebFileHandle> {
  const parts = opfsParts(name);
  if (!parts.length) throw new ArgumentError(`'${name}' names no file`);
  const dir = await dirOf(parts.slice(0, -1), create);
  return dir.getFileHandle(parts[parts.length - 1], { create });
}

async function writeChunks(name: string, chunks: readonly Uint8Array[], append: boolean): Promise<void> {
  const h = await fileHandle(name, true);
  if (h.createWritable) {
    const w = await h.createWritable({ keepExistingData: append });
    try {
      if (append) await w.seek((await h.getFile()).size);
      for (const c of chunks) await w.write(c);
      await w.close();
    } catch (e) {
      await w.abort().catch(() => undefined);
      throw e;
    }
    return;
  }
  if (!h.createSyncAccessHandle)
    throw new PlatformError(
      `cannot write '${name}': this browser offers neither createWritable nor createSyncAccessHandle`,
    );
  const s = await h.createSyncAccessHandle();
  try {
    let at = append ? s.getSize() : 0;
    if (!append) s.truncate(0);
    for (const c of chunks) at += s.write(c, { at });
    s.flush();
  } finally {
    s.close();
  }
}

const bytesOf = (data: string | Uint8Array | readonly Uint8Array[]): readonly Uint8Array[] =>
  typeof data === 'string' ? [new TextEncoder().encode(data)] : data instanceof Uint8Array ? [data] : data;

function writable(name: string): void {
  if (!name.startsWith(OPFS_PREFIX)) {
    throw new PlatformError(
      `cannot write '${name}' in a browser: name a file in the origin-private file system ('opfs:dir/file'), or take the bytes (torch.save(obj) without a name returns them)`,
    );
  }
}

export const opfsFiles: FileStore = {
  async read(name) {
    if (!name.startsWith(OPFS_PREFIX)) {
      const res = await fetch(name);
      if (!res.ok)
        throw Object.assign(new PlatformError(`cannot read '${name}': HTTP ${res.status} ${res.statusText}`), {
          code: res.status === 404 ? 'ENOENT' : 'EIO',
        });
      return new Uint8Array(await res.arrayBuffer());
    }
    try {
      return new Uint8Array(await (await (await fileHandle(name, false)).getFile()).arrayBuffer());
    } catch (e) {
      throw e instanceof ArgumentError ? e : notFound(name, e);
    }
  },
  async write(name, data) {
    writable(name);
    await writeChunks(name, bytesOf(data), false);
  },
  async append(name, text) {
    writable(name);
    await writeChunks(name, bytesOf(text), true);
  },
  async mkdir(dir) {
    writable(dir);
    await dirOf(opfsParts(dir), true);
  },
  join: (dir, name) => `${dir.replace(/\/+$/, '')}/${name}`,
};
