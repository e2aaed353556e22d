// Live parity with torchvision for the zoo's models: tools/reference/zoo.py live writes a seeded
// torchvision model's state dict (BatchNorm/LayerNorm affine, running statistics and ConvNeXt's
// layer scales all non-trivial) and its eval logits and loss gradients for a 2×3×64×64 input into
// test/fixtures/live/zoo (ignored by git: 10–110 MB each). Each model loads it strictly on cpu,
// moves to the device, and must reproduce the logits and the gradients. Needs /usr/bin/python3
// with torch and torchvision (always so in CI; FINETORCH_REQUIRE_TORCH=1 makes its absence an error).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { eachDevice, expectClose, fixture, fixturesDir, LOOSE, onDevice, torch } from '../harness.js';
import { liveTorch, PYTHON, repoRoot } from '../live-torch.js';

const { models } = torch;
const F = torch.nn.functional;

const gate = liveTorch('test/models/zoo-live: the live torchvision parity tests', 'torch, torchvision');

// every model of the zoo with pretrained weights but the ResNet-18/34/50 of test/models/models.test.ts
const MODELS: [string, () => torch.nn.Module][] = [
  ['resnet101', () => models.resnet101()],
  ['resnet152', () => models.resnet152()],
  ['efficientnet_b1', () => models.efficientnetB1()],
  ['efficientnet_b2', () => models.efficientnetB2()],
  ['efficientnet_b3', () => models.efficientnetB3()],
  ['mobilenet_v2', () => new models.MobileNetV2()],
  ['mobilenet_v3_small', () => models.mobilenetV3Small()],
  ['mobilenet_v3_large', () => models.mobilenetV3Large()],
  ['efficientnet_b0', () => models.efficientnetB0()],
  ['resnext50_32x4d', () => models.resnext50_32x4d()],
  ['convnext_tiny', () => models.convnextTiny()],
];
const dir = join(fixturesDir, 'live', 'zoo');
// 100+ layers: PyTorch's own float32 gradients there are 1.3–1.6% (of their largest entry) away from its
// float64 ones (ReLU masks flip as rounding differs), so ours are held to 3% of the largest entry; the
// logits are compared as tightly as everywhere
const DEEP = new Set(['resnet101', 'resnet152']);

describe.runIf(gate.run)('the zoo against torchvision (live)', () => {
  const ensure = (name: string) => {
    gate.assert();
    if (existsSync(join(dir, `${name}_io.safetensors`))) return;
    const r = spawnSync(PYTHON, [join(repoRoot, 'tools/reference/zoo.py'), 'live', dir, name], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tools/reference/zoo.py live ${name} failed: ${r.stderr}`);
  };
  eachDevice((device) => {
    for (const [name, build] of MODELS) {
      it(`${name}: a torchvision state dict loads strict; eval logits and gradients match`, async () => {
        ensure(name);
        const initial = torch.defaultDevice();
        torch.setDefaultDevice('cpu'); // build on the cpu like PyTorch, load, then move
        let m: torch.nn.Module;
        try {
          m = build();
        } finally {
          torch.setDefaultDevice(initial);
        }
        const sd = (await torch.load(join(dir, `${name}.safetensors`))) as Record<string, torch.Tensor>;
        m.loadStateDict(sd, { strict: true });
        for (const t of Object.values(sd)) t.dispose();
        m.to(device).eval();
        const io = fixture(`live/zoo/${name}_io`).tensors;
        const logits = m.call(onDevice(io.input, device));
        await expectClose(logits, io.logits, { rtol: 1e-4, atol: 1e-4 }, `${name} logits`);
        F.crossEntropy(logits, onDevice(io.target, device)).backward();
        for (const [k, v] of Object.entries(io)) {
          if (!k.startsWith('grad.')) continue;
          const tol = DEEP.has(name) ? { rtol: 0.05, atol: 0.03 * (await v.abs().max().item()) } : LOOSE;
          await expectClose(m.getParameter(k.slice(5)).grad!, v, tol, k);
        }
        for (const t of [...m.parameters(), ...m.buffers()]) t.dispose();
      });
    }
  });
});
