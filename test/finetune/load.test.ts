// loadPretrained: the seed's partial load (TextCNN → TextCNNRegressionClass, checked against what
// PyTorch loaded), a 1000-class head into a 2-class one, renaming, filtering, strictness, and
// atomicity (a load that throws changes nothing).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eachDevice, fixture, fixturesDir, torch } from '../harness.js';
import { bitwiseEqual, snapshot, TinyResNet } from './helpers.js';

const { finetune: ft, models } = torch;

describe("the seed's second case: TextCNN weights into TextCNNRegressionClass", () => {
  eachDevice((device) => {
    it('loads the shared trunk; the report lists exactly the four kinds of keys', async () => {
      const src = fixture('models/textcnn');
      const loadedByPyTorch = fixture('models/textcnn_regcls').metadata.loaded.split(',');
      torch.manualSeed(0);
      const model = new models.TextCNNRegressionClass({
        vocabSize: 50,
        numClasses: 4,
        embedDim: 16,
        kernelSizes: [2, 3, 4],
        numFilters: 8,
      });
      await model.toAsync(device);
      const before = await snapshot(model);
      // the fixture stores the weights as `param.<key>` next to inputs and gradients: keep only those
      const report = await ft.loadPretrained(model, join(fixturesDir, 'models/textcnn.safetensors'), {
        rename: (k) => (k.startsWith('param.') ? k.slice('param.'.length) : null),
      });
      const trunk = [
        'embedding.weight',
        'convs.0.weight',
        'convs.0.bias',
        'convs.1.weight',
        'convs.1.bias',
        'convs.2.weight',
        'convs.2.bias',
      ];
      expect(report.loaded).toEqual(trunk);
      expect(report.loaded).toEqual(loadedByPyTorch);
      expect(report.missing).toEqual(['classifier.weight', 'classifier.bias', 'regressor.weight', 'regressor.bias']);
      expect(report.unexpected).toEqual(['fc.bias', 'fc.weight']); // in checkpoint order (safetensors sorts keys)
      expect(report.mismatched).toEqual([]);
      expect(report.ignored).toEqual(Object.keys(src.tensors).filter((k) => !k.startsWith('param.')));
      const after = await snapshot(model);
      for (const k of trunk) expect(bitwiseEqual(after.get(k)!, src.tensors[`param.${k}`].dataSync()), k).toBe(true);
      for (const k of report.missing) expect(bitwiseEqual(after.get(k)!, before.get(k)!), k).toBe(true);
      expect(String(report)).toBe(
        [
          'loaded 7 of 11 model tensors, 4 missing, 2 unexpected in the checkpoint, 12 ignored by rename/filter',
          '              key                checkpoint  model',
          '  ----------  -----------------  ----------  -----',
          '  missing     classifier.weight  -',
          '  missing     classifier.bias    -',
          '  missing     regressor.weight   -',
          '  missing     regressor.bias     -',
          '  unexpected  fc.bias                        -',
          '  unexpected  fc.weight                      -',
        ].join('\n'),
      );
    });
  });
});

