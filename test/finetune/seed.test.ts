// The seed's first case end to end on torchvision's ResNet-18 (16×16 input, to stay fast): load pretrained weights,
// replace `fc` with a 2-class head, freeze everything but `fc`, look at the table, train with an
// optimizer over the trainable parameters — then check that every frozen parameter and every
// BatchNorm statistic is bitwise unchanged, `fc` moved, and no weight-gradient kernel ran for a
// frozen layer.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { eachDevice, torch } from '../harness.js';
import { bitwiseEqual, images, snapshot } from './helpers.js';

const { finetune: ft, models, optim, data } = torch;

let weights = '';
beforeAll(async () => {
  const prev = torch.defaultDevice();
  torch.setDefaultDevice('cpu');
  try {
    torch.manualSeed(0);
    const pretrained = models.resnet18();
    weights = join(mkdtempSync(join(tmpdir(), 'ft-seed-')), 'resnet18.safetensors');
    await torch.save(pretrained.stateDict(), weights);
    for (const p of pretrained.parameters()) p.dispose();
    for (const b of pretrained.buffers()) b.dispose();
  } finally {
    torch.setDefaultDevice(prev);
  }
});

const prevDevice = torch.defaultDevice();
afterAll(() => torch.setDefaultDevice(prevDevice));

eachDevice((device) => {
  it('resnet18: load → replace fc → freeze all but fc → train: only fc moves, no kernels for frozen weights', async () => {
    torch.setDefaultDevice(device);
    const model = models.resnet18();
    const report = await ft.loadPretrained(model, weights, { strict: true });
    expect(report.loaded.length).toBe(Object.keys(model.stateDict({ keepVars: true })).length);

    ft.replaceHead(model, 'fc', 2);
    ft.freeze(model);
    ft.unfreeze(model, 'fc');
    const table = ft.trainability(model);
    expect(table.trainable).toBe(512 * 2 + 2);
    expect(String(table)).toMatch(/^layer4\s+Sequential\s+8,393,728\s+0\s+frozen \(5 BatchNorm in eval\)$/m);
    expect(String(table)).toMatch(/^fc\s+Linear\s+1,026\s+1,026\s+trainable$/m);

    const optimizer = new optim.SGD(ft.trainableParameters(model), { lr: 0.5, momentum: 0.9 });
    const before = await snapshot(model);
    const backend = model.getParameter('fc.weight').backend;
    const gradW = vi.spyOn(backend, 'conv2dBackwardWeight');
    const gradX = vi.spyOn(backend, 'conv2dBackwardInput');
    const loader = new data.DataLoader(images(2, 16, 2, 1), { batchSize: 2, device }); // one step per epoch
    const history = await ft.fit(model, { train: loader, optimizer, epochs: 2, log: false });
    expect(history.epochs.length).toBe(2);
    expect(gradW).not.toHaveBeenCalled();
    expect(gradX).not.toHaveBeenCalled();

    const after = await snapshot(model);
    for (const [k, v] of before) {
      if (k.startsWith('fc.')) expect(bitwiseEqual(after.get(k)!, v), `${k} should have changed`).toBe(false);
      else expect(bitwiseEqual(after.get(k)!, v), `${k} changed`).toBe(true); // frozen weights and every BatchNorm buffer
    }
    expect(model.training).toBe(true);
    expect(model.getSubmodule('layer1.0.bn1').training).toBe(false);

    // the contrast: unfreeze layer4 and its 5 convolutions (4 + downsample) get weight gradients, nothing else does
    ft.unfreeze(model, 'layer4');
    optimizer.addParamGroup({ params: model.getSubmodule('layer4').parameters(), lr: 0.01 });
    gradW.mockClear();
    await ft.fit(model, { train: loader, optimizer, epochs: 1, log: false });
    expect(gradW).toHaveBeenCalledTimes(5); // 5 convs × 1 step
    gradW.mockRestore();
    gradX.mockRestore();
    const after2 = await snapshot(model);
    expect(bitwiseEqual(after2.get('layer3.1.conv2.weight')!, before.get('layer3.1.conv2.weight')!)).toBe(true);
    expect(bitwiseEqual(after2.get('layer4.1.bn2.running_mean')!, before.get('layer4.1.bn2.running_mean')!)).toBe(
      false,
    );
    expect(bitwiseEqual(after2.get('layer3.1.bn2.running_mean')!, before.get('layer3.1.bn2.running_mean')!)).toBe(true);
    for (const t of [...model.parameters(), ...model.buffers()]) t.dispose();
  });
});
