// The few browser APIs the browser platform uses, typed here: the project compiles against Node's
// types (tsconfig has no DOM lib, and adding it would let Node code use window-only names unchecked).
// Only the members used are declared; reach them through `web()`, which is globalThis seen as a browser.

export interface WebWritable {
  seek(position: number): Promise<void>;
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}
export interface WebSyncAccessHandle {
  write(b: Uint8Array, o: { at: number }): number;
  truncate(n: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}
export interface WebFileHandle {
  getFile(): Promise<Blob>;
  createWritable?(o: { keepExistingData: boolean }): Promise<WebWritable>;
  createSyncAccessHandle?(): Promise<WebSyncAccessHandle>;
}
export interface WebDirectoryHandle {
  getDirectoryHandle(name: string, o: { create: boolean }): Promise<WebDirectoryHandle>;
  getFileHandle(name: string, o: { create: boolean }): Promise<WebFileHandle>;
}

export interface WebRequest<T> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
export interface WebObjectStore {
  get(key: string): WebRequest<unknown>;
  put(value: unknown, key: string): WebRequest<unknown>;
}
export interface WebDatabase {
  transaction(store: string, mode: 'readonly' | 'readwrite'): { objectStore(name: string): WebObjectStore };
  createObjectStore(name: string): unknown;
  close(): void;
}
export interface WebOpenRequest extends WebRequest<WebDatabase> {
  onupgradeneeded: (() => void) | null;
}
export interface WebStorage {
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
}

export interface WebImageBitmap {
  width: number;
  height: number;
  close(): void;
}
export interface Web2d {
  drawImage(image: WebImageBitmap, x: number, y: number): void;
  getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
}

export interface WebGlobals {
  navigator?: { gpu?: GPU; storage?: { getDirectory?(): Promise<WebDirectoryHandle> } };
  indexedDB?: { open(name: string, version: number): WebOpenRequest };
  localStorage?: WebStorage;
  createImageBitmap?: (
    b: Blob,
    o: { colorSpaceConversion: 'none'; premultiplyAlpha: 'none' },
  ) => Promise<WebImageBitmap>;
  OffscreenCanvas?: new (w: number, h: number) => { getContext(kind: '2d'): Web2d | null };
  FINETORCH_ENV?: Record<string, string | undefined>;
}

/** globalThis, seen as a browser's (every member may be missing). */
export const web = (): WebGlobals => globalThis as unknown as WebGlobals;
