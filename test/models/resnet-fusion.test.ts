// ResNet's eval BatchNorm + ReLU fusion (src/models/resnet.ts): where it applies the forward costs
// fewer kernel passes and gives the unfused values and gradients; where it must not apply (training,
// hooks, a subclass, FINETORCH_FUSE_BN_RELU=0) the modules run as written. A small ResNet (one block
// per stage, 16×16 inputs) keeps this fast; the live torchvision parity is in models.test.ts.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BasicBlock, Bottleneck, ResNet } from '../../src/models/resnet.js';
import { eachDevice, expectClose, LOOSE, TOL, torch, type Device } from '../harness.js';

const { nn } = torch;
type T = torch.Tensor;
const ENV = 'FINETORCH_FUSE_BN_RELU';

/** `fn` with the fusion on or off (the flag is read at each call) */
function withFusion<R>(on: boolean, fn: () => R): R {
  const prev = process.env[ENV];
  if (on) delete process.env[ENV];
  else process.env[ENV] = '0';
  try {
    return fn();
  } finally {
    if (prev === undefined) delete process.env[ENV];
    else process.env[ENV] = prev;
  }
}

/** random running statistics and affine parameters, so the fused pass has something to get wrong */
function randomizeBatchNorms(m: torch.nn.Module) {
  torch.noGrad(() => {
    for (const bn of m.modules()) {
      if (!(bn instanceof nn.BatchNorm2d)) continue;
      const c = bn.numFeatures;
      bn.running_mean!.copy_(torch.randn([c]).mul(0.2));
      bn.running_var!.copy_(torch.rand([c]).add(0.5));
      bn.weight!.copy_(torch.rand([c]).add(0.5));
      bn.bias!.copy_(torch.randn([c]).mul(0.3));
    }
  });
}

function forward(m: torch.nn.Module, x: T, fused: boolean): { y: T; dispatches: number } {
  const be = x.backend,
    before = be.dispatches;
  const y = withFusion(fused, () => m.call(x) as T);
  return { y, dispatches: be.dispatches - before };
}

/** parameter and input gradients of Σ y·u */
function grads(m: torch.nn.Module, x0: T, u: T, fused: boolean): Map<string, T> {
  m.zeroGrad();
  const x = x0.detach().requiresGrad_();
  forward(m, x, fused).y.mul(u).sum().backward();
  const out = new Map<string, T>([['input', x.grad!]]);
  for (const [k, p] of m.namedParameters()) out.set(k, p.grad!.clone());
  return out;
}

eachDevice((device: Device) => {
  const initial = torch.defaultDevice();
  beforeEach(() => {
    torch.setDefaultDevice(device);
    torch.manualSeed(1);
  });
  afterEach(() => torch.setDefaultDevice(initial));

  const small = () => {
    const m = new ResNet(BasicBlock, [1, 1, 1, 1], { numClasses: 5 });
    randomizeBatchNorms(m);
    return m.eval();
  };

  it('eval: 13 fewer kernel passes (stem, and per block bn1 → relu and bn2 → + identity → relu), same logits and gradients', async () => {
    const m = small();
    const x = torch.randn([2, 3, 16, 16]);
    const fused = forward(m, x, true),
      plain = forward(m, x, false);
    // stem: 1 saved; each of the 4 blocks: relu after bn1 (1) and the add and relu after bn2 (2)
    expect(plain.dispatches - fused.dispatches).toBe(1 + 4 * 3);
    await expectClose(fused.y, plain.y, TOL, 'logits');
    const u = torch.randn([2, 5]);
    const gf = grads(m, x, u, true),
      gp = grads(m, x, u, false);
    for (const [k, g] of gp) await expectClose(gf.get(k)!, g, LOOSE, `grad ${k}`);
  });

  it('a Bottleneck block with a downsample: the three fusions give the unfused values and gradients', async () => {
    const ds = new nn.Sequential(new nn.Conv2d(8, 16, 1, { stride: 2, bias: false }), new nn.BatchNorm2d(16));
    const block = new Bottleneck(8, 4, 2, ds);
    randomizeBatchNorms(block);
    block.eval();
    const x = torch.randn([2, 8, 6, 6]);
    const fused = forward(block, x, true),
      plain = forward(block, x, false);
    expect(plain.dispatches - fused.dispatches).toBe(4); // relu, relu, add + relu
    await expectClose(fused.y, plain.y, TOL, 'output');
    const u = torch.randn(fused.y.shape);
    const gf = grads(block, x, u, true),
      gp = grads(block, x, u, false);
    for (const [k, g] of gp) await expectClose(gf.get(k)!, g, LOOSE, `grad ${k}`);
  });

  it('training mode is not fused; a BatchNorm frozen in eval inside a training model is', () => {
    const m = small().train();
    const x = torch.randn([2, 3, 16, 16]);
    expect(forward(m, x, true).dispatches).toBe(forward(m, x, false).dispatches);
    torch.finetune.freeze(m);
    m.train();
    expect(m.bn1.training).toBe(false);
    const plain = forward(m, x, false).dispatches;
    expect(plain - forward(m, x, true).dispatches).toBe(13);
  });

  it('hooks still see the BatchNorm output and every ReLU call: those pairs run unfused', async () => {
    const m = small();
    const x = torch.randn([2, 3, 16, 16]);
    const want = forward(m, x, false);
    const fusedAll = forward(m, x, true).dispatches;
    const block = m.layer1.get(0) as BasicBlock;
    let bnOut: T | null = null;
    const h1 = block.bn1.registerForwardHook((_mod, _args, out) => {
      bnOut = out as T;
    });
    const withBnHook = forward(m, x, true);
    expect(bnOut).not.toBeNull();
    expect(await bnOut!.min().item()).toBeLessThan(0); // before the relu
    expect(withBnHook.dispatches - want.dispatches).toBe(-12); // only that pair unfused
    await expectClose(withBnHook.y, want.y, TOL, 'logits with a bn hook');
    h1.remove();
    let reluCalls = 0;
    const h2 = block.relu.registerForwardPreHook(() => {
      reluCalls++;
    });
    const withReluHook = forward(m, x, true);
    expect(reluCalls).toBe(2);
    expect(withReluHook.dispatches - fusedAll).toBe(3); // that block's two pairs unfused
    h2.remove();
  });

  it('a BatchNorm2d subclass or a replaced forward runs its own code', async () => {
    class Shifted extends nn.BatchNorm2d {
      override forward(x: T): T {
        return super.forward(x).add(1);
      }
    }
    const m = small();
    const x = torch.randn([2, 3, 16, 16]);
    const bn = new Shifted(64);
    bn.loadStateDict(m.bn1.stateDict());
    m.bn1 = bn.eval();
    const want = forward(m, x, false).y;
    await expectClose(forward(m, x, true).y, want, TOL, 'subclass');
    const orig = (m.layer1.get(0) as BasicBlock).bn1;
    orig.forward = (t: T) => nn.BatchNorm2d.prototype.forward.call(orig, t).mul(0);
    const zeroed = forward(m, x, false).y;
    await expectClose(forward(m, x, true).y, zeroed, TOL, 'replaced forward');
  });
});
