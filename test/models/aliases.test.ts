// torchvision's snake-case builder names are the camelCase builders under another name.
import { expect, it } from 'vitest';
import * as torch from '../../src/index.js';

it('torchvision builder names alias the camelCase builders', () => {
  const m = torch.models as unknown as Record<string, unknown>;
  for (const [snake, camel] of [
    ['mobilenet_v2', 'mobilenetV2'],
    ['mobilenet_v3_small', 'mobilenetV3Small'],
    ['mobilenet_v3_large', 'mobilenetV3Large'],
    ['efficientnet_b0', 'efficientnetB0'],
    ['efficientnet_b3', 'efficientnetB3'],
    ['convnext_tiny', 'convnextTiny'],
    ['resnext50_32x4d', 'resnext50_32x4d'],
    ['resnet18', 'resnet18'],
  ]) {
    expect(typeof m[snake], snake).toBe('function');
    expect(m[snake]).toBe(m[camel]);
  }
});
