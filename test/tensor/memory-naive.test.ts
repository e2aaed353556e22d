// A training loop written without torch.scope or dispose frees its tensors only when the garbage
// collector finalizes them, in bursts. The webgpu buffer pool must not keep such a burst: it stays
// under its byte limit and hands idle buffers back to the driver after IDLE_SUBMITS submits
// (buffer-pool.ts), and torch.webgpu.emptyCache() empties it. Bounds are bytes, never times.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { webgpuBackend } from '../../src/kernels/webgpu/register.js';
import { torch } from '../harness.js';

// a real collection (with finalizers) at chosen steps makes the bursts deterministic
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const settle = async () => {
  gc();
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0)); // finalizers run as tasks
};
const MB = 2 ** 20;
const pool = () => torch.memory().webgpu.pooledBytes;

describe.runIf(torch.isAvailable('webgpu'))('webgpu buffer pool under a naive loop', () => {
  it('a naive MLP loop: the pool stays under its limit and shrinks back to the working set', async () => {
    const device = 'webgpu';
    const { nn } = torch;
    torch.manualSeed(0);
    const model = new nn.Sequential(
      new nn.Linear(784, 512),
      new nn.ReLU(),
      new nn.Linear(512, 512),
      new nn.ReLU(),
      new nn.Linear(512, 10),
    ).to(device);
    const opt = new torch.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const x = torch.randn([128, 784], { device });
    const y = torch.tensor(
      new Int32Array(128).map((_, i) => i % 10),
      { device },
    );
    const limit = webgpuBackend()!.rt.poolLimit;
    let peak = 0;
    // 500 steps, not 2,000: a step takes ~35 ms on the 2-core development machine (llvmpipe), so
    // 2,000 would run over a minute; four bursts show the policy as well as sixteen would
    for (let s = 1; s <= 500; s++) {
      const loss = torch.nn.functional.crossEntropy(model.call(x.mul(1)), y); // no scope, no dispose
      opt.zeroGrad();
      loss.backward();
      opt.step();
      if (s % 10 === 0) await loss.item();
      if (s % 125 === 0) await settle(); // a burst: ~125 steps of garbage (≈ 300 MB) freed at once
      peak = Math.max(peak, pool());
    }
    expect(peak).toBeLessThanOrEqual(limit);
    // what the burst left in the pool is retired after 64 idle submits (each readback is one)
    const one = torch.ones([1], { device });
    for (let i = 0; i < 80; i++) await one.add(i).item();
    expect(pool()).toBeLessThan(32 * MB);
    torch.webgpu.emptyCache();
    expect(pool()).toBe(0);
  }, 240_000);

  it('a burst larger than the limit: the excess is destroyed, not pooled', async () => {
    const rt = webgpuBackend()!.rt;
    const saved = rt.poolLimit;
    rt.poolLimit = 16 * MB;
    try {
      torch.webgpu.emptyCache();
      const ts = Array.from({ length: 16 }, () => torch.zeros([2 ** 18], { device: 'webgpu' })); // 16 × 1 MiB
      await ts[0].sum().item();
      ts.forEach((t) => t.dispose());
      await torch.ones([1], { device: 'webgpu' }).item();
      expect(pool()).toBeGreaterThanOrEqual(8 * MB); // pooled for reuse...
      const more = Array.from({ length: 32 }, () => torch.zeros([2 ** 18], { device: 'webgpu' }));
      await more[0].sum().item();
      more.forEach((t) => t.dispose());
      await torch.ones([1], { device: 'webgpu' }).item();
      expect(pool()).toBeLessThanOrEqual(16 * MB); // ...up to the limit
    } finally {
      rt.poolLimit = saved;
      torch.webgpu.emptyCache();
    }
  });
});
