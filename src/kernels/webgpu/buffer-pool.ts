// The buffer pool: freed device buffers kept for reuse, since creating one costs an allocation and
// the driver's zero-fill. Buffers are pooled by size bucket (bucketSize), so a freed buffer serves
// any later request that rounds to the same bucket.
//
// The pool keeps buffers for reuse, but not forever: a training loop written without scope/dispose
// frees its tensors only when the garbage collector runs, in bursts of hundreds of MB that would
// otherwise stay pooled. So a pooled buffer that no allocation has taken for IDLE_SUBMITS submits is
// destroyed (a steady loop reuses its working set every step, so only the excess of a burst or of a
// finished phase goes), and the pool never holds more than `limit` bytes (default 1 GiB,
// FINETORCH_WEBGPU_POOL_MB to change): a buffer freed while the pool is full is destroyed at once.
// `torch.webgpu.emptyCache()` destroys every pooled buffer (PyTorch's torch.cuda.empty_cache()).
//
// Nothing here is WebGPU-specific (a buffer is anything with a size and destroy()), and the clock is
// the submit count the owner reports with tick(), so the policy is testable without a device.
import { platform } from '../../platform/platform.js';

/** a pooled buffer unused for this many submits is destroyed (checked every IDLE_SWEEP submits) */
export const IDLE_SUBMITS = 64;
const IDLE_SWEEP = 8;
const DEFAULT_POOL_MB = 1024;

export interface PoolBuffer {
  readonly size: number;
  destroy(): void;
}

/** Round a byte size up to its pool bucket: powers of two up to 1 MiB, then 1/8 steps. */
export function bucketSize(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (b <= 1 << 20) return 2 ** Math.ceil(Math.log2(b));
  const step = 2 ** (Math.floor(Math.log2(b)) - 3);
  return Math.ceil(b / step) * step;
}

/** FINETORCH_WEBGPU_POOL_MB in bytes, else 1 GiB (read from the platform's settings when a pool is made). */
export function poolLimitFromEnv(): number {
  const raw = platform().env('FINETORCH_WEBGPU_POOL_MB');
  const mb = Number(raw);
  return (Number.isFinite(mb) && mb >= 0 ? mb : DEFAULT_POOL_MB) * 2 ** 20;
}

export class BufferPool<B extends PoolBuffer> {
  /** bytes held by pooled buffers */
  bytes = 0;
  /** per bucket size, oldest first; each with the submit count when it was pooled */
  private lists = new Map<number, { buf: B; at: number }[]>();
  private submits = 0;

  /** @param limit the most bytes the pool keeps (see the header) */
  constructor(public limit: number = poolLimitFromEnv()) {}

  /** A pooled buffer of exactly `size` bytes (a bucket size), the most recently pooled first. */
  take(size: number): B | undefined {
    const list = this.lists.get(size);
    if (list?.length) {
      this.bytes -= size;
      return list.pop()!.buf;
    }
    return undefined;
  }

  /** Keep a free buffer, or destroy it when the pool is full. */
  put(buf: B): void {
    // over the limit the buffer goes instead of a pooled one: O(1), and the idle sweep retires stale ones
    if (this.bytes + buf.size > this.limit) {
      buf.destroy();
      return;
    }
    const list = this.lists.get(buf.size) ?? [];
    list.push({ buf, at: this.submits });
    this.lists.set(buf.size, list);
    this.bytes += buf.size;
  }

  /** One submit happened: every IDLE_SWEEP submits, destroy what has been idle IDLE_SUBMITS submits. */
  tick(): void {
    if (++this.submits % IDLE_SWEEP === 0) this.releaseBefore(this.submits - IDLE_SUBMITS);
  }

  /** Destroy every pooled buffer. */
  clear(): void {
    this.releaseBefore(Infinity);
  }

  /** Destroy the buffers pooled before submit `before` (each bucket's list is oldest first). */
  private releaseBefore(before: number): void {
    for (const [size, list] of this.lists) {
      let n = 0;
      while (n < list.length && list[n].at < before) list[n++].buf.destroy();
      if (n === list.length) this.lists.delete(size);
      else if (n) list.splice(0, n);
      this.bytes -= n * size;
    }
  }
}
