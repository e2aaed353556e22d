// torchvision's mobile and large models: stateDict keys, order and shapes, parameter counts and
// print(model) equal torchvision 0.14's (tools/reference/zoo.py structure), and finetune.replaceHead
// finds each model's head. Logits against torchvision run live in zoo-live.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGE_MODEL_HEADS, IMAGE_MODELS } from '../../src/models/names.js';
import { fixturesDir, torch } from '../harness.js';

const { models, nn, finetune } = torch;
const read = (name: string) => JSON.parse(readFileSync(join(fixturesDir, 'zoo', `${name}.json`), 'utf8'));

const builders: Record<string, (o: { numClasses?: number }) => torch.nn.Module> = {
  mobilenet_v2: models.mobilenetV2,
  mobilenet_v3_small: models.mobilenetV3Small,
  mobilenet_v3_large: models.mobilenetV3Large,
  efficientnet_b0: models.efficientnetB0,
  efficientnet_b1: models.efficientnetB1,
  efficientnet_b2: models.efficientnetB2,
  efficientnet_b3: models.efficientnetB3,
  resnet101: models.resnet101,
  resnet152: models.resnet152,
  resnext50_32x4d: models.resnext50_32x4d,
  convnext_tiny: models.convnextTiny,
};
const heads: Record<string, string> = {
  mobilenet_v2: 'classifier.1',
  mobilenet_v3_small: 'classifier.3',
  mobilenet_v3_large: 'classifier.3',
  efficientnet_b0: 'classifier.1',
  efficientnet_b1: 'classifier.1',
  efficientnet_b2: 'classifier.1',
  efficientnet_b3: 'classifier.1',
  resnet101: 'fc',
  resnet152: 'fc',
  resnext50_32x4d: 'fc',
  convnext_tiny: 'classifier.2',
};

describe('structure against torchvision 0.14', () => {
  // built on the cpu: only shapes and names are compared
  const initial = torch.defaultDevice();
  for (const [name, build] of Object.entries(builders)) {
    it(`${name}: stateDict keys, order and shapes, parameter count and print(model)`, () => {
      torch.setDefaultDevice('cpu');
      try {
        const want = read(name);
        const m = build({ numClasses: 1000 });
        expect(Object.entries(m.stateDict()).map(([k, v]) => [k, [...v.shape]])).toEqual(want.keys);
        expect(m.parameters().reduce((a, p) => a + p.numel(), 0)).toBe(want.params);
        expect(String(m)).toBe(want.repr);
        // and replaceHead finds the head (the models are slow to build: check it on this one)
        const old = m.getSubmodule(heads[name]) as torch.nn.Linear;
        expect(finetune.headPath(m)).toBe(heads[name]);
        expect(IMAGE_MODEL_HEADS[name as keyof typeof IMAGE_MODEL_HEADS]).toBe(heads[name]); // the CLI's table agrees
        expect(IMAGE_MODELS).toContain(name);
        const head = finetune.replaceHead(m, 5);
        expect(m.getSubmodule(heads[name])).toBe(head);
        expect([head.inFeatures, head.outFeatures]).toEqual([old.inFeatures, 5]);
        expect(Object.keys(m.stateDict()).filter((k) => k.startsWith(`${heads[name]}.`))).toEqual([
          `${heads[name]}.weight`,
          `${heads[name]}.bias`,
        ]);
      } finally {
        torch.setDefaultDevice(initial);
      }
    });
  }
});