describe('loadPretrained', () => {
  eachDevice((device) => {
    it('a 1000-class head into a 2-class model: head skipped and reported with both shapes, the rest loaded', async () => {
      torch.manualSeed(1);
      const pretrained = new TinyResNet(1000, 'cpu');
      const sd = pretrained.stateDict();
      const model = new TinyResNet(2, device);
      const fcBefore = await model.getParameter('fc.weight').data();
      const report = await ft.loadPretrained(model, sd);
      expect(report.mismatched).toEqual([
        { key: 'fc.weight', expected: [2, 4], got: [1000, 4] },
        { key: 'fc.bias', expected: [2], got: [1000] },
      ]);
      expect(report.missing).toEqual([]);
      expect(report.unexpected).toEqual([]);
      expect(report.loaded).toEqual(Object.keys(sd).filter((k) => !k.startsWith('fc.')));
      const lines = String(report).split('\n');
      expect(lines[0]).toBe(
        `loaded ${report.loaded.length} of ${report.loaded.length + 2} model tensors, 2 shape-mismatched (skipped)`,
      );
      expect(lines[3]).toMatch(/^ {2}mismatched\s+fc\.weight\s+\[1000, 4\]\s+\[2, 4\]$/);
      expect(lines[4]).toMatch(/^ {2}mismatched\s+fc\.bias\s+\[1000\]\s+\[2\]$/);
      const after = await snapshot(model);
      for (const k of report.loaded) expect(bitwiseEqual(after.get(k)!, sd[k].dataSync()), k).toBe(true);
      expect(bitwiseEqual(after.get('fc.weight')!, fcBefore)).toBe(true);
      // the caller's tensors are not disposed
      expect(Object.values(sd).some((t) => t.isDisposed)).toBe(false);
    });
  });

  it("renames with a prefix map (DataParallel's module.), reads files and bytes, and filters", async () => {
    torch.manualSeed(2);
    const src = new TinyResNet(3, 'cpu');
    const wrapped: Record<string, torch.Tensor> = {};
    for (const [k, v] of Object.entries(src.stateDict())) wrapped[`module.${k}`] = v;
    const dir = mkdtempSync(join(tmpdir(), 'ft-load-'));
    const path = join(dir, 'dp.safetensors');
    await torch.save(wrapped, path);
    const model = new TinyResNet(3, 'cpu');
    const r1 = await ft.loadPretrained(model, path, { rename: { 'module.': '' }, strict: true });
    expect(r1.ok).toBe(true);
    expect(r1.loaded.length).toBe(Object.keys(wrapped).length);
    expect(
      bitwiseEqual(
        model.getParameter('layer2.1.conv2.weight').dataSync(),
        src.getParameter('layer2.1.conv2.weight').dataSync(),
      ),
    ).toBe(true);

    // .pth bytes, with a filter keeping only the backbone
    const pth = join(dir, 'w.pth');
    await torch.save(src.stateDict(), pth);
    const bytes = new Uint8Array((await import('node:fs')).readFileSync(pth));
    const m2 = new TinyResNet(3, 'cpu');
    const r2 = await ft.loadPretrained(m2, bytes, { filter: (k) => !k.startsWith('fc.') });
    expect(r2.missing).toEqual(['fc.weight', 'fc.bias']);
    expect(r2.ignored).toEqual(['fc.weight', 'fc.bias']);

    // a .pth training checkpoint nests the state dict
    const ckpt = join(dir, 'ckpt.pth');
    await torch.save({ epoch: 3, state_dict: src.stateDict() }, ckpt);
    const r3 = await ft.loadPretrained(new TinyResNet(3, 'cpu'), ckpt, { strict: true });
    expect(r3.loaded.length).toBe(Object.keys(wrapped).length);
  });

  it('anything that throws leaves the model unchanged', async () => {
    torch.manualSeed(3);
    const big = new TinyResNet(10, 'cpu');
    const model = new TinyResNet(2, 'cpu');
    const before = await snapshot(model);
    const unchanged = async () => {
      const now = await snapshot(model);
      for (const [k, v] of before) expect(bitwiseEqual(now.get(k)!, v), k).toBe(true);
    };
    await expect(ft.loadPretrained(model, big.stateDict(), { skipMismatched: false })).rejects.toThrow(
      /shape mismatch.*fc\.weight checkpoint \[10, 4\] vs model \[2, 4\]/,
    );
    await unchanged();
    const partial = Object.fromEntries(Object.entries(big.stateDict()).filter(([k]) => !k.startsWith('layer2.')));
    await expect(ft.loadPretrained(model, partial, { strict: true })).rejects.toThrow(torch.CheckpointError);
    await unchanged();
    await expect(
      ft.loadPretrained(model, big.stateDict(), { rename: (k) => (k.startsWith('fc.') ? 'fc.weight' : k) }),
    ).rejects.toThrow(/'fc\.weight' and 'fc\.bias' both rename to 'fc\.weight'/);
    await unchanged();
    const bad = { ...big.stateDict(), 'conv1.weight': 5 } as unknown as Record<string, torch.Tensor>;
    await expect(ft.loadPretrained(model, bad)).rejects.toThrow(/'conv1\.weight' is number, not a Tensor/);
    await unchanged();
    await expect(ft.loadPretrained(model, '/nonexistent/w.safetensors')).rejects.toThrow(
      /cannot read '\/nonexistent\/w\.safetensors': no such file/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'ft-load-'));
    writeFileSync(join(dir, 'junk.bin'), 'hello world, not a checkpoint');
    await expect(ft.loadPretrained(model, join(dir, 'junk.bin'))).rejects.toThrow(torch.CheckpointError);
    await unchanged();
  });
});
