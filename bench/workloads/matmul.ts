// matmul n×n @ n×n, float32, GFLOP/s (2n³ per product), the n×n result read back every step.
import type { Workload } from '../lib/harness.js';
import { finetorch } from '../lib/ours.js';

const sizes = [256, 512, 1024, 2048];

export const workload: Workload = {
  name: 'matmul',
  title: 'matmul n×n @ n×n',
  metric: 'GFLOP/s',
  note: 'GFLOP/s = 2n³ / median time of one product, the n×n result read back to the host included.',
  cases: sizes.map((n) => ({ id: `n${n}`, label: `n = ${n}`, params: { n }, flops: 2 * n ** 3 })),
  pytorch: 'matmul',

  async ours(device, c) {
    const torch = await finetorch();
    const n = c.params.n as number;
    const a = torch.randn([n, n], { device }),
      b = torch.randn([n, n], { device });
    return {
      run: async () => {
        const y = torch.matmul(a, b);
        await y.data();
        y.dispose();
      },
      dispose: () => {
        a.dispose();
        b.dispose();
      },
    };
  },

  async tfjs(tf, _backend, c) {
    const n = c.params.n as number;
    const a = tf.randomNormal([n, n]),
      b = tf.randomNormal([n, n]);
    return {
      run: async () => {
        const y = tf.matMul(a as never, b as never);
        await y.data();
        y.dispose();
      },
      dispose: () => {
        a.dispose();
        b.dispose();
      },
    };
  },
};