describe('torchvision.ops blocks', () => {
  const blocks = read('blocks');
  const check = (name: string, m: torch.nn.Module) => {
    expect(
      Object.entries(m.stateDict()).map(([k, v]) => [k, [...v.shape]]),
      name,
    ).toEqual(blocks[name].keys);
    expect(String(m), name).toBe(blocks[name].repr);
  };
  it('Conv2dNormActivation is a Sequential with conv/norm/activation keys .0/.1/.2', () => {
    check('cna_default', new nn.Conv2dNormActivation(3, 16, { stride: 2 }));
    check(
      'cna_dw_hardswish',
      new nn.Conv2dNormActivation(16, 16, {
        kernelSize: 5,
        groups: 16,
        dilation: 2,
        normLayer: (c) => new nn.BatchNorm2d(c, { eps: 0.001, momentum: 0.01 }),
        activationLayer: nn.Hardswish,
      }),
    );
    const bare = new nn.Conv2dNormActivation(8, 4, { kernelSize: 1, normLayer: null, activationLayer: null });
    check('cna_no_norm_no_act', bare);
    expect(bare).toBeInstanceOf(nn.Sequential);
    expect(bare.outChannels).toBe(4);
    check('cna_inplace_none', new nn.Conv2dNormActivation(8, 4, { activationLayer: nn.SiLU, inplace: null }));
  });
  it('SqueezeExcitation (fc1/fc2), StochasticDepth and the activations print as torchvision', () => {
    check('se_default', new nn.SqueezeExcitation(32, 8));
    check('se_hardsigmoid', new nn.SqueezeExcitation(32, 8, { scaleActivation: () => new nn.Hardsigmoid() }));
    check('stochastic_depth', new nn.StochasticDepth(0.0125, 'row'));
    check(
      'activations',
      new nn.Sequential(
        new nn.ReLU6(),
        new nn.ReLU6({ inplace: true }),
        new nn.Hardswish(),
        new nn.Hardswish({ inplace: true }),
        new nn.Hardsigmoid(),
      ),
    );
  });
});

describe('options and errors', () => {
  it('models.create builds each by name; numClasses sets the head; widthMult and ResNeXt groups shape the blocks', () => {
    const initial = torch.defaultDevice();
    torch.setDefaultDevice('cpu');
    try {
      for (const name of ['mobilenet_v2', 'mobilenet_v3_small', 'mobilenet_v3_large', 'efficientnet_b0']) {
        const m = models.create(name, { numClasses: 7 });
        expect(m.constructor, name).toBe(builders[name]({}).constructor);
        expect((m.getSubmodule(heads[name]) as torch.nn.Linear).outFeatures, name).toBe(7);
      }
      const half = new models.MobileNetV2({ widthMult: 0.5 });
      expect(((half.features.get(0) as torch.nn.Sequential).get(0) as torch.nn.Conv2d).outChannels).toBe(16);
      expect(half.lastChannel).toBe(1280);
      const rx = models.resnext50_32x4d();
      const c2 = rx.getSubmodule('layer1.0.conv2') as torch.nn.Conv2d;
      expect([c2.inChannels, c2.groups]).toEqual([128, 32]);
    } finally {
      torch.setDefaultDevice(initial);
    }
  });
  it('BasicBlock refuses groups (as torchvision), StochasticDepth a bad p or mode', () => {
    expect(() => new models.BasicBlock(64, 64, 1, null, 2)).toThrow(
      new torch.ArgumentError('BasicBlock only supports groups=1 and base_width=64'),
    );
    expect(() => new nn.StochasticDepth(1.5, 'row')).toThrow(torch.ArgumentError);
    expect(() => new nn.StochasticDepth(0.1, 'rows' as 'row')).toThrow(
      "mode has to be either 'batch' or 'row', but got rows",
    );
    expect(() => nn.functional.stochasticDepth(torch.ones([2, 3]), -0.1, 'row')).toThrow(
      'drop probability has to be between 0 and 1, but got -0.1',
    );
  });
});

describe('finetune.replaceHead knows each model (also checked on every model above)', () => {
  it('headPath of the older models; an explicit path still works', () => {
    const initial = torch.defaultDevice();
    torch.setDefaultDevice('cpu');
    try {
      expect(finetune.headPath(models.resnet18())).toBe('fc');
      expect(finetune.headPath(new models.SmallCNN())).toBe('fc');
      expect(finetune.headPath(new nn.Linear(2, 2))).toBeNull();
      const m = models.mobilenetV3Small();
      expect(finetune.replaceHead(m, 'classifier.0', 3).outFeatures).toBe(3);
    } finally {
      torch.setDefaultDevice(initial);
    }
  });
  it('a model whose head is unknown is an ArgumentError naming what to pass', () => {
    expect(() => torch.finetune.replaceHead(new nn.Sequential(new nn.Linear(2, 3)), 4)).toThrow(
      new torch.ArgumentError(
        "replaceHead: no known head for a Sequential; pass its path, e.g. replaceHead(model, 'fc', 4)",
      ),
    );
  });
});
