// The autotune cache in a browser: without it a page would time its matmul and conv kernels again
// (~20 s on a software adapter) on every load. IndexedDB where it exists (pages and workers), else
// localStorage (pages only), else memory. It is read once when the device is acquired (`load`) and
// written behind: a failed write costs a re-timing on the next load, never an error.
import type { TuneCacheEntry, TuneCacheStore } from './platform.js';
import { web, type WebDatabase, type WebObjectStore, type WebRequest } from './web-types.js';

const DB = 'finetorch',
  STORE = 'kv',
  KEY = 'autotune';

function openDb(): Promise<WebDatabase> {
  return new Promise((resolve, reject) => {
    const req = web().indexedDB!.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function request<T>(
  db: WebDatabase,
  mode: 'readonly' | 'readwrite',
  op: (s: WebObjectStore) => WebRequest<T>,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = op(db.transaction(STORE, mode).objectStore(STORE));
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

const asEntries = (v: unknown): Record<string, TuneCacheEntry> =>
  v && typeof v === 'object' ? (v as Record<string, TuneCacheEntry>) : {};

export function browserTuneCache(): TuneCacheStore {
  let cache: Record<string, TuneCacheEntry> = {};
  const idb = web().indexedDB !== undefined;
  // reading localStorage throws where storage is blocked (a sandboxed frame)
  const ls = () => {
    try {
      return web().localStorage ?? null;
    } catch {
      return null;
    }
  };
  const warn = (e: unknown) =>
    console.warn(`finetorch: could not write the autotune cache: ${(e as Error)?.message ?? e}`);
  return {
    where: idb
      ? `IndexedDB '${DB}'`
      : ls()
        ? `localStorage '${DB}.${KEY}'`
        : 'memory (no IndexedDB or localStorage here)',
    async load() {
      try {
        if (idb) {
          const db = await openDb();
          try {
            cache = { ...asEntries(await request(db, 'readonly', (s) => s.get(KEY))), ...cache };
          } finally {
            db.close();
          }
        } else {
          const raw = ls()?.getItem(`${DB}.${KEY}`);
          if (raw) cache = { ...asEntries(JSON.parse(raw)), ...cache };
        }
      } catch {
        // unreadable (private mode, a corrupt value): tune again
      }
    },
    read: () => cache,
    write(entries) {
      cache = { ...cache, ...entries };
      const snapshot = cache;
      if (idb) {
        openDb()
          .then((db) => request(db, 'readwrite', (s) => s.put(snapshot, KEY)).finally(() => db.close()))
          .catch(warn);
      } else {
        try {
          ls()?.setItem(`${DB}.${KEY}`, JSON.stringify(snapshot));
        } catch (e) {
          warn(e);
        }
      }
    },
  };
}
