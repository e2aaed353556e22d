// conv2d 3×3, padding 1, batch 16, 64→64 channels at 32×32: forward alone, and forward plus both
// gradients (input and weight), the outputs read back. Milliseconds per step.
import type { BenchCase, Workload } from '../lib/harness.js';
import { na } from '../lib/harness.js';
import { finetorch, missing } from '../lib/ours.js';

const S = { n: 16, cIn: 64, cOut: 64, h: 32, w: 32, k: 3, pad: 1 };
const fwdFlops = 2 * S.n * S.cOut * S.h * S.w * S.cIn * S.k * S.k;

const cases: BenchCase[] = [
  { id: 'fwd', label: 'forward', params: { ...S, backward: false }, flops: fwdFlops },
  { id: 'fwd_bwd', label: 'forward + backward', params: { ...S, backward: true }, flops: 3 * fwdFlops },
];

export const workload: Workload = {
  name: 'conv2d',
  title: `conv2d ${S.k}×${S.k} pad ${S.pad}, ${S.n}×${S.cIn}×${S.h}×${S.w} → ${S.cOut} channels`,
  metric: 'ms',
  note:
    `Forward + backward = forward, then the input and weight gradients for a given output gradient (no bias). ` +
    `${(fwdFlops / 1e9).toFixed(2)} GFLOP forward. finetorch and PyTorch NCHW; TF.js NHWC (its native layout), ` +
    "backward through tf.grads with Conv2D's gradient registered as tfjs-core defines it.",
  cases,
  pytorch: 'conv2d',

  async ours(device, c) {
    const torch = await finetorch();
    const lacking = missing(torch, ['nn.functional.conv2d']);
    if (lacking.length) return na(`needs ${lacking.join(', ')}`);
    const F = torch.nn.functional;
    const backward = c.params.backward as boolean;
    const x = torch.randn([S.n, S.cIn, S.h, S.w], { device, requiresGrad: backward });
    const w = torch.randn([S.cOut, S.cIn, S.k, S.k], { device, requiresGrad: backward });
    const gy = torch.randn([S.n, S.cOut, S.h, S.w], { device });
    if (!backward) {
      return {
        run: async () => {
          const y = torch.noGrad(() => F.conv2d(x, w, null, { padding: S.pad }));
          await y.data();
          y.dispose();
        },
        dispose: () => {
          x.dispose();
          w.dispose();
          gy.dispose();
        },
      };
    }
    return {
      run: async () => {
        for (const t of [x, w]) {
          t.grad?.dispose();
          t.grad = null;
        }
        torch.scope(() => F.conv2d(x, w, null, { padding: S.pad }).backward(gy));
        await x.grad!.data();
        await w.grad!.data();
      },
      dispose: () => {
        x.dispose();
        w.dispose();
        gy.dispose();
      },
    };
  },

  async tfjs(tf, backend, c) {
    const backward = c.params.backward as boolean;
    if (backward && !['Conv2DBackpropInput', 'Conv2DBackpropFilter'].every((k) => tf.getKernel(k, backend))) {
      return na(`TF.js ${backend} has no Conv2DBackpropFilter/Input kernel`);
    }
    const x = tf.randomNormal([S.n, S.h, S.w, S.cIn]) as import('@tensorflow/tfjs-core').Tensor4D;
    const f = tf.randomNormal([S.k, S.k, S.cIn, S.cOut]) as import('@tensorflow/tfjs-core').Tensor4D;
    const conv = (xx: typeof x, ff: typeof f) => tf.conv2d(xx, ff, 1, 'same');
    if (!backward) {
      return {
        run: async () => {
          const y = conv(x, f);
          await y.data();
          y.dispose();
        },
        dispose: () => {
          x.dispose();
          f.dispose();
        },
      };
    }
    const dy = tf.randomNormal([S.n, S.h, S.w, S.cOut]);
    const grads = tf.grads((xx, ff) => conv(xx as typeof x, ff as typeof f));
    return {
      run: async () => {
        const [gx, gf] = grads([x, f], dy as never);
        await gx.data();
        await gf.data();
        gx.dispose();
        gf.dispose();
      },
      dispose: () => {
        x.dispose();
        f.dispose();
        dy.dispose();
      },
    };
  },
};
