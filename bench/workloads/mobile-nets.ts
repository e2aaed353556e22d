// The mobile nets people fine-tune on small devices (torchvision's MobileNetV3-Small and EfficientNet-B0):
// a training step at batch 16, 3×128×128 (forward in training mode, cross-entropy, backward, SGD with
// momentum, loss read back), and the same step with everything but the classifier head frozen (the seed's
// fine-tuning case). Their depthwise convolutions take the depthwise kernel path on webgpu.
import type { BenchCase, Workload } from '../lib/harness.js';
import { na } from '../lib/harness.js';
import { finetorch, imageCase, missing, peakBytes, trainStep } from '../lib/ours.js';

const cases: BenchCase[] = [];
for (const model of ['mobilenet_v3_small', 'efficientnet_b0']) {
  cases.push({
    id: `${model}_full`,
    label: `${model} train step, batch 16, 128×128`,
    params: { model, frozen: false, batch: 16, size: 128 },
  });
  cases.push({
    id: `${model}_frozen`,
    label: `${model}, all but the head frozen`,
    params: { model, frozen: true, batch: 16, size: 128 },
  });
}

export const workload: Workload = {
  name: 'mobile_nets',
  title: 'MobileNetV3-Small and EfficientNet-B0 (torchvision structure)',
  metric: 'ms',
  note:
    'Train: forward (training-mode BatchNorm, dropout), cross-entropy over 1000 classes, backward, SGD (lr 0.01, momentum 0.9), ' +
    'loss read back; "frozen": requiresGrad off for every parameter but the classifier head (frozen BatchNorm kept in eval). ' +
    'PyTorch: torchvision.models.<name>() with the same steps.',
  cases,
  pytorch: 'mobile_nets',
  stats: [{ key: 'peakBytes', label: 'peak bytes', unit: 'bytes' }],

  async ours(device, c) {
    const torch = await finetorch();
    const lacking = missing(torch, ['models.create', 'finetune.headPath', 'finetune.freeze', 'optim.SGD']);
    if (lacking.length) return na(`needs ${lacking.join(', ')}`);
    const p = c.params as { model: string; frozen: boolean; batch: number; size: number };
    const head = p.frozen ? torch.finetune.headPath : null;
    const { model, x, y, opt, dispose } = imageCase(torch, device, () => torch.models.create(p.model), { ...p, head });
    model.train();
    const run = trainStep(torch, model, opt, x, y);
    return { run, dispose, stats: () => peakBytes(torch, device, run) };
  },

  async tfjs() {
    return na("no TF.js twin: tfjs-core's node bundle registers no gradients");
  },
};
