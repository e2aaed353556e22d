// The CLI with weights by name: `finetorch models` lists the zoo (parameter counts, every weights
// member, what the cache holds); `finetune --model mobilenet_v3_small --weights DEFAULT` and `predict
// --weights DEFAULT` read torchvision's file from torch.hub's cache (TORCH_HOME points at a temp
// directory holding a generated checkpoint under torchvision's name; FINETORCH_OFFLINE=1 keeps every
// test off the network), predict names ImageNet categories for an unchanged head, and the weights'
// preset is what finetune saves and predict applies.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { serializeCheckpoint } from '../../src/io/index.js';
import { presetTransform } from '../../src/models/weights/preset.js';
import { torch } from '../harness.js';

const { models } = torch;
const dir = mkdtempSync(join(tmpdir(), 'ft-cli-weights-'));
const cache = join(dir, 'torch', 'hub', 'checkpoints');
const FILE = 'mobilenet_v3_small-047dcff4.pth';
const saved = { TORCH_HOME: process.env.TORCH_HOME, FINETORCH_OFFLINE: process.env.FINETORCH_OFFLINE };
let image = '',
  images = '';

function png(w: number, h: number, seed: number): Buffer {
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) {
    p.data[i * 4] = (i * 7 + seed * 31) % 256;
    p.data[i * 4 + 1] = (i * 3 + seed * 17) % 256;
    p.data[i * 4 + 2] = ((i >> 3) * 5 + seed) % 256;
    p.data[i * 4 + 3] = 255;
  }
  return PNG.sync.write(p);
}

beforeAll(async () => {
  process.env.TORCH_HOME = join(dir, 'torch');
  process.env.FINETORCH_OFFLINE = '1';
  const prev = torch.defaultDevice();
  torch.setDefaultDevice('cpu');
  torch.manualSeed(11);
  mkdirSync(cache, { recursive: true });
  writeFileSync(join(cache, FILE), await serializeCheckpoint(models.mobilenetV3Small().stateDict(), 'pth'));
  torch.setDefaultDevice(prev);
  image = join(dir, 'photo.png');
  writeFileSync(image, png(40, 30, 1));
  images = join(dir, 'images');
  for (const c of ['cat', 'dog']) {
    mkdirSync(join(images, c), { recursive: true });
    for (let i = 0; i < 3; i++) writeFileSync(join(images, c, `${i}.png`), png(24, 20, i + (c === 'dog' ? 5 : 0)));
  }
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  rmSync(dir, { recursive: true, force: true });
});

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [],
    err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => {
    out.push(a.join(' '));
  });
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => {
    err.push(a.join(' '));
  });
  const prev = torch.defaultDevice();
  try {
    return { code: await main(argv), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    torch.setDefaultDevice(prev);
  }
}

describe('finetorch models', () => {
  it('lists every model with its parameter count and weights, DEFAULT marked, the cached file marked', async () => {
    const r = await run('models');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^model\s+params\s+weights\s+acc@1\s+acc@5\s+preprocessing\s+file$/);
    expect(r.out).toMatch(
      /^resnet18\s+11,689,512\s+ResNet18_Weights\.IMAGENET1K_V1 \(DEFAULT\)\s+69\.758\s+89\.078\s+resize 256, crop 224, bilinear\s+resnet18-f37072fd\.pth$/m,
    );
    expect(r.out).toMatch(
      /^\s+ResNet50_Weights\.IMAGENET1K_V2 \(DEFAULT\)\s+80\.858\s+95\.434\s+resize 232, crop 224, bilinear\s+resnet50-11ad3fa6\.pth$/m,
    );
    expect(r.out).toMatch(/EfficientNet_B0_Weights\.IMAGENET1K_V1 \(DEFAULT\).*bicubic/);
    expect(r.out).toMatch(new RegExp(`${FILE.replace(/\./g, '\\.')} \\(cached\\)$`, 'm'));
    expect(r.out).not.toMatch(/resnet18-f37072fd\.pth \(cached\)/);
    expect(r.out).toMatch(/^smallcnn\s+29,178\s+-$/m);
    expect(r.out).toContain(cache);
  });
  it('--json: one object per weights member', async () => {
    const r = await run('models', '--json');
    const j = JSON.parse(r.out) as {
      cache: string;
      models: { model: string; weights: string; cached: boolean; params: number }[];
    };
    expect(j.cache).toBe(cache);
    expect(j.models.filter((m) => m.model === 'resnet50').map((m) => m.weights)).toEqual([
      'ResNet50_Weights.IMAGENET1K_V1',
      'ResNet50_Weights.IMAGENET1K_V2',
    ]);
    expect(j.models.find((m) => m.model === 'mobilenet_v3_small')).toMatchObject({ cached: true, params: 2542856 });
  });
  it('is in the command table', async () => {
    const r = await run('--help');
    expect(r.out).toMatch(/^ {2}models {5}list the image models/m);
  });
});

