// nn.utils.clipGradNorm_ / clipGradValue_ against PyTorch 1.13 (tools/reference/optim.py).
import { describe, expect, it } from 'vitest';
import { clipGradNorm_, clipGradValue_ } from '../../src/nn/utils.js';
import { eachDevice, expectClose, fixture, onDevice, TOL, torch, type Device } from '../harness.js';

const fx = fixture('optim/clip');
const configs = JSON.parse(fx.metadata.configs) as Record<
  string,
  { maxNorm: number; normType: number | 'inf' | '-inf' }
>;
const names = ['w', 'b', 'c'];

function withGrads(device: Device): torch.Tensor[] {
  return names.map((n) => {
    const g = onDevice(fx.tensors[`grad.${n}`].clone(), device);
    const p = torch.zeros(g.shape as number[], { device, requiresGrad: true });
    p.grad = g;
    return p;
  });
}

eachDevice((device) => {
  for (const [name, { maxNorm, normType }] of Object.entries(configs)) {
    it(`clipGradNorm_ ${name} (maxNorm ${maxNorm}, normType ${normType})`, async () => {
      const params = withGrads(device);
      const total = clipGradNorm_(params, maxNorm, normType);
      expect(total.shape).toEqual([]);
      expect(total.device).toBe(device);
      await expectClose(total, fx.tensors[`norm.${name}`], TOL, `${name} norm`);
      for (const [i, n] of names.entries())
        await expectClose(params[i].grad!, fx.tensors[`clipped.${name}.${n}`], TOL, `${name}.${n}`);
    });
  }

  it('clipGradNorm_ reads nothing back and skips parameters without gradients', async () => {
    const params = withGrads(device);
    const frozen = torch.ones([5], { device, requiresGrad: true });
    const total = clipGradNorm_([...params, frozen], configs.l2.maxNorm);
    expect(frozen.grad).toBeNull();
    await expectClose(total, fx.tensors['norm.l2'], TOL);
    expect(await clipGradNorm_([frozen], 1).item()).toBe(0);
  });

  it('clipGradValue_ clamps in place', async () => {
    const params = withGrads(device);
    const grads = params.map((p) => p.grad);
    clipGradValue_(params, Number(fx.metadata.clipValue));
    for (const [i, n] of names.entries()) {
      expect(params[i].grad).toBe(grads[i]);
      await expectClose(params[i].grad!, fx.tensors[`value.${n}`], TOL, n);
    }
  });
});

describe('clipGradNorm_ errorIfNonfinite', () => {
  it('throws on a non-finite cpu norm, as PyTorch', () => {
    const p = torch.zeros([2], { device: 'cpu', requiresGrad: true });
    p.grad = torch.tensor([1, Infinity], { device: 'cpu' });
    expect(() => clipGradNorm_([p], 1, 2, { errorIfNonfinite: true })).toThrow(/non-finite/);
  });
});
