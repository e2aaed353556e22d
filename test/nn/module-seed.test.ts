// The seed's fine-tuning steps, verbatim, on a toy torchvision-style ResNet whose PyTorch twin
// (tools/reference/nn_module.py: MiniResNet) produced the fixture: replace the head, freeze all,
// unfreeze the head, print each child and its parameters' requiresGrad, optimise the trainable
// parameters only. Frozen parameters get no gradient at all.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { eachDevice, expectClose, fixture, LOOSE, onDevice } from '../harness.js';

const { nn, optim } = torch;
type Device = torch.Device;
const fx = fixture('nn_module/seed');

class BasicBlock extends nn.Module {
  conv1: torch.nn.Conv2d;
  bn1: torch.nn.BatchNorm2d;
  relu: torch.nn.ReLU;
  conv2: torch.nn.Conv2d;
  bn2: torch.nn.BatchNorm2d;
  downsample: torch.nn.Module | null;
  stride: number;
  constructor(inp: number, out: number, stride = 1, downsample: torch.nn.Module | null = null) {
    super();
    this.conv1 = new nn.Conv2d(inp, out, 3, { stride, padding: 1, bias: false, device: 'cpu' });
    this.bn1 = new nn.BatchNorm2d(out, { device: 'cpu' });
    this.relu = new nn.ReLU({ inplace: true });
    this.conv2 = new nn.Conv2d(out, out, 3, { padding: 1, bias: false, device: 'cpu' });
    this.bn2 = new nn.BatchNorm2d(out, { device: 'cpu' });
    this.downsample = downsample;
    this.stride = stride;
  }
  override forward(x: torch.Tensor): torch.Tensor {
    const idt = this.downsample ? (this.downsample.call(x) as torch.Tensor) : x;
    const out = this.relu.call(this.bn1.call(this.conv1.call(x)));
    return this.relu.call(this.bn2.call(this.conv2.call(out)).add(idt));
  }
}

class MiniResNet extends nn.Module {
  conv1 = new nn.Conv2d(3, 8, 7, { stride: 2, padding: 3, bias: false, device: 'cpu' });
  bn1 = new nn.BatchNorm2d(8, { device: 'cpu' });
  relu = new nn.ReLU({ inplace: true });
  maxpool = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
  layer1 = new nn.Sequential(new BasicBlock(8, 8), new BasicBlock(8, 8));
  layer2 = new nn.Sequential(
    new BasicBlock(
      8,
      16,
      2,
      new nn.Sequential(
        new nn.Conv2d(8, 16, 1, { stride: 2, bias: false, device: 'cpu' }),
        new nn.BatchNorm2d(16, { device: 'cpu' }),
      ),
    ),
    new BasicBlock(16, 16),
  );
  avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
  fc = new nn.Linear(16, 10, { device: 'cpu' });
  override forward(x: torch.Tensor): torch.Tensor {
    const h = this.maxpool.call(this.relu.call(this.bn1.call(this.conv1.call(x))));
    return this.fc.call(this.avgpool.call(this.layer2.call(this.layer1.call(h))).flatten(1));
  }
}

/** the seed, steps 2-4, verbatim; returns what step 4 prints */
function seedSteps(resnet: MiniResNet): string[] {
  resnet.fc = new nn.Linear(16, 2, { device: 'cpu' });
  for (const p of resnet.parameters()) p.requiresGrad = false;
  for (const p of resnet.fc.parameters()) p.requiresGrad = true;
  const printed: string[] = [];
  for (const child of resnet.children()) {
    printed.push(String(child));
    for (const p of child.parameters()) printed.push(p.requiresGrad ? 'True' : 'False'); // Python prints booleans capitalised
  }
  return printed;
}

function pytorchWeights(): Record<string, torch.Tensor> {
  const sd: Record<string, torch.Tensor> = {};
  for (const [k, v] of Object.entries(fx.tensors)) if (k.startsWith('sd.')) sd[k.slice(3)] = v;
  return sd;
}

describe('the seed workflow', () => {
  it('step 4 prints what PyTorch prints', () => {
    expect(seedSteps(new MiniResNet()).join('\n')).toBe(fx.metadata.printed);
  });
  it('the trainable set is the head only', () => {
    const resnet = new MiniResNet();
    seedSteps(resnet);
    expect(
      resnet
        .namedParameters()
        .filter(([, p]) => p.requiresGrad)
        .map(([k]) => k),
    ).toEqual(JSON.parse(fx.metadata.trainable));
  });
});

eachDevice((device: Device) => {
  it("one step: frozen parameters get grad null, the head gets PyTorch's gradient, SGD moves only the head", async () => {
    const resnet = new MiniResNet();
    seedSteps(resnet);
    resnet.loadStateDict(pytorchWeights());
    resnet.to(device);
    const optimizer = new optim.SGD(
      resnet.parameters().filter((p) => p.requiresGrad),
      { lr: 1e-3 },
    );
    const frozenBefore = await resnet.getParameter('layer1.0.conv1.weight').data();
    const logits = resnet.call(onDevice(fx.tensors.x, device));
    await expectClose(logits, fx.tensors.logits, LOOSE, 'logits');
    nn.functional.crossEntropy(logits, onDevice(fx.tensors.target, device)).backward();
    const noGrad = resnet
      .namedParameters()
      .filter(([, p]) => p.grad === null)
      .map(([k]) => k);
    expect(noGrad).toEqual(JSON.parse(fx.metadata.grad_none));
    await expectClose(resnet.fc.weight.grad!, fx.tensors['grad.fc.weight'], LOOSE, 'fc.weight grad');
    await expectClose(resnet.fc.bias!.grad!, fx.tensors['grad.fc.bias'], LOOSE, 'fc.bias grad');
    const w = await resnet.fc.weight.data(),
      g = await resnet.fc.weight.grad!.data();
    optimizer.step();
    await expectClose(
      resnet.fc.weight,
      Array.from(w, (v, i) => v - 1e-3 * g[i]),
      LOOSE,
      'fc.weight after step',
    );
    expect(await resnet.getParameter('layer1.0.conv1.weight').data()).toEqual(frozenBefore);
  });
});
