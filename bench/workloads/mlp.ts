// One training step of a 784→256→10 MLP on a batch of 64 (MNIST-shaped): forward (linear, relu,
// linear), cross-entropy, backward, SGD update, the loss read back. Milliseconds per step.
import type { Workload } from '../lib/harness.js';
import { na } from '../lib/harness.js';
import { finetorch, missing } from '../lib/ours.js';

const P = { batch: 64, inF: 784, hidden: 256, classes: 10, lr: 0.01 };

export const workload: Workload = {
  name: 'mlp',
  title: `MLP training step ${P.inF}→${P.hidden}→${P.classes}, batch ${P.batch}`,
  metric: 'ms',
  note:
    'One step = forward, cross-entropy, backward, SGD (lr 0.01), loss read back. TF.js: the same ops with the ' +
    "backward written out (matMul with transposes, relu mask, softmax − one-hot), since tfjs-core's node bundle " +
    'registers no gradients; PyTorch: nn.Linear + F.cross_entropy + optim.SGD.',
  cases: [{ id: 'b64', label: `batch ${P.batch}`, params: P }],
  pytorch: 'mlp',

  async ours(device) {
    const torch = await finetorch();
    const lacking = missing(torch, [
      'nn.functional.linear',
      'nn.functional.relu',
      'nn.functional.crossEntropy',
      'optim.SGD',
    ]);
    if (lacking.length) return na(`needs ${lacking.join(', ')}`);
    const F = torch.nn.functional;
    torch.manualSeed(0);
    // PyTorch's nn.Linear init: U(±1/√fan_in)
    const param = (shape: number[], fanIn: number) => {
      const t = torch
        .rand(shape, { device })
        .mul(2 / Math.sqrt(fanIn))
        .sub(1 / Math.sqrt(fanIn))
        .detach();
      t.requiresGrad = true;
      return t;
    };
    const w1 = param([P.hidden, P.inF], P.inF),
      b1 = param([P.hidden], P.inF);
    const w2 = param([P.classes, P.hidden], P.hidden),
      b2 = param([P.classes], P.hidden);
    const params = [w1, b1, w2, b2].map((t) => torch.keep(t));
    const opt = new torch.optim.SGD(params, { lr: P.lr });
    const x = torch.randn([P.batch, P.inF], { device });
    const y = torch.randint(0, P.classes, [P.batch], { device });
    return {
      run: async () => {
        const loss = torch.scope(() => {
          opt.zeroGrad();
          const l = F.crossEntropy(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), y);
          l.backward();
          opt.step();
          return l;
        });
        await loss.item();
        loss.dispose();
      },
      dispose: () => {
        for (const t of [...params, x, y]) t.dispose();
      },
    };
  },

  async tfjs(tf) {
    const lim = (fanIn: number) => 1 / Math.sqrt(fanIn);
    const w1 = tf.variable(tf.randomUniform([P.hidden, P.inF], -lim(P.inF), lim(P.inF)));
    const b1 = tf.variable(tf.randomUniform([P.hidden], -lim(P.inF), lim(P.inF)));
    const w2 = tf.variable(tf.randomUniform([P.classes, P.hidden], -lim(P.hidden), lim(P.hidden)));
    const b2 = tf.variable(tf.randomUniform([P.classes], -lim(P.hidden), lim(P.hidden)));
    const x = tf.randomNormal([P.batch, P.inF]);
    const labels = tf.randomUniform([P.batch], 0, P.classes, 'int32');
    const onehot = tf.oneHot(labels as never, P.classes);
    return {
      run: async () => {
        const loss = tf.tidy(() => {
          // forward: x W1ᵀ + b1 → relu → W2ᵀ + b2
          const h = tf.relu(tf.add(tf.matMul(x, w1, false, true), b1));
          const logits = tf.add(tf.matMul(h, w2, false, true), b2);
          const logp = tf.logSoftmax(logits);
          const l = tf.neg(tf.mean(tf.sum(tf.mul(onehot, logp), 1)));
          // backward
          const dLogits = tf.div(tf.sub(tf.exp(logp), onehot), P.batch);
          const dW2 = tf.matMul(dLogits, h, true, false),
            db2 = tf.sum(dLogits, 0);
          const dH = tf.mul(tf.matMul(dLogits, w2), tf.step(h));
          const dW1 = tf.matMul(dH, x, true, false),
            db1 = tf.sum(dH, 0);
          // SGD
          for (const [v, g] of [
            [w1, dW1],
            [b1, db1],
            [w2, dW2],
            [b2, db2],
          ] as const)
            v.assign(tf.sub(v, tf.mul(g, P.lr)));
          return l;
        });
        await loss.data();
        loss.dispose();
      },
      dispose: () => {
        for (const t of [w1, b1, w2, b2, x, labels, onehot]) t.dispose();
      },
    };
  },
};
