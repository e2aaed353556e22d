// Optimizers against PyTorch 1.13 (tools/reference/optim.py): same initial weights, same per-step
// gradients (set as `.grad`), 20 steps, same parameters — on every device.
import { describe, expect, it } from 'vitest';
import { eachDevice, expectClose, fixture, onDevice, TOL, torch, type Device } from '../harness.js';

const { optim } = torch;
type Tensor = torch.Tensor;
interface Config {
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop';
  options: Record<string, unknown>;
  groups: ({ params: string[] } & Record<string, unknown>)[] | null;
  skip: Record<string, number[]>;
}

const fx = fixture('optim/optimizers');
const configs = JSON.parse(fx.metadata.configs) as Record<string, Config>;
const names = JSON.parse(fx.metadata.names) as string[];
const STEPS = Number(fx.metadata.steps);

/** a fixture tensor copied onto `device` (never sharing the fixture's storage: steps write in place) */
function load(key: string, device: Device, requiresGrad = false): Tensor {
  return onDevice(fx.tensors[key].clone(), device, requiresGrad);
}
function initParams(device: Device): Record<string, Tensor> {
  return Object.fromEntries(names.map((n) => [n, load(`init.${n}`, device, true)]));
}
function make(cfg: Config, params: Record<string, Tensor>): torch.optim.Optimizer {
  const Cls = { SGD: optim.SGD, Adam: optim.Adam, AdamW: optim.AdamW, RMSprop: optim.RMSprop }[cfg.optimizer];
  const arg = cfg.groups
    ? cfg.groups.map(({ params: ps, ...rest }) => ({ ...rest, params: ps.map((n) => params[n]) }))
    : names.map((n) => params[n]);
  return new Cls(arg as never, cfg.options as never);
}
/** steps [from, to) of the fixture's gradient sequence */
function run(
  opt: torch.optim.Optimizer,
  cfg: Config,
  params: Record<string, Tensor>,
  device: Device,
  from: number,
  to: number,
) {
  for (let s = from; s < to; s++) {
    opt.zeroGrad();
    for (const n of names) if (!(cfg.skip[n] ?? []).includes(s)) params[n].grad = load(`grad.${s}.${n}`, device);
    opt.step();
  }
}
async function expectFinal(name: string, params: Record<string, Tensor>) {
  for (const n of names) await expectClose(params[n], fx.tensors[`final.${name}.${n}`], TOL, `${name}.${n}`);
}

