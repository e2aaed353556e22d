// Layers with weights copied from PyTorch (loadStateDict) produce PyTorch's outputs, running
// statistics and gradients, on both devices (fixture: tools/reference/nn_module.py).
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { eachDevice, expectClose, fixture, LOOSE, onDevice, TOL } from '../harness.js';

const { nn } = torch;
const cpu = { device: 'cpu' as const };
const fx = fixture('nn_module/layers').tensors;
const T = (k: string) => {
  if (!fx[k]) throw new Error(`fixture tensor ${k} missing`);
  return fx[k];
};
/** the PyTorch state dict saved under `<prefix>.sd.` */
function sdOf(prefix: string): Record<string, torch.Tensor> {
  const out: Record<string, torch.Tensor> = {};
  for (const [k, v] of Object.entries(fx)) if (k.startsWith(`${prefix}.sd.`)) out[k.slice(prefix.length + 4)] = v;
  return out;
}
/** build on cpu, load PyTorch's weights, move to `device` */
function loaded<M extends torch.nn.Module>(m: M, prefix: string, device: torch.Device): M {
  m.loadStateDict(sdOf(prefix));
  return m.to(device);
}

eachDevice((device) => {
  const X = (k: string, grad = false) => onDevice(T(k), device, grad);

  it('Linear on a 3-D input', async () => {
    const lin = loaded(new nn.Linear(5, 3, cpu), 'linear', device);
    await expectClose(lin.call(X('linear.x')), T('linear.y'), TOL, 'linear');
  });

  it('Conv2d (stride, padding, groups) and Conv1d (dilation, reflect padding mode)', async () => {
    const c2 = loaded(new nn.Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2, ...cpu }), 'conv2d', device);
    await expectClose(c2.call(X('conv2d.x')), T('conv2d.y'), LOOSE, 'conv2d');
    const c1 = loaded(
      new nn.Conv1d(3, 4, 3, { padding: 2, dilation: 2, paddingMode: 'reflect', ...cpu }),
      'conv1d',
      device,
    );
    await expectClose(c1.call(X('conv1d.x')), T('conv1d.y'), LOOSE, 'conv1d');
  });

  it('BatchNorm2d: two training steps (outputs, running stats, batch count), then eval', async () => {
    const bn = loaded(new nn.BatchNorm2d(3, cpu), 'bn2d', device);
    for (const i of [0, 1]) await expectClose(bn.call(X(`bn2d.x${i}`)), T(`bn2d.y${i}`), LOOSE, `train step ${i}`);
    for (const [k, v] of Object.entries(bn.stateDict())) await expectClose(v, T(`bn2d.after.${k}`), LOOSE, k);
    bn.eval();
    await expectClose(bn.call(X('bn2d.xe')), T('bn2d.ye'), LOOSE, 'eval');
  });

  it('BatchNorm1d with momentum null keeps a cumulative average', async () => {
    const bn = loaded(new nn.BatchNorm1d(3, { momentum: null, ...cpu }), 'bn1d_cma', device);
    for (const i of [0, 1, 2]) await expectClose(bn.call(X(`bn1d_cma.x${i}`)), T(`bn1d_cma.y${i}`), LOOSE, `step ${i}`);
    for (const [k, v] of Object.entries(bn.stateDict())) await expectClose(v, T(`bn1d_cma.after.${k}`), LOOSE, k);
  });

  it('Embedding with paddingIdx: output and gradient (padding row gets none)', async () => {
    const emb = loaded(new nn.Embedding(10, 4, { paddingIdx: 0, ...cpu }), 'embedding', device);
    const y = emb.call(X('embedding.idx'));
    await expectClose(y, T('embedding.y'), TOL, 'embedding');
    y.sum().backward();
    await expectClose(emb.weight.grad!, T('embedding.grad'), TOL, 'grad');
  });

  it('LayerNorm and GroupNorm', async () => {
    const ln = loaded(new nn.LayerNorm([2, 3], cpu), 'layernorm', device);
    await expectClose(ln.call(X('layernorm.x')), T('layernorm.y'), LOOSE, 'layernorm');
    const gn = loaded(new nn.GroupNorm(2, 4, cpu), 'groupnorm', device);
    await expectClose(gn.call(X('groupnorm.x')), T('groupnorm.y'), LOOSE, 'groupnorm');
  });

  it('a small Sequential: train-mode output and every parameter gradient, then eval output', async () => {
    const seq = loaded(
      new nn.Sequential(
        new nn.Conv2d(2, 4, 3, { padding: 1, ...cpu }),
        new nn.BatchNorm2d(4, cpu),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Flatten(),
        new nn.Linear(36, 5, cpu),
        new nn.GELU(),
        new nn.Linear(5, 3, cpu),
      ),
      'seq',
      device,
    );
    const y = seq.call(X('seq.x'));
    await expectClose(y, T('seq.y'), LOOSE, 'train output');
    y.mul(X('seq.r')).sum().backward();
    for (const [k, p] of seq.namedParameters()) await expectClose(p.grad!, T(`seq.grad.${k}`), LOOSE, `grad ${k}`);
    seq.eval();
    await expectClose(seq.call(X('seq.x')), T('seq.ye'), LOOSE, 'eval output');
  });

  it('loss modules hold their weights as buffers', async () => {
    const ce = new nn.CrossEntropyLoss({ weight: T('ce.weight'), labelSmoothing: 0.1 }).to(device);
    expect(Object.keys(ce.stateDict())).toEqual(['weight']);
    await expectClose(ce.call(X('ce.logits'), X('ce.target')), T('ce.y'), TOL, 'cross entropy');
    const bce = new nn.BCEWithLogitsLoss({ posWeight: T('bcel.pos_weight'), reduction: 'sum' }).to(device);
    expect(Object.keys(bce.stateDict())).toEqual(['pos_weight']);
    await expectClose(bce.call(X('bcel.x'), X('bcel.target')), T('bcel.y'), TOL, 'bce with logits');
    const mse = new nn.MSELoss({ reduction: 'sum' });
    await expectClose(
      mse.call(X('bcel.x'), X('bcel.target')),
      T('bcel.x').sub(T('bcel.target')).square().sum(),
      TOL,
      'mse',
    );
  });

  it('Dropout: identity in eval mode, zeroes about p of the elements in training mode', async () => {
    const d = new nn.Dropout(0.3);
    const x = torch.ones([4000], { device });
    const y = Array.from(await d.call(x).data());
    const zeros = y.filter((v) => v === 0).length / y.length;
    expect(zeros).toBeGreaterThan(0.27);
    expect(zeros).toBeLessThan(0.33);
    expect(y.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true);
    d.eval();
    expect(d.call(x)).toBe(x);
  });

  it('activations, pools and reshapes match their functional ops', async () => {
    const x = torch.randn([2, 4, 6, 6], { device });
    const pairs: [torch.nn.Module, (t: torch.Tensor) => torch.Tensor][] = [
      [new nn.ReLU(), (t) => t.relu()],
      [new nn.LeakyReLU(0.2), (t) => t.leakyRelu(0.2)],
      [new nn.GELU({ approximate: 'tanh' }), (t) => t.gelu({ approximate: 'tanh' })],
      [new nn.SiLU(), (t) => t.silu()],
      [new nn.Sigmoid(), (t) => t.sigmoid()],
      [new nn.Tanh(), (t) => t.tanh()],
      [new nn.Softmax(1), (t) => t.softmax(1)],
      [new nn.Softmax(), (t) => t.softmax(1)], // PyTorch's implicit dim for 4-D input
      [new nn.LogSoftmax(-1), (t) => t.logSoftmax(-1)],
      [new nn.MaxPool2d(3, { stride: 2, padding: 1 }), (t) => nn.functional.maxPool2d(t, 3, { stride: 2, padding: 1 })],
      [new nn.AvgPool2d(2), (t) => nn.functional.avgPool2d(t, 2)],
      [new nn.AdaptiveAvgPool2d([1, 1]), (t) => t.mean([2, 3], { keepdim: true })],
      [new nn.Flatten(), (t) => t.reshape([2, -1])],
      [new nn.Unflatten(1, [2, 2]), (t) => t.reshape([2, 2, 2, 6, 6])],
      [new nn.Identity(7, 'ignored'), (t) => t],
    ];
    for (const [m, f] of pairs) await expectClose(m.call(x), f(x), TOL, String(m));
    const x3 = torch.randn([2, 3, 8], { device });
    await expectClose(new nn.MaxPool1d(2).call(x3), nn.functional.maxPool1d(x3, 2), TOL, 'maxpool1d');
    await expectClose(new nn.AdaptiveMaxPool1d(1).call(x3), x3.amax(2, { keepdim: true }), TOL, 'adaptive max 1d');
  });

  it('BatchNorm checks the input rank', () => {
    expect(() => new nn.BatchNorm2d(3, { device }).call(torch.zeros([2, 3], { device }))).toThrow(
      /expected 4D input \(got 2D input/,
    );
    expect(() => new nn.BatchNorm1d(3, { device }).call(torch.zeros([2, 3, 4, 4], { device }))).toThrow(
      /expected 2D or 3D input \(got 4D input/,
    );
  });
});

