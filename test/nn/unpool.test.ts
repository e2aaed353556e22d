// nn.MaxPool2d({ returnIndices: true }), F.maxUnpool1d/2d and nn.MaxUnpool1d/2d against PyTorch 1.13
// (tools/reference/unpool.py): pool indices, unpooled output (with and without outputSize, unbatched,
// overlapping windows), the gradient to the pooled values and through pool + unpool to the input.
import { describe, expect, it } from 'vitest';
import { eachDevice, expectClose, fixture, onDevice, torch } from '../harness.js';

const { nn } = torch;
const F = nn.functional;
type Tensor = torch.Tensor;
interface Case {
  kernelSize: number | number[];
  stride: number | number[];
  padding: number | number[];
  outputSize: number[] | null;
  oned: boolean;
}

const fx = fixture('nn_ops/unpool');
const cases = JSON.parse(fx.metadata.cases) as Record<string, Case>;
const T = (name: string, key: string) => fx.tensors[`${name}.${key}`];

eachDevice((device) => {
  describe('against PyTorch', () => {
    for (const [name, c] of Object.entries(cases)) {
      it(name, async () => {
        const x = onDevice(T(name, 'x'), device, true);
        // the module with returnIndices, as PyTorch's MaxPool1d/2d(return_indices=True)
        const pool = c.oned
          ? new nn.MaxPool1d(c.kernelSize, { stride: c.stride, padding: c.padding, returnIndices: true })
          : new nn.MaxPool2d(c.kernelSize, { stride: c.stride, padding: c.padding, returnIndices: true });
        const [pooled, idx] = pool.call(x);
        await expectClose(pooled, T(name, 'pooled'), undefined, 'pooled');
        expect(idx.dtype).toBe('int32');
        expect(Array.from(await idx.data())).toEqual(Array.from(await T(name, 'indices').data()));
        pooled.retainGrad();
        const unpool = c.oned
          ? new nn.MaxUnpool1d(c.kernelSize, { stride: c.stride, padding: c.padding })
          : new nn.MaxUnpool2d(c.kernelSize, { stride: c.stride, padding: c.padding });
        const out = unpool.call(pooled, idx, c.outputSize);
        await expectClose(out, T(name, 'out'), undefined, 'out');
        out
          .mul(onDevice(T(name, 'gy'), device))
          .sum()
          .backward();
        await expectClose(pooled.grad!, T(name, 'grad_pooled'), undefined, 'grad of the pooled values');
        await expectClose(x.grad!, T(name, 'grad_x'), undefined, 'grad through pool and unpool');
      });
    }
  });

  it('the functional form equals the module', async () => {
    const name = 'overlap_k3s2p1',
      c = cases[name];
    const pooled = onDevice(T(name, 'pooled'), device),
      idx = onDevice(T(name, 'indices'), device);
    const y = F.maxUnpool2d(pooled, idx, 3, { stride: 2, padding: 1, outputSize: [8, 8] });
    await expectClose(y, T(name, 'out'));
    expect(c.outputSize).toEqual([8, 8]);
  });

  it('an index outside the output plane is an IndexError, as PyTorch', async () => {
    const x = torch.ones([1, 1, 2, 2], { device });
    const bad = torch.tensor(new Int32Array([0, 1, 99, 3]), { device }).reshape([1, 1, 2, 2]);
    const check = async () => {
      const y = F.maxUnpool2d(x, bad, 2);
      await y.data();
    };
    await expect(check()).rejects.toThrow(/Found an invalid max index: 99 \(output volumes are of size 4x4\)/);
    await expect(check()).rejects.toBeInstanceOf(torch.IndexError);
  });
});

describe('maxUnpool argument checks, as PyTorch', () => {
  const x = torch.ones([1, 1, 2, 2], { device: 'cpu' });
  const idx = torch.tensor(new Int32Array([0, 3, 8, 11]), { device: 'cpu' }).reshape([1, 1, 2, 2]);
  it('outputSize must lie within a stride of the default size', () => {
    expect(() => F.maxUnpool2d(x, idx, 2, { outputSize: [9, 9] })).toThrow(
      'invalid output_size "[9,9]" (dim 0 must be between 2 and 6)',
    );
    expect(() => F.maxUnpool2d(x, idx, 2, { outputSize: [4] })).toThrow(
      /output_size should be a sequence containing 2 or 4 elements, but it has a length of '1'/,
    );
    expect(F.maxUnpool2d(x, idx, 2, { outputSize: [1, 1, 5, 5] }).shape).toEqual([1, 1, 5, 5]);
  });
  it('indices must be int32 and shaped as the input', () => {
    expect(() => F.maxUnpool2d(x, idx.float(), 2)).toThrow(torch.DTypeError);
    expect(() => F.maxUnpool2d(x, idx.reshape([1, 1, 4, 1]), 2)).toThrow(
      /Expected shape of indices to be same as that of the input tensor \(\[1, 1, 2, 2\]\)/,
    );
    expect(() => F.maxUnpool2d(x.reshape([4]), idx.reshape([4]), 2)).toThrow(torch.ShapeError);
  });
  it('prints as PyTorch', () => {
    expect(String(new nn.MaxUnpool2d(2))).toBe('MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))');
    expect(String(new nn.MaxUnpool2d([2, 3], { stride: 1, padding: [1, 0] }))).toBe(
      'MaxUnpool2d(kernel_size=(2, 3), stride=(1, 1), padding=(1, 0))',
    );
    expect(String(new nn.MaxUnpool1d(3, { stride: 2 }))).toBe(
      'MaxUnpool1d(kernel_size=(3,), stride=(2,), padding=(0,))',
    );
    expect(String(new nn.MaxPool2d(2, { returnIndices: true }))).toBe(
      'MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)',
    );
  });
  it('without returnIndices a max pool module returns the output only (typed so)', () => {
    const y: Tensor = new nn.MaxPool2d(2).call(torch.ones([1, 1, 4, 4], { device: 'cpu' }));
    expect(y.shape).toEqual([1, 1, 2, 2]);
    const pair: [Tensor, Tensor] = new nn.MaxPool2d(2, { returnIndices: true }).call(
      torch.ones([1, 1, 4, 4], { device: 'cpu' }),
    );
    expect(pair[1].shape).toEqual([1, 1, 2, 2]);
  });
});
