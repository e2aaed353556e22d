// What differs between Node and a browser (a page or a Web Worker), behind one object the library
// asks at call time: environment variables, the next macrotask, where the GPU comes from, polite
// waiting on Dawn, files, the autotune cache, the default text sink, Ctrl-C, and the Node modules
// that Node-only features (ImageFolder, MNIST, the weights hub) need. The entry point installs the
// implementation before anything runs: src/index.ts imports platform/node.ts, src/browser.ts imports
// platform/browser.ts. No module reachable from the browser entry imports a `node:` module or the
// `webgpu` package; they sit behind `platform().node` and `platform().gpu`, installed only by Node's.
// Until an entry installs one (a module imported on its own), a plain platform built from globals
// answers: env from `process.env` when it exists, no files, no GPU.
import { PlatformError } from '../errors.js';
import type { GpuSource } from '../kernels/webgpu/adapter.js';

/** One autotune cache entry (kernels/webgpu/autotune.ts). */
export interface TuneCacheEntry {
  config: string;
  ms: Record<string, number>;
  at: string;
}

/**
 * Where kernel choices persist: a JSON file in Node (read fresh each time, so processes share it),
 * IndexedDB or localStorage in a browser (loaded once when the device is acquired, written behind).
 */
export interface TuneCacheStore {
  /** where it lives, for messages */
  readonly where: string;
  /** make `read` current (a browser reads its storage here; Node reads the file on each `read`) */
  load(): Promise<void>;
  read(): Record<string, TuneCacheEntry>;
  /** merge `entries` into the cache; failures are warned about, never thrown */
  write(entries: Record<string, TuneCacheEntry>): void;
}

/**
 * Files by name: paths in Node; `opfs:dir/file` names in a browser's origin-private file system.
 * Errors for a missing file carry `code: 'ENOENT'` on both.
 */
export interface FileStore {
  read(name: string): Promise<Uint8Array>;
  /** write whole (atomic where the store allows: Node writes beside and renames) */
  write(name: string, data: string | Uint8Array | readonly Uint8Array[]): Promise<void>;
  append(name: string, text: string): Promise<void>;
  /** create a directory and its parents */
  mkdir(dir: string): Promise<void>;
  join(dir: string, name: string): string;
}

/** A text sink (progress lines, a bar redrawn in place where `isTTY`). */
export interface TextOut {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface Platform {
  readonly name: 'node' | 'browser';
  env(name: string): string | undefined;
  /** resolves after the tasks already queued have run (setImmediate in Node, a message or timer elsewhere) */
  nextTask(): Promise<void>;
  /** how the GPU is obtained (null: no WebGPU here) */
  readonly gpu: GpuSource | null;
  /** await a device promise; Node throttles Dawn's polling loop meanwhile (polite-wait.ts) */
  politeWait<T>(p: Promise<T>): Promise<T>;
  readonly files: FileStore;
  readonly tuneCache: TuneCacheStore;
  /** where progress goes by default (Node: stdout; a browser: console.log lines) */
  readonly stdout: TextOut;
  /** call `handler` on Ctrl-C; returns the unsubscribe. A browser has none (use an AbortSignal). */
  onInterrupt(handler: () => void): () => void;
  /** end the process with `code` (a second Ctrl-C); a browser throws instead */
  exit(code: number): void;
  /** Node's modules for Node-only features (node-host.ts's NodeHost; opaque here, so the published
   *  types need no @types/node), null in a browser */
  readonly node: object | null;
}

/** A store with no files (a module imported without an entry point). */
export function noFiles(why: string): FileStore {
  const fail = async (name: string): Promise<never> => {
    throw Object.assign(new PlatformError(`cannot access '${name}': ${why}`), { code: 'ENOTSUP' });
  };
  return { read: fail, write: fail, append: fail, mkdir: fail, join: (d, n) => `${d.replace(/\/+$/, '')}/${n}` };
}

const memoryCache = (): TuneCacheStore => {
  let cache: Record<string, TuneCacheEntry> = {};
  return {
    where: 'memory',
    load: async () => undefined,
    read: () => cache,
    write: (e) => {
      cache = { ...cache, ...e };
    },
  };
};

/** The platform from globals alone (see the header). */
export function plainPlatform(): Platform {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } };
  return {
    name: 'browser',
    env: (name) => g.process?.env?.[name],
    nextTask: () => new Promise((r) => setTimeout(r, 0)),
    gpu: null,
    politeWait: (p) => p,
    files: noFiles('no platform installed (import finetorch or finetorch/browser)'),
    tuneCache: memoryCache(),
    stdout: { write: (s: string) => console.log(s.replace(/\n$/, '')) },
    onInterrupt: () => () => undefined,
    exit: (code) => {
      throw new PlatformError(`exit(${code}) requested: no process to end here`);
    },
    node: null,
  };
}

let current: Platform = plainPlatform();

/** The installed platform. */
export function platform(): Platform {
  return current;
}

/** Install `p` (an entry point does, before anything runs). */
export function setPlatform(p: Platform): void {
  current = p;
}
