// TF.js's twin of bench/workloads/train-step-smallcnn.ts for the browser page, where tfjs-core's
// gradients can be registered (the Node bench has none): the same SmallCNN in NHWC — three blocks of
// conv 3×3 (no bias) + BatchNorm with batch statistics (running statistics updated) + ReLU + max-pool
// 2, then linear 576→10 — softmax cross-entropy, SGD with momentum 0.9 (tf.train.momentum), the loss
// read back. Same batch (64) and learning rate (0.01) as finetorch's step.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { Step, TF } from '../lib/harness.js';

const P = { batch: 64, classes: 10, lr: 0.01, momentum: 0.9, eps: 1e-5 };

export async function tfjsSmallCnnStep(tf: TF): Promise<Step> {
  const he = (shape: number[], fanIn: number) => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn)));
  const chans = [1, 16, 32, 64];
  const blocks = [0, 1, 2].map((i) => ({
    w: he([3, 3, chans[i], chans[i + 1]], 9 * chans[i]),
    gamma: tf.variable(tf.ones([chans[i + 1]])),
    beta: tf.variable(tf.zeros([chans[i + 1]])),
    runMean: tf.variable(tf.zeros([chans[i + 1]]), false),
    runVar: tf.variable(tf.ones([chans[i + 1]]), false),
  }));
  const fcW = he([576, P.classes], 576),
    fcB = tf.variable(tf.zeros([P.classes]));
  const x = tf.randomNormal([P.batch, 28, 28, 1]) as Tensor4D;
  const onehot = tf.oneHot(tf.randomUniform([P.batch], 0, P.classes, 'int32') as never, P.classes);
  const opt = tf.train.momentum(P.lr, P.momentum);
  const forward = () => {
    let h = x;
    for (const b of blocks) {
      const c = tf.conv2d(h, b.w as Tensor4D, 1, 'same');
      const { mean, variance } = tf.moments(c, [0, 1, 2]);
      // PyTorch's running statistics: momentum 0.1, unbiased variance (assign is off the loss's path)
      const n = c.shape[0] * c.shape[1] * c.shape[2];
      b.runMean.assign(tf.add(tf.mul(b.runMean, 0.9), tf.mul(mean, 0.1)));
      b.runVar.assign(tf.add(tf.mul(b.runVar, 0.9), tf.mul(variance, (0.1 * n) / (n - 1))));
      h = tf.maxPool(
        tf.relu(tf.batchNorm4d(c, mean as never, variance as never, b.beta as never, b.gamma as never, P.eps)),
        2,
        2,
        'valid',
      ) as Tensor4D;
    }
    return tf.losses.softmaxCrossEntropy(onehot, tf.add(tf.matMul(tf.reshape(h, [P.batch, 576]), fcW), fcB));
  };
  return {
    run: async () => {
      const loss = opt.minimize(() => forward() as never, true)!;
      await loss.data();
      loss.dispose();
    },
    dispose: () => {
      for (const b of blocks) for (const v of Object.values(b)) v.dispose();
      for (const t of [fcW, fcB, x, onehot]) t.dispose();
      opt.dispose();
    },
  };
}
