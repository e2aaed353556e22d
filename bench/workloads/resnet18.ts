// ResNet-18 (torchvision's structure): a training step at batch 16, 3×64×64 (forward in training
// mode, cross-entropy, backward, SGD with momentum, loss read back), the same step with everything
// but `fc` frozen (the seed's fine-tuning case: no weight or input gradients through the backbone),
// and an eval forward at batch 8, 3×224×224. Milliseconds per step; the peak device bytes of the
// full step are printed by `npm run bench -- resnet18` (see `torch.memory()`).
import type { BenchCase, Workload } from '../lib/harness.js';
import { na } from '../lib/harness.js';
import { finetorch, missing } from '../lib/ours.js';

const cases: BenchCase[] = [
  { id: 'train_full', label: 'train step, batch 16, 64×64', params: { mode: 'train', frozen: false, batch: 16, size: 64 } },
  { id: 'train_frozen', label: 'train step, all but fc frozen', params: { mode: 'train', frozen: true, batch: 16, size: 64 } },
  { id: 'eval224', label: 'eval forward, batch 8, 224×224', params: { mode: 'eval', frozen: false, batch: 8, size: 224 } },
];

export const workload: Workload = {
  name: 'resnet18',
  title: 'ResNet-18 (torchvision structure)',
  metric: 'ms',
  note: 'Train: forward (training-mode BatchNorm), cross-entropy over 1000 classes, backward, SGD (lr 0.01, momentum 0.9), '
    + 'loss read back; "frozen": requiresGrad off for every parameter but fc (frozen BatchNorm kept in eval). Eval: '
    + 'forward under no_grad, logits read back. PyTorch: torchvision.models.resnet18 with the same steps.',
  cases,
  pytorch: 'resnet18',

  async ours(device, c) {
    const torch = await finetorch();
    const lacking = missing(torch, ['models.resnet18', 'finetune.freeze', 'optim.SGD']);
    if (lacking.length) return na(`needs ${lacking.join(', ')}`);
    const p = c.params as { mode: string; frozen: boolean; batch: number; size: number };
    torch.manualSeed(0);
    const initial = torch.defaultDevice();
    torch.setDefaultDevice(device);
    const model = torch.models.resnet18();
    torch.setDefaultDevice(initial);
    if (p.frozen) {
      torch.finetune.freeze(model);
      torch.finetune.unfreeze(model, ['fc']);
    }
    const x = torch.keep(torch.randn([p.batch, 3, p.size, p.size], { device }));
    const y = torch.keep(torch.randint(0, 1000, [p.batch], { device }));
    const opt = new torch.optim.SGD(model.parameters().filter((q) => q.requiresGrad), { lr: 0.01, momentum: 0.9 });
    const dispose = () => {
      for (const t of [x, y]) t.dispose();
      for (const q of model.parameters()) { q.grad?.dispose(); q.dispose(); }
      for (const [, b] of model.namedBuffers()) b?.dispose();
    };
    if (p.mode === 'eval') {
      model.eval();
      return {
        run: async () => {
          const out = torch.noGrad(() => model.call(x));
          await out.data();
          out.dispose();
        },
        dispose,
      };
    }
    model.train();
    return {
      run: async () => {
        const loss = torch.scope(() => {
          opt.zeroGrad();
          const l = torch.nn.functional.crossEntropy(model.call(x), y);
          l.backward();
          opt.step();
          return l;
        });
        await loss.item();
        loss.dispose();
      },
      dispose,
    };
  },

  async tfjs() {
    return na('no TF.js ResNet-18 twin: tfjs-core\'s node bundle registers no gradients, and a hand-written ResNet backward would be a different program');
  },
};
