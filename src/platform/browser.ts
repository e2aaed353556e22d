// The browser platform (platform.ts), for a page and for a module Web Worker alike: settings from
// `globalThis.FINETORCH_ENV` (an object of the same names as Node's environment variables, set before
// the import), the next macrotask through a MessageChannel (a timer is clamped to 4 ms when nested),
// the GPU from navigator.gpu, plain awaits (no Dawn polling loop to throttle, and Atomics.wait is
// illegal on a page's main thread), files in the origin-private file system (opfs.ts), the autotune
// cache in IndexedDB (browser-tune-cache.ts), progress lines to the console, no Ctrl-C.
// src/browser.ts imports this first.
import { PlatformError } from '../errors.js';
import { browserGpu } from '../kernels/webgpu/browser-gpu.js';
import { browserTuneCache } from './browser-tune-cache.js';
import { opfsFiles } from './opfs.js';
import { setPlatform, type Platform } from './platform.js';
import { web } from './web-types.js';

function nextTask(): Promise<void> {
  if (typeof MessageChannel !== 'function') return new Promise((r) => setTimeout(r, 0));
  return new Promise((r) => {
    const ch = new MessageChannel();
    (ch.port1 as unknown as { onmessage: (() => void) | null }).onmessage = () => {
      ch.port1.close();
      r();
    };
    ch.port2.postMessage(0);
  });
}

export const browserPlatform: Platform = {
  name: 'browser',
  env: (name) => {
    const v = web().FINETORCH_ENV?.[name];
    return v === undefined ? undefined : String(v);
  },
  nextTask,
  gpu: browserGpu,
  politeWait: (p) => p,
  files: opfsFiles,
  tuneCache: browserTuneCache(),
  stdout: { write: (s: string) => console.log(s.replace(/\n$/, '')) },
  onInterrupt: () => () => undefined,
  exit: (code) => {
    throw new PlatformError(`exit(${code}) requested: a browser has no process to end`);
  },
  node: null,
};

setPlatform(browserPlatform);
