// The weights' preprocessing against torchvision 0.14 (tools/reference/weights_presets.py): bicubic
// resize (the EfficientNet V1 preset) and ImageClassification with both interpolations, applied to an
// image converted to float first, as finetorch's transforms are; and the registry's metadata.
import { describe, expect, it } from 'vitest';
import { resizeBicubic } from '../../src/data/resize-bicubic.js';
import { presetTransform } from '../../src/models/weights/preset.js';
import { expectClose, fixture, TOL, torch } from '../harness.js';

const { models } = torch;
type Image = torch.data.Image;
const fx = fixture('models/weights_presets');
const cases = JSON.parse(fx.metadata.cases) as Record<
  string,
  { input?: string; size?: number | number[]; resize?: number; crop?: number; interpolation?: string }
>;
const image = (name: string): Image => {
  const t = fx.tensors[`in_${name}`];
  const [channels, height, width] = t.shape;
  return { data: t.dataSync() as Float32Array, channels, height, width };
};

async function expectImage(actual: Image, name: string): Promise<void> {
  const e = fx.tensors[name];
  expect([actual.channels, actual.height, actual.width], `${name} shape`).toEqual(e.shape);
  await expectClose(actual.data, e, TOL, name);
}

describe('bicubic resize vs torchvision (antialias=False)', () => {
  for (const [name, c] of Object.entries(cases).filter(([n]) => n.startsWith('bicubic_'))) {
    it(`${name}: size ${JSON.stringify(c.size)}`, async () => {
      const input = image(c.input!);
      const before = input.data.slice();
      await expectImage(resizeBicubic(input, c.size!), name);
      expect(input.data, 'input left unchanged').toEqual(before);
    });
  }
  it('a size that rounds to 0 is an ArgumentError', () => {
    expect(() => resizeBicubic(image('a'), [0, 3])).toThrow(torch.ArgumentError);
  });
});

describe('ImageClassification preset', () => {
  const u8 = fx.tensors.in_u8;
  const [height, width, channels] = u8.shape;
  const raw = { data: Uint8Array.from(u8.dataSync()), height, width, channels };
  for (const name of ['preset_bilinear', 'preset_bicubic']) {
    it(`${name}: resize ${cases[name].resize}, crop ${cases[name].crop}`, async () => {
      const c = cases[name];
      const t = presetTransform({
        mode: 'RGB',
        resize: c.resize!,
        crop: c.crop!,
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
        interpolation: c.interpolation as 'bilinear' | 'bicubic',
      });
      await expectImage(t(raw), name);
    });
  }
});

describe('weights metadata', () => {
  it('enums as torchvision names them, DEFAULT the same object as the default member', () => {
    const w = models.ResNet18_Weights.IMAGENET1K_V1;
    expect(String(w)).toBe('ResNet18_Weights.IMAGENET1K_V1');
    expect(models.ResNet18_Weights.DEFAULT).toBe(w);
    expect(String(models.ResNet50_Weights.DEFAULT)).toBe('ResNet50_Weights.IMAGENET1K_V2');
    expect(w.url).toBe('https://download.pytorch.org/models/resnet18-f37072fd.pth');
    expect(w.file).toBe('resnet18-f37072fd.pth');
    expect(w.meta.num_params).toBe(11689512);
    expect(w.meta.categories).toHaveLength(1000);
    expect(w.meta.categories[0]).toBe('tench');
    expect(w.meta._metrics['ImageNet-1K']['acc@1']).toBe(69.758);
    expect(models.getWeight('ResNet50_Weights.IMAGENET1K_V2')).toBe(models.ResNet50_Weights.IMAGENET1K_V2);
    expect(models.getModelWeights('mobilenet_v3_small')).toBe(models.MobileNet_V3_Small_Weights);
  });

  it('every model of the zoo but smallcnn has weights, with the parameter count torchvision states', () => {
    const initial = torch.defaultDevice();
    torch.setDefaultDevice('cpu');
    try {
      for (const name of ['resnet18', 'mobilenet_v3_small', 'efficientnet_b0', 'mobilenet_v2']) {
        const m = models.create(name);
        const n = m.parameters().reduce((s, p) => s + p.numel(), 0);
        expect(n, name).toBe(models.getModelWeights(name).DEFAULT.meta.num_params);
      }
    } finally {
      torch.setDefaultDevice(initial);
    }
    expect(models.modelsWithWeights()).toEqual(
      expect.arrayContaining([
        'resnet18',
        'resnet152',
        'resnext50_32x4d',
        'mobilenet_v2',
        'mobilenet_v3_large',
        'efficientnet_b3',
        'convnext_tiny',
      ]),
    );
  });

  it('presets: EfficientNet V1 bicubic, ResNet-50 V2 resize 232, EfficientNet-B3 crop 300', () => {
    expect(models.EfficientNet_B0_Weights.DEFAULT.preset).toMatchObject({
      resize: 256,
      crop: 224,
      interpolation: 'bicubic',
    });
    expect(models.ResNet50_Weights.IMAGENET1K_V2.preset).toMatchObject({
      resize: 232,
      crop: 224,
      interpolation: 'bilinear',
    });
    expect(models.EfficientNet_B3_Weights.DEFAULT.preset).toMatchObject({ resize: 320, crop: 300 });
    // torchvision 0.14's EfficientNet file names carry a prefix that is not their sha256 (pytorch/vision#7744)
    expect(models.EfficientNet_B0_Weights.DEFAULT.sha256).toBe('7f5810bc');
  });

  it('names resolve as torchvision resolves them; wrong ones are ArgumentErrors that list the choices', () => {
    expect(models.resolveWeights('resnet18', 'DEFAULT')).toBe(models.ResNet18_Weights.IMAGENET1K_V1);
    expect(models.resolveWeights('resnet18', 'ResNet18_Weights.IMAGENET1K_V1')).toBe(
      models.ResNet18_Weights.IMAGENET1K_V1,
    );
    expect(models.resolveWeights('resnet18', null)).toBeNull();
    expect(() => models.resolveWeights('resnet18', 'IMAGENET1K_V2')).toThrow(
      /unknown weights 'IMAGENET1K_V2' for resnet18 \(expected one of 'IMAGENET1K_V1', 'DEFAULT'\)/,
    );
    expect(() => models.resolveWeights('resnet34', models.ResNet18_Weights.DEFAULT)).toThrow(
      /ResNet18_Weights.IMAGENET1K_V1 are for resnet18, not resnet34/,
    );
    expect(() => models.create('smallcnn', { weights: 'DEFAULT' })).toThrow(/smallcnn has no pretrained weights/);
    expect(() => models.resnet18({ weights: 'DEFAULT', numClasses: 2 })).toThrow(
      /numClasses 2 with weights ResNet18_Weights.IMAGENET1K_V1 \(1000 classes\)/,
    );
    expect(() => models.getWeight('ResNet18_Weights')).toThrow(torch.ArgumentError);
  });
});