eachDevice((device) => {
  describe('matches PyTorch over 20 steps', () => {
    for (const [name, cfg] of Object.entries(configs)) {
      it(name, async () => {
        const params = initParams(device);
        const opt = make(cfg, params);
        run(opt, cfg, params, device, 0, STEPS);
        await expectFinal(name, params);
      });
    }
  });

  describe('stateDict round trip: 10 steps, save, load into a fresh optimizer, 10 more = 20 straight', () => {
    for (const name of ['sgd_nesterov', 'sgd_groups', 'adam_amsgrad', 'adam_skip', 'adamw_wd_amsgrad', 'rmsprop_all']) {
      it(name, async () => {
        const cfg = configs[name];
        const params = initParams(device);
        const opt = make(cfg, params);
        run(opt, cfg, params, device, 0, STEPS / 2);
        const sd = opt.stateDict();
        // fresh parameters holding the step-10 values, and a fresh optimizer over them
        const fresh = Object.fromEntries(names.map((n) => [n, params[n].detach().clone().requiresGrad_(true)]));
        const opt2 = make(cfg, fresh);
        opt2.loadStateDict(sd);
        // the old optimizer keeps going on its own state: the loaded one must not share it
        run(opt, cfg, params, device, STEPS / 2, STEPS);
        run(opt2, cfg, fresh, device, STEPS / 2, STEPS);
        await expectFinal(name, fresh);
        await expectFinal(name, params);
      });
    }
  });

  it('stateDict has PyTorch 1.13 layout (index-keyed state, snake_case group fields)', async () => {
    const cfg = configs.adam_groups;
    const params = initParams(device);
    const opt = make(cfg, params);
    run(opt, cfg, params, device, 0, 3);
    const sd = opt.stateDict();
    expect(sd.param_groups.map((g) => g.params)).toEqual([[0, 1], [2]]);
    expect(sd.param_groups[0]).toMatchObject({
      lr: 0.03,
      amsgrad: true,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weight_decay: 0,
      maximize: false,
    });
    expect(sd.param_groups[1]).toMatchObject({ lr: 0.01, amsgrad: false, betas: [0.5, 0.9] });
    expect(Object.keys(sd.state).map(Number).sort()).toEqual([0, 1, 2]);
    expect(Object.keys(sd.state[0])).toEqual(['step', 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']);
    expect(Object.keys(sd.state[2])).toEqual(['step', 'exp_avg', 'exp_avg_sq']);
    const step = sd.state[0].step as Tensor;
    expect(step.shape).toEqual([]);
    expect(await step.item()).toBe(3);
    expect((sd.state[1].exp_avg as Tensor).shape).toEqual(params.c.shape);

    const sgd = new optim.SGD([params.w], { lr: 0.1 });
    params.w.grad = load('grad.0.w', device);
    sgd.step();
    // PyTorch 1.13 records momentum_buffer = None when momentum is 0
    expect(sgd.stateDict().state).toEqual({ 0: { momentum_buffer: null } });
    expect(sgd.stateDict().param_groups[0]).toEqual({
      lr: 0.1,
      momentum: 0,
      dampening: 0,
      weight_decay: 0,
      nesterov: false,
      maximize: false,
      foreach: null,
      differentiable: false,
      params: [0],
    });
  });

  it('a frozen parameter (grad null) stays bitwise identical and gets no state', async () => {
    const w = load('init.w', device, true);
    const frozen = load('init.b', device, false);
    const before = Array.from(await frozen.data());
    for (const opt of [
      new optim.AdamW([w, frozen], { lr: 0.1, weightDecay: 0.5 }),
      new optim.SGD([w, frozen], { lr: 0.1, momentum: 0.9, weightDecay: 0.5 }),
      new optim.RMSprop([w, frozen], { weightDecay: 0.5, centered: true }),
    ]) {
      for (let s = 0; s < 3; s++) {
        w.grad = load(`grad.${s}.w`, device);
        opt.step();
      }
      expect(opt.state.has(frozen)).toBe(false);
      expect(opt.state.has(w)).toBe(true);
    }
    expect(Array.from(await frozen.data())).toEqual(before);
  });

  it('one fused dispatch per parameter with a gradient per step, in place', async () => {
    const params = initParams(device);
    params.c.requiresGrad = false;
    for (const opt of [
      new optim.SGD(Object.values(params), { lr: 0.1, momentum: 0.9, nesterov: true }),
      new optim.Adam(Object.values(params), { amsgrad: true }),
      new optim.RMSprop(Object.values(params), { momentum: 0.5, centered: true }),
    ]) {
      const storages = names.map((n) => params[n].storage);
      params.w.grad = load('grad.0.w', device);
      params.b.grad = load('grad.0.b', device);
      opt.step(); // the first step also creates (zero-fills) the state
      const backend = params.w.backend;
      const before = backend.dispatches,
        gpuBefore = torch.webgpu.dispatchCount();
      opt.step();
      expect(backend.dispatches - before).toBe(2);
      if (device === 'webgpu') expect(torch.webgpu.dispatchCount() - gpuBefore).toBe(2);
      expect(names.map((n) => params[n].storage)).toEqual(storages);
    }
  });

  it('state survives a torch.scope around the training step, and memory stays flat', async () => {
    const cfg = configs.rmsprop_all;
    const params = initParams(device);
    const opt = make(cfg, params);
    const stepIn = (s: number) =>
      torch.scope(() => {
        opt.zeroGrad();
        for (const n of names) params[n].grad = load(`grad.${s}.${n}`, device);
        opt.step();
      });
    stepIn(0);
    stepIn(1);
    const live = torch.memory()[device].liveTensors;
    for (let s = 2; s < STEPS; s++) stepIn(s);
    expect(torch.memory()[device].liveTensors).toBe(live);
    await expectFinal('rmsprop_all', params);
  });

  it('non-contiguous gradients are used through a dense copy', async () => {
    const cfg = configs.sgd_momentum;
    const params = initParams(device);
    const opt = make(cfg, params);
    for (let s = 0; s < STEPS; s++) {
      opt.zeroGrad();
      // w's gradient arrives transposed twice: same values, non-contiguous strides
      params.w.grad = load(`grad.${s}.w`, device).t().contiguous().t();
      params.b.grad = load(`grad.${s}.b`, device);
      params.c.grad = load(`grad.${s}.c`, device);
      expect(params.w.grad.isContiguous()).toBe(false);
      opt.step();
    }
    await expectFinal('sgd_momentum', params);
  });

  it('zeroGrad drops gradients or zeroes them in place', async () => {
    const w = load('init.w', device, true);
    const opt = new optim.SGD([w], { lr: 0.1 });
    w.grad = load('grad.0.w', device);
    const g = w.grad;
    opt.zeroGrad({ setToNone: false });
    expect(w.grad).toBe(g);
    expect(Array.from(await g.data()).every((x) => x === 0)).toBe(true);
    opt.zeroGrad();
    expect(w.grad).toBeNull();
  });

  it('a parameter view at an offset is refused with a clear error', () => {
    const base = torch.zeros([10], { device });
    const view = base.narrow(0, 2, 4).detach().requiresGrad_(true);
    const opt = new optim.SGD([view], { lr: 0.1 });
    view.grad = torch.ones([4], { device });
    expect(() => opt.step()).toThrow(/contiguous at offset 0.*offset 2/);
    const p = torch.zeros([3], { device, requiresGrad: true });
    const opt2 = new optim.Adam([p]);
    p.grad = torch.ones([4], { device });
    expect(() => opt2.step()).toThrow(torch.ShapeError);
  });
});

describe('construction errors, as PyTorch', () => {
  const p = () => torch.zeros([2], { device: 'cpu', requiresGrad: true });
  it('empty list, duplicates, non-leaf, bad options', () => {
    expect(() => new optim.SGD([], { lr: 0.1 })).toThrow('optimizer got an empty parameter list');
    const a = p(),
      b = p();
    expect(() => new optim.SGD([a, b, a], { lr: 0.1 })).toThrow(/duplicate parameters/);
    expect(() => new optim.Adam([{ params: [a] }, { params: [b, a] }])).toThrow(
      'some parameters appear in more than one parameter group',
    );
    const opt = new optim.Adam([a]);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow('some parameters appear in more than one parameter group');
    expect(() => new optim.SGD([a.mul(2)], { lr: 0.1 })).toThrow(/non-leaf/);
    expect(() => new optim.SGD([a])).toThrow(/required optimization parameter lr/);
    expect(() => new optim.SGD([a], { lr: 0.1, nesterov: true })).toThrow(
      'Nesterov momentum requires a momentum and zero dampening',
    );
    expect(() => new optim.Adam([a], { betas: [1, 0.9] })).toThrow('Invalid beta parameter at index 0: 1');
    expect(() => new optim.RMSprop([a], { lr: -1 })).toThrow('Invalid learning rate: -1');
    expect(() => new optim.SGD(a as never, { lr: 0.1 })).toThrow(/iterable of Tensors/);
  });
  it('group defaults come from the constructor; addParamGroup fills them too', () => {
    const a = p(),
      b = p(),
      c = p();
    const opt = new optim.SGD([{ params: [a], lr: 0.5 }, { params: [b] }], { lr: 0.1, momentum: 0.9 });
    expect(opt.paramGroups.map((g) => [g.lr, g.momentum])).toEqual([
      [0.5, 0.9],
      [0.1, 0.9],
    ]);
    opt.addParamGroup({ params: c, weightDecay: 0.01 });
    expect(opt.paramGroups[2]).toMatchObject({ lr: 0.1, momentum: 0.9, weightDecay: 0.01, params: [c] });
    expect(new optim.AdamW([a]).paramGroups[0].weightDecay).toBe(0.01);
  });
  it('loadStateDict checks groups and shapes before changing anything', () => {
    const a = p(),
      b = torch.zeros([3], { device: 'cpu', requiresGrad: true });
    const src = new optim.Adam([a, b]);
    a.grad = torch.ones([2], { device: 'cpu' });
    b.grad = torch.ones([3], { device: 'cpu' });
    src.step();
    const sd = src.stateDict();
    expect(() => new optim.Adam([{ params: [a] }, { params: [b] }]).loadStateDict(sd)).toThrow(torch.CheckpointError);
    expect(() => new optim.Adam([a]).loadStateDict(sd)).toThrow(/doesn't match the size/);
    const swapped = new optim.Adam([b, a], { lr: 0.5 });
    expect(() => swapped.loadStateDict(sd)).toThrow(/shape \[2\] does not match .* \[3\]/);
    expect(swapped.state.size).toBe(0);
    expect(swapped.paramGroups[0].lr).toBe(0.5);
  });
});

describe("param groups carry PyTorch 1.13's keys, so state dicts load in torch.optim", () => {
  // torch/optim/{sgd,adam,adamw,rmsprop}.py 1.13: each class's `defaults` (the live round trip in
  // torch-roundtrip.test.ts checks SGD and Adam against torch itself)
  const keys: [string, () => torch.optim.Optimizer, string[]][] = [
    [
      'SGD',
      () => new optim.SGD([torch.zeros([1], { device: 'cpu', requiresGrad: true })], { lr: 0.1 }),
      ['lr', 'momentum', 'dampening', 'weight_decay', 'nesterov', 'maximize', 'foreach', 'differentiable'],
    ],
    [
      'Adam',
      () => new optim.Adam([torch.zeros([1], { device: 'cpu', requiresGrad: true })]),
      ['lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'maximize', 'foreach', 'capturable', 'differentiable', 'fused'],
    ],
    [
      'AdamW',
      () => new optim.AdamW([torch.zeros([1], { device: 'cpu', requiresGrad: true })]),
      ['lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'foreach', 'maximize', 'capturable'],
    ],
    [
      'RMSprop',
      () => new optim.RMSprop([torch.zeros([1], { device: 'cpu', requiresGrad: true })]),
      ['lr', 'momentum', 'alpha', 'eps', 'centered', 'weight_decay', 'foreach', 'maximize', 'differentiable'],
    ],
  ];
  for (const [name, make, expected] of keys) {
    it(name, () => {
      const g = make().stateDict().param_groups[0];
      expect(
        Object.keys(g)
          .filter((k) => k !== 'params')
          .sort(),
      ).toEqual([...expected].sort());
      expect(g).toMatchObject({ foreach: null });
    });
  }
  it('the implementation switches are recorded, differentiable steps refused', () => {
    const p = torch.zeros([1], { device: 'cpu', requiresGrad: true });
    expect(new optim.Adam([p], { foreach: true, fused: true }).stateDict().param_groups[0]).toMatchObject({
      foreach: true,
      fused: true,
      capturable: false,
    });
    expect(() => new optim.SGD([p], { lr: 0.1, differentiable: true })).toThrow(/differentiable=true is not supported/);
  });
});
