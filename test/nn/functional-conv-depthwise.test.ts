// Depthwise conv2d (groups == in_channels) against PyTorch fixtures (tools/reference/conv_depthwise.py)
// on both devices: output and the gradients of x, weight and bias. On webgpu these take the
// depthwise kernels (conv-depthwise.ts), on cpu the depthwise loops of kernels/cpu/conv.ts.
import { describe, it } from 'vitest';
import { eachDevice, TOL, torch } from '../harness.js';
import { loadFamily, runCase } from './functional-cases.js';

const F = torch.nn.functional;
const { T, cases } = loadFamily('conv_depthwise');

eachDevice((device) => {
  describe('depthwise conv2d against PyTorch', () => {
    for (const c of cases) {
      // each output sums at most 25 products: float32 TOL holds
      it(`${c.name} ${JSON.stringify(c.args)}`, () =>
        runCase(T, c, device, (i, a) => F.conv2d(i.x, i.weight, i.bias ?? null, a), TOL));
    }
  });
});
