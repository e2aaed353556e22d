// Parity with PyTorch for the model zoo: structure and keys (torchvision), forward and every
// parameter gradient (TextCNN family, SmallCNN), the seed's partial load, and live ResNet-18 logits
// against torchvision when /usr/bin/python3 has torch (always so in CI).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eachDevice, expectClose, fixture, fixturesDir, LOOSE, onDevice, torch, type Device } from '../harness.js';

const { models, nn } = torch;
const F = nn.functional;

function params(name: string, prefix = 'param.'): Record<string, torch.Tensor> {
  const t = fixture(name).tensors;
  return Object.fromEntries(
    Object.entries(t)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );
}
const textcnnConfig = { vocabSize: 50, embedDim: 16, kernelSizes: [2, 3, 4], numFilters: 8 };

async function expectGrads(model: torch.nn.Module, fx: Record<string, torch.Tensor>, tol = LOOSE) {
  for (const [name, p] of model.namedParameters()) {
    const want = fx[`grad.${name}`];
    expect(want, `fixture has grad.${name}`).toBeDefined();
    expect(p.grad, `${name}.grad`).not.toBeNull();
    await expectClose(p.grad!, want, tol, `grad of ${name}`);
  }
}

describe('structure', () => {
  for (const name of ['resnet18', 'resnet50'] as const) {
    it(`${name}: stateDict keys, order and shapes equal torchvision's; print(model) too`, () => {
      const want = JSON.parse(readFileSync(join(fixturesDir, 'models', `${name}_structure.json`), 'utf8'));
      const m = models[name]({ numClasses: 1000 });
      const got = Object.entries(m.stateDict()).map(([k, v]) => [k, [...v.shape]]);
      expect(got).toEqual(want.keys);
      expect(String(m)).toBe(want.repr);
    });
  }
  it('numClasses sets the head', () => {
    const m = models.resnet34({ numClasses: 7 });
    expect((m.fc as torch.nn.Linear).outFeatures).toBe(7);
    expect(m.layer3.children().length).toBe(6);
  });
});

eachDevice((device: Device) => {
  // models create their parameters on the default device, as PyTorch creates them on the cpu
  const initial = torch.defaultDevice();
  beforeEach(() => torch.setDefaultDevice(device));
  afterEach(() => torch.setDefaultDevice(initial));

  it('TextCNN: logits and every parameter gradient match PyTorch', async () => {
    const fx = fixture('models/textcnn').tensors;
    const m = new models.TextCNN({ ...textcnnConfig, numClasses: 3 }).to(device);
    m.loadStateDict(params('models/textcnn'));
    m.eval();
    const logits = m.call(onDevice(fx.input, device));
    await expectClose(logits, fx.logits, LOOSE, 'logits');
    F.crossEntropy(logits, onDevice(fx.target, device)).backward();
    await expectGrads(m, fx);
  });

  it("TextCNNRegressionClass loads a TextCNN checkpoint partially (the seed's second case)", async () => {
    const pretrained = params('models/textcnn');
    const m = new models.TextCNNRegressionClass({ ...textcnnConfig, numClasses: 4 }).to(device);
    const before = await m.classifier.weight.data();
    const modelDict = m.stateDict();
    const shared = Object.keys(pretrained).filter((k) => k in modelDict);
    for (const k of shared) modelDict[k] = pretrained[k];
    m.loadStateDict(modelDict);
    expect(shared.sort()).toEqual(fixture('models/textcnn_regcls').metadata.loaded.split(',').sort());
    expect(Object.keys(pretrained).filter((k) => !(k in modelDict))).toEqual(['fc.bias', 'fc.weight']); // fixture keys come sorted
    await expectClose(m.embedding.weight, pretrained['embedding.weight'], { rtol: 0, atol: 0 });
    expect(Array.from(await m.classifier.weight.data())).toEqual(Array.from(before)); // the new head keeps its init
  });

  it('TextCNNRegressionClass: both heads and every gradient match PyTorch', async () => {
    const fx = fixture('models/textcnn_regcls').tensors;
    const m = new models.TextCNNRegressionClass({ ...textcnnConfig, numClasses: 4 }).to(device);
    m.loadStateDict(params('models/textcnn_regcls'));
    m.eval();
    const [cls, reg] = m.call(onDevice(fx.input, device));
    await expectClose(cls, fx.class_logits, LOOSE, 'class logits');
    await expectClose(reg, fx.regression, LOOSE, 'regression');
    F.crossEntropy(cls, onDevice(fx.class_target, device))
      .add(F.mseLoss(reg, onDevice(fx.value, device)))
      .backward();
    await expectGrads(m, fx);
  });

  it('SmallCNN: eval logits, training gradients and BatchNorm running statistics match PyTorch', async () => {
    const fx = fixture('models/smallcnn').tensors;
    const m = new models.SmallCNN({ numClasses: 10 }).to(device);
    m.loadStateDict(params('models/smallcnn'));
    m.eval();
    const x = onDevice(fx.input, device);
    await expectClose(m.call(x), fx.eval_logits, LOOSE, 'eval logits');
    m.train();
    F.crossEntropy(m.call(x), onDevice(fx.target, device)).backward();
    await expectGrads(m, fx);
    const sd = m.stateDict();
    for (const [k, v] of Object.entries(fx)) if (k.startsWith('after.')) await expectClose(sd[k.slice(6)], v, LOOSE, k);
  });
});

// ---- live parity with torchvision's ResNet-18 (45 MB of weights are generated, not committed) ----
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;
if (!hasTorch) {
  if (process.env.FINETORCH_REQUIRE_TORCH === '1')
    throw new Error('FINETORCH_REQUIRE_TORCH=1 but /usr/bin/python3 cannot import torch and torchvision');
  console.warn(
    'models.test: /usr/bin/python3 has no torch/torchvision: the live ResNet-18 parity test does not run here (CI installs them)',
  );
}
describe.runIf(hasTorch)('ResNet-18 against torchvision (live)', () => {
  const dir = join(fixturesDir, 'live');
  const ensure = () => {
    if (existsSync(join(dir, 'resnet18_io.safetensors'))) return;
    const r = spawnSync('/usr/bin/python3', ['tools/reference/models.py', 'resnet18', dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tools/reference/models.py resnet18 failed: ${r.stderr}`);
  };
  eachDevice((device) => {
    it('a torchvision state_dict (.pth) loads strict and the eval logits match', async () => {
      ensure();
      const initial = torch.defaultDevice();
      torch.setDefaultDevice('cpu'); // build on the cpu like PyTorch, load, then move
      const m = models.resnet18();
      torch.setDefaultDevice(initial);
      const sd = (await torch.load(join(dir, 'resnet18.pth'))) as Record<string, torch.Tensor>;
      m.loadStateDict(sd, { strict: true });
      m.to(device).eval();
      const io = fixture('live/resnet18_io').tensors;
      const logits = m.call(onDevice(io.input, device));
      await expectClose(logits, io.logits, { rtol: 1e-4, atol: 1e-4 }, 'resnet18 logits');
      F.crossEntropy(logits, onDevice(io.target, device)).backward();
      for (const [k, v] of Object.entries(io)) {
        if (k.startsWith('grad.')) await expectClose(m.getParameter(k.slice(5)).grad!, v, LOOSE, k);
      }
    });
  });
});
