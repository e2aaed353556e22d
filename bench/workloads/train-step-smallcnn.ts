// One training step of the demo's SmallCNN (three conv/BatchNorm/ReLU/max-pool blocks and a linear
// head) on a batch of 64 MNIST-shaped images: forward in training mode (batch statistics, running
// statistics updated), cross-entropy, backward, SGD with momentum, the loss read back. Milliseconds
// per step. bench/profile-step.ts breaks the same step down by kernel (and runs ResNet-18 too).
import type { Workload } from '../lib/harness.js';
import { na } from '../lib/harness.js';
import { disposeModel, finetorch, missing, trainStep } from '../lib/ours.js';

const P = { batch: 64, classes: 10, lr: 0.01, momentum: 0.9 };

export const workload: Workload = {
  name: 'train-step-smallcnn',
  title: `SmallCNN training step, batch ${P.batch}, 1×28×28`,
  metric: 'ms',
  note:
    'One step = forward (conv 3×3 + BatchNorm + ReLU + max-pool 2, three times; linear 576→10), cross-entropy, ' +
    "backward, SGD (lr 0.01, momentum 0.9), loss read back. PyTorch: the same nn.Module (tools/reference/models.py's " +
    'SmallCNN) with F.cross_entropy and optim.SGD.',
  cases: [{ id: 'b64', label: `batch ${P.batch}`, params: P }],
  pytorch: 'train_step_smallcnn',

  async ours(device) {
    const torch = await finetorch();
    const lacking = missing(torch, ['models.SmallCNN', 'nn.functional.crossEntropy', 'optim.SGD']);
    if (lacking.length) return na(`needs ${lacking.join(', ')}`);
    torch.manualSeed(0);
    const model = new torch.models.SmallCNN({ numClasses: P.classes });
    await model.toAsync(device);
    model.train();
    const opt = new torch.optim.SGD(model.parameters(), { lr: P.lr, momentum: P.momentum });
    const x = torch.keep(torch.randn([P.batch, 1, 28, 28], { device }));
    const y = torch.keep(torch.randint(0, P.classes, [P.batch], { device, dtype: 'int32' }));
    return {
      run: trainStep(torch, model, opt, x, y),
      dispose: () => {
        for (const t of [x, y]) t.dispose();
        disposeModel(model, opt);
      },
    };
  },

  async tfjs() {
    return na(
      "no TF.js twin: tfjs-core's node bundle registers no gradients, and hand-written conv / BatchNorm / max-pool " +
        'backward passes would be a different program',
    );
  },
};