describe('predict --weights NAME', () => {
  it("ImageNet category names for the unchanged head, preprocessed with the weights' preset", async () => {
    const r = await run(
      'predict',
      '--model',
      'mobilenet_v3_small',
      '--weights',
      'DEFAULT',
      '--device',
      'cpu',
      '--top-k',
      '2',
      image,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // the same by hand: the builder with weights, weights.transforms()
    const prev = torch.defaultDevice();
    torch.setDefaultDevice('cpu');
    const w = models.MobileNet_V3_Small_Weights.DEFAULT;
    const m = models.mobilenetV3Small({ weights: w });
    torch.setDefaultDevice(prev);
    m.eval();
    const img = w.transforms()(torch.data.decodeImage(readFileSync(image), image, 'RGB'));
    expect([img.height, img.width]).toEqual([224, 224]);
    const probs = Array.from(
      await torch
        .noGrad(() => m.call(torch.tensor(img.data, { device: 'cpu' }).reshape([1, 3, 224, 224])).softmax(1))
        .data(),
    );
    const top = [...probs.keys()].sort((a, b) => probs[b] - probs[a]).slice(0, 2);
    expect(r.out).toBe(
      `${image}: ${top.map((i) => `${w.meta.categories[i]} ${(probs[i] * 100).toFixed(1)}%`).join(', ')}`,
    );
  });
  it('an unknown name lists the ones there are; weights not in the cache (offline) are one typed line', async () => {
    const bad = await run('predict', '--model', 'mobilenet_v3_small', '--weights', 'IMAGENET1K_V9', image);
    expect(bad.code).toBe(2);
    expect(bad.err.split('\n')[0]).toBe(
      "finetorch predict: --weights 'IMAGENET1K_V9' does not exist (not a file, nor weights of mobilenet_v3_small: DEFAULT, IMAGENET1K_V1)",
    );
    const missing = await run('predict', '--model', 'resnet18', '--weights', 'ResNet18_Weights.IMAGENET1K_V1', image);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(
      /^finetorch predict: WeightsUnavailableError: ResNet18_Weights\.IMAGENET1K_V1 needs resnet18-f37072fd\.pth, which is not in .*FINETORCH_OFFLINE is set.*put it at .*resnet18-f37072fd\.pth$/,
    );
    expect(missing.err.split('\n')).toHaveLength(1);
  });
});

describe('finetune --weights NAME', () => {
  it("mobilenet_v3_small from its DEFAULT weights: the new head, the weights' preset saved for predict", async () => {
    const out = join(dir, 'run');
    const r = await run(
      'finetune',
      '--model',
      'mobilenet_v3_small',
      '--weights',
      'DEFAULT',
      '--num-classes',
      '2',
      '--freeze',
      '*',
      '--unfreeze',
      'classifier.3',
      '--data',
      images,
      '--epochs',
      '1',
      '--lr',
      '0.01',
      '--batch-size',
      '3',
      '--image-size',
      '32',
      '--device',
      'cpu',
      '--out',
      out,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`weights: MobileNet_V3_Small_Weights.IMAGENET1K_V1 (${join(cache, FILE)})`);
    expect(r.out).toMatch(/classifier\.3\.weight/); // the replaced head is reported, the backbone loaded
    const prep = JSON.parse(readFileSync(join(out, 'preprocess.json'), 'utf8'));
    expect(prep).toEqual({
      model: 'mobilenet_v3_small',
      mode: 'RGB',
      resize: 37,
      crop: 32,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      interpolation: 'bilinear',
    });
    // predict reads it back: 2 classes, named by index (no --classes, the head changed)
    const p = await run(
      'predict',
      '--model',
      'mobilenet_v3_small',
      '--weights',
      join(out, 'model.safetensors'),
      '--device',
      'cpu',
      image,
    );
    expect(p.code).toBe(0);
    expect(p.out).toMatch(/^.*photo\.png: [01] \d+\.\d%, [01] \d+\.\d%$/);
  });
  it('the same preset as weights.transforms() (one definition)', () => {
    const w = models.EfficientNet_B0_Weights.DEFAULT;
    const raw = torch.data.decodeImage(png(30, 26, 3), 'x', 'RGB');
    expect(presetTransform({ ...w.preset }).call(null, raw).data).toEqual(w.transforms()(raw).data);
  });
});
