// Waiting for the device without spinning a core.
//
// Dawn's Node binding finds finished GPU work by polling: while any of its promises is pending it
// re-queues itself with the global setImmediate, a busy loop on the main thread. On a software
// adapter that loop takes a core from the driver's worker threads (measured on 2 cores, llvmpipe:
// ~40% of the process CPU time of a 1024³ matmul and its readback, and ~1.6× its wall time). While
// one of our own waits is pending, each poll after the first SPIN_MS blocks the thread (Atomics.wait:
// no CPU) for 1/8 of the time waited so far, at most 1 ms: waits of a few hundred µs (small
// kernels) stay as short as before, long ones take at most ~1/8 longer to notice completion.
//
// Node only: platform/node.ts installs it; a browser's platform awaits plainly (it resolves GPU
// promises from its own event loop, and Atomics.wait is illegal on a page's main thread). Without a
// global setImmediate or SharedArrayBuffer a wait is a plain await too. Nothing is touched at module load.

const SPIN_MS = 0.25;
let pollCell: Int32Array | null = null;
let waiting = 0;
let waitStart = 0;
let realSetImmediate: typeof setImmediate | null = null;

function canThrottle(): boolean {
  return (
    typeof globalThis.setImmediate === 'function' &&
    typeof SharedArrayBuffer === 'function' &&
    typeof Atomics?.wait === 'function'
  );
}

/** Await `p` (a device promise), throttling Dawn's polling meanwhile (see the header). */
export async function politeWait<T>(p: Promise<T>): Promise<T> {
  if (waiting === 0 && !canThrottle()) return p;
  if (waiting++ === 0) {
    waitStart = performance.now();
    const cell = (pollCell ??= new Int32Array(new SharedArrayBuffer(4)));
    const real = (realSetImmediate = globalThis.setImmediate);
    const polite = ((fn: (...a: unknown[]) => void, ...args: unknown[]) => {
      const waited = performance.now() - waitStart;
      if (waited > SPIN_MS) Atomics.wait(cell, 0, 0, Math.min(1, waited / 8));
      return real(fn, ...args);
    }) as typeof setImmediate;
    globalThis.setImmediate = Object.assign(polite, { __promisify__: real.__promisify__ });
  }
  try {
    return await p;
  } finally {
    if (--waiting === 0 && realSetImmediate) {
      globalThis.setImmediate = realSetImmediate;
      realSetImmediate = null;
    }
  }
}
