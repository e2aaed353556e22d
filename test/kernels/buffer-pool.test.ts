// The buffer pool's policy (src/kernels/webgpu/buffer-pool.ts) on fake buffers, so it is pinned
// without a device: size buckets, reuse of the newest buffer, a byte limit past which a freed buffer
// is destroyed at once, idle buffers destroyed after IDLE_SUBMITS submits (swept every 8), clear().
import { describe, expect, it } from 'vitest';
import { BufferPool, bucketSize, IDLE_SUBMITS } from '../../src/kernels/webgpu/buffer-pool.js';

class FakeBuffer {
  destroyed = false;
  constructor(readonly size: number) {}
  destroy() {
    this.destroyed = true;
  }
}

describe('webgpu buffer pool', () => {
  it('buckets: powers of two from 16 bytes up to 1 MiB, then eighths of the power of two below', () => {
    expect([1, 16, 17, 100, 1000, 2 ** 20].map(bucketSize)).toEqual([16, 16, 32, 128, 1024, 2 ** 20]);
    expect(bucketSize(2 ** 20 + 1)).toBe(2 ** 20 + 2 ** 17);
    expect(bucketSize(3 * 2 ** 20 + 5)).toBe(3 * 2 ** 20 + 2 ** 18);
  });

  it('hands back the most recently pooled buffer of the exact size, and counts bytes', () => {
    const pool = new BufferPool<FakeBuffer>(1 << 20);
    const a = new FakeBuffer(256),
      b = new FakeBuffer(256),
      c = new FakeBuffer(512);
    pool.put(a);
    pool.put(b);
    pool.put(c);
    expect(pool.bytes).toBe(1024);
    expect(pool.take(256)).toBe(b);
    expect(pool.take(1024)).toBeUndefined();
    expect(pool.bytes).toBe(768);
  });

  it('a buffer freed while the pool is at its limit is destroyed, not pooled', () => {
    const pool = new BufferPool<FakeBuffer>(1000);
    const kept = [new FakeBuffer(512), new FakeBuffer(256)];
    for (const b of kept) pool.put(b);
    const over = new FakeBuffer(512);
    pool.put(over);
    expect(over.destroyed).toBe(true);
    expect(pool.bytes).toBe(768);
    expect(kept.some((b) => b.destroyed)).toBe(false);
  });

  it('a buffer idle for IDLE_SUBMITS submits is destroyed at the next sweep; one taken in time is not', () => {
    const pool = new BufferPool<FakeBuffer>(1 << 20);
    const idle = new FakeBuffer(64),
      reused = new FakeBuffer(128);
    pool.put(idle);
    pool.put(reused);
    for (let s = 0; s < IDLE_SUBMITS; s++) {
      pool.tick();
      const b = pool.take(128)!; // a steady loop takes its working set back every step
      pool.put(b);
    }
    expect(idle.destroyed).toBe(false); // pooled at submit 0: not yet older than IDLE_SUBMITS at submit 64
    for (let s = 0; s < 8; s++) pool.tick();
    expect(idle.destroyed).toBe(true);
    expect(reused.destroyed).toBe(false);
    expect(pool.bytes).toBe(128);
    pool.clear();
    expect(reused.destroyed).toBe(true);
    expect(pool.bytes).toBe(0);
  });
});
