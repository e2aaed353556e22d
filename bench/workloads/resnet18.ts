// ResNet-18 (torchvision's structure): a training step at batch 16, 3×64×64 (forward in training
// mode, cross-entropy, backward, SGD with momentum, loss read back), the same step with everything
// but `fc` frozen (the seed's fine-tuning case: no weight or input gradients through the backbone),
// and an eval forward at batch 8, 3×224×224. Milliseconds per step, and under each case the peak
// live bytes of one step on the device (`torch.memory()`; PyTorch: its allocator's profiled peak).
import type { BenchCase, Workload } from '../lib/harness.js';
import { na } from '../lib/harness.js';
import { finetorch, imageCase, missing, peakBytes, trainStep } from '../lib/ours.js';

const cases: BenchCase[] = [
  {
    id: 'train_full',
    label: 'train step, batch 16, 64×64',
    params: { mode: 'train', frozen: false, batch: 16, size: 64 },
  },
  {
    id: 'train_frozen',
    label: 'train step, all but fc frozen',
    params: { mode: 'train', frozen: true, batch: 16, size: 64 },
  },
  {
    id: 'eval224',
    label: 'eval forward, batch 8, 224×224',
    params: { mode: 'eval', frozen: false, batch: 8, size: 224 },
  },
];

export const workload: Workload = {
  name: 'resnet18',
  title: 'ResNet-18 (torchvision structure)',
  metric: 'ms',
  note:
    'Train: forward (training-mode BatchNorm), cross-entropy over 1000 classes, backward, SGD (lr 0.01, momentum 0.9), ' +
    'loss read back; "frozen": requiresGrad off for every parameter but fc (frozen BatchNorm kept in eval). Eval: ' +
    'forward under no_grad, logits read back. PyTorch: torchvision.models.resnet18 with the same steps (zero_grad(set_to_none=True), ' +
    'as ours). Peak bytes: live tensor bytes at the high point of one step, counting what was live when it began (weights, ' +
    'optimizer state, inputs); ours from torch.memory()[device].peakBytes after resetPeak (buffer-pool slack not counted); PyTorch ' +
    "from the bytes of the tensors live before the step plus the high point of its CPU allocator's allocations and frees during it " +
    '(torch.profiler, profile_memory; scratch memory oneDNN takes outside that allocator is not seen).',
  cases,
  pytorch: 'resnet18',
  stats: [{ key: 'peakBytes', label: 'peak bytes', unit: 'bytes' }],

  async ours(device, c) {
    const torch = await finetorch();
    const lacking = missing(torch, ['models.resnet18', 'finetune.freeze', 'optim.SGD']);
    if (lacking.length) return na(`needs ${lacking.join(', ')}`);
    const p = c.params as { mode: string; frozen: boolean; batch: number; size: number };
    const { model, x, y, opt, dispose } = imageCase(torch, device, () => torch.models.resnet18(), {
      ...p,
      head: p.frozen ? 'fc' : null,
    });
    let run: () => Promise<void>;
    if (p.mode === 'eval') {
      model.eval();
      run = async () => {
        // a scope, as every step: intermediates left to the garbage collector would still count as live
        const out = torch.scope(() => torch.noGrad(() => model.call(x)));
        await out.data();
        out.dispose();
      };
    } else {
      model.train();
      run = trainStep(torch, model, opt, x, y);
    }
    return { run, dispose, stats: () => peakBytes(torch, device, run) };
  },

  async tfjs() {
    return na(
      "no TF.js ResNet-18 twin: tfjs-core's node bundle registers no gradients, and a hand-written ResNet backward would be a different program",
    );
  },
};
