import { describe, expect, it } from 'vitest';
import { eachDevice, expectClose, onDevice, TOL, torch } from '../harness.js';
import { input, loadFamily, runCase, type Call } from './functional-cases.js';

const F = torch.nn.functional;
const { T, cases } = loadFamily('norm');

const calls: Record<string, Call> = {
  batchNorm: (i, a) =>
    F.batchNorm(i.x, i.runningMean ?? null, i.runningVar ?? null, { ...a, weight: i.weight, bias: i.bias }),
  layerNorm: (i, a) => F.layerNorm(i.x, a.normalizedShape, { ...a, weight: i.weight, bias: i.bias }),
  groupNorm: (i, a) => F.groupNorm(i.x, a.numGroups, { ...a, weight: i.weight, bias: i.bias }),
};

eachDevice((device) => {
  describe('against PyTorch', () => {
    // TOL holds: the reductions here are short (at most 40 values per channel or group)
    for (const c of cases.filter((c) => calls[c.op]))
      it(`${c.op} ${c.name} ${JSON.stringify(c.args)}`, () => runCase(T, c, device, calls[c.op], TOL));
  });

  it("batchNorm: running statistics after 3 training steps equal PyTorch's; gradients accumulate like PyTorch's", async () => {
    const rm = input(T, 'bn_steps.runningMean', device),
      rv = input(T, 'bn_steps.runningVar', device);
    const weight = input(T, 'bn_steps.weight', device, true),
      bias = input(T, 'bn_steps.bias', device, true);
    for (let step = 0; step < 3; step++) {
      const x = input(T, `bn_steps.${step}.x`, device, true);
      const y = F.batchNorm(x, rm, rv, { weight, bias, training: true, momentum: 0.1 });
      await expectClose(y, T[`bn_steps.${step}.y`], TOL, `step ${step} output`);
      y.backward(onDevice(T[`bn_steps.${step}.gy`], device));
      await expectClose(x.grad!, T[`bn_steps.${step}.grad.x`], TOL, `step ${step} grad x`);
      await expectClose(rm, T[`bn_steps.${step}.runningMean.after`], TOL, `step ${step} running mean`);
      await expectClose(rv, T[`bn_steps.${step}.runningVar.after`], TOL, `step ${step} running var`);
    }
    await expectClose(weight.grad!, T['bn_steps.grad.weight'], TOL, 'accumulated grad weight');
    await expectClose(bias.grad!, T['bn_steps.grad.bias'], TOL, 'accumulated grad bias');
  });

  it('batchNorm training without running stats uses batch statistics only; eval with them leaves them unchanged', async () => {
    const x = torch.randn([4, 3, 2], { device });
    const y = F.batchNorm(x, null, null, { training: true });
    await expectClose(y.mean([0, 2]), [0, 0, 0], TOL);
    const rm = torch.tensor([0.5, -1, 2], { device }),
      rv = torch.tensor([1, 2, 0.5], { device });
    F.batchNorm(x, rm, rv, { training: false });
    expect(await rm.tolist()).toEqual([0.5, -1, 2]);
    expect(await rv.tolist()).toEqual([1, 2, 0.5]);
  });

  it('batchNorm with a frozen weight and bias in eval still gives the input gradient', async () => {
    const x = torch.randn([2, 3, 4], { device }).requiresGrad_();
    const rm = torch.randn([3], { device }),
      rv = torch.rand([3], { device }).add(0.5);
    const w = torch.randn([3], { device }),
      b = torch.randn([3], { device });
    F.batchNorm(x, rm, rv, { weight: w, bias: b }).sum().backward();
    const expected = w.mul(rv.add(1e-5).rsqrt()).reshape([1, 3, 1]).expand([2, 3, 4]);
    await expectClose(x.grad!, expected);
  });

  it('bad arguments throw typed errors naming the shapes', () => {
    const x = torch.randn([2, 3, 4], { device });
    expect(() => F.batchNorm(x, torch.zeros([4], { device }), torch.ones([4], { device }))).toThrow(torch.ShapeError);
    expect(() => F.batchNorm(x, torch.zeros([4], { device }), torch.ones([4], { device }))).toThrow(
      'expected runningMean of shape [3] for input of shape [2, 3, 4], got [4]',
    );
    expect(() => F.batchNorm(torch.randn([1, 3], { device }), null, null, { training: true })).toThrow(
      'Expected more than 1 value per channel when training, got input size [1, 3]',
    );
    expect(() => F.batchNorm(x, null, null, { training: false })).toThrow(torch.ArgumentError);
    expect(() => F.batchNorm(torch.randn([3], { device }), null, null, { training: true })).toThrow(torch.ShapeError);
    expect(() => F.layerNorm(torch.randn([2, 3], { device }), [5])).toThrow(
      'Given normalized_shape=[5], expected input with shape [*, 5], but got input of size [2, 3]',
    );
    expect(() => F.layerNorm(x, [4], { weight: torch.ones([3], { device }) })).toThrow(torch.ShapeError);
    expect(() => F.groupNorm(torch.randn([2, 6, 3], { device }), 4)).toThrow(
      'Expected number of channels in input to be divisible by num_groups, but got input of shape [2, 6, 3] and num_groups=4',
    );
  });
});

eachDevice((device) => {
  it('a scoped training step through conv, batchNorm, pools, embedding, dropout and pad leaves live memory flat', () => {
    const w = torch.keep(torch.randn([4, 3, 3, 3], { device }).requiresGrad_());
    const rm = torch.keep(torch.zeros([4], { device })),
      rv = torch.keep(torch.ones([4], { device }));
    const emb = torch.keep(torch.randn([10, 3], { device }).requiresGrad_());
    const idx = torch.keep(torch.tensor(new Int32Array([1, 2, 3, 4, 5, 6]), { device }));
    const step = () =>
      torch.scope(() => {
        const e = F.embedding(idx, emb).reshape([1, 2, 3, 3]).permute([0, 3, 1, 2]); // [1, 3, 2, 3]
        const x = F.pad(e, [1, 1, 1, 1], { mode: 'reflect' }).expand([2, 3, 4, 5]);
        let y = F.conv2d(x, w, null, { padding: 1 });
        y = F.batchNorm(y, rm, rv, { training: true });
        y = F.dropout(F.maxPool2d(y, 2, { stride: 1 }), { p: 0.2 });
        F.adaptiveAvgPool2d(y, [2, 3]).sum().backward();
        w.grad?.dispose();
        emb.grad?.dispose();
        w.grad = null;
        emb.grad = null;
      });
    step();
    const before = torch.memory()[device].liveBytes;
    for (let i = 0; i < 3; i++) step();
    expect(torch.memory()[device].liveBytes).toBe(before);
  });
});
