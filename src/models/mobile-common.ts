// What torchvision's MobileNetV2/V3 and EfficientNet share: channel rounding to multiples of 8
// (`_make_divisible`, from the TensorFlow reference) and their weight initialisation.
import * as nn from '../nn/index.js';
import { constant_, kaimingNormal_, normal_, uniform_ } from '../nn/init.js';

/** torchvision.models._utils._make_divisible: round v to a multiple of divisor, never more than 10 % down */
export function makeDivisible(v: number, divisor: number, minValue: number | null = null): number {
  const min = minValue ?? divisor;
  let out = Math.max(min, Math.floor(Math.trunc(v + divisor / 2) / divisor) * divisor);
  if (out < 0.9 * v) out += divisor;
  return out;
}

/**
 * torchvision's init for these models: He-normal (fan_out) convs with zero bias, BatchNorm weight 1
 * and bias 0, and Linear layers drawn by `linear` (normal(0, 0.01) for MobileNets; uniform
 * ±1/sqrt(out_features) for EfficientNet) with zero bias.
 */
export function initMobile(model: nn.Module, linear: 'normal' | 'uniform'): void {
  for (const m of model.modules()) {
    if (m instanceof nn.Conv2d) {
      kaimingNormal_(m.weight, { mode: 'fan_out' });
      if (m.bias) constant_(m.bias, 0);
    } else if (m instanceof nn.BatchNorm2d || m instanceof nn.GroupNorm) {
      constant_(m.weight!, 1);
      constant_(m.bias!, 0);
    } else if (m instanceof nn.Linear) {
      if (linear === 'normal') normal_(m.weight, 0, 0.01);
      else {
        const r = 1 / Math.sqrt(m.outFeatures);
        uniform_(m.weight, -r, r);
      }
      if (m.bias) constant_(m.bias, 0);
    }
  }
}