describe('Module.to moves state in place', () => {
  it.runIf(torch.isAvailable('webgpu'))(
    'the same Parameter objects move (an optimizer built before keeps working), with grads and buffers',
    async () => {
      const seq = new nn.Sequential(new nn.Linear(3, 4, cpu), new nn.BatchNorm1d(4, cpu), new nn.Linear(4, 1, cpu));
      const params = seq.parameters();
      const opt = new torch.optim.SGD(params, { lr: 0.1 });
      seq
        .call(torch.randn([5, 3], cpu))
        .sum()
        .backward();
      const w0 = Array.from(params[0].dataSync());
      seq.to('webgpu');
      expect(seq.parameters()).toEqual(params);
      expect(params.every((p) => p.device === 'webgpu' && p.grad!.device === 'webgpu')).toBe(true);
      expect(seq.buffers().every((b) => b.device === 'webgpu')).toBe(true);
      expect(Array.from(await params[0].data())).toEqual(w0);
      opt.step();
      const g = Array.from(await params[0].grad!.data());
      await expectClose(
        params[0],
        w0.map((w, i) => w - 0.1 * g[i]),
        TOL,
        'sgd step on the moved parameter',
      );
      expect(() => seq.to('cpu')).toThrow(/await model.toAsync\('cpu'\)/);
      await seq.toAsync('cpu');
      expect(seq.parameters().every((p) => p.device === 'cpu')).toBe(true);
      expect(seq.getBuffer('1.num_batches_tracked').dataSync()[0]).toBe(1);
    },
  );

  it('loading cpu tensors into a webgpu model copies them over (synchronously)', async () => {
    const devs = torch.isAvailable('webgpu') ? ['webgpu' as const] : ['cpu' as const];
    for (const device of devs) {
      const lin = new nn.Linear(5, 3, { device });
      lin.loadStateDict(sdOf('linear'));
      expect(lin.weight.device).toBe(device);
      await expectClose(lin.weight, T('linear.sd.weight'), { rtol: 0, atol: 0 }, 'weight');
    }
  });
});
