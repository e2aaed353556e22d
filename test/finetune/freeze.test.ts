// Patterns, freeze/unfreeze (with BatchNorm statistics), the trainability table, param groups and
// replaceHead, on a small ResNet-shaped model.
import { describe, expect, it } from 'vitest';
import { torch } from '../harness.js';
import { mlp, TinyResNet } from './helpers.js';

const { finetune: ft, nn } = torch;

describe('patterns (Python fnmatch semantics)', () => {
  // expectations checked against Python 3's fnmatch.fnmatchcase
  const cases: [string, string, boolean][] = [
    ['layer1.0.bn1.weight', '*.bn*', true],
    ['bn1.weight', '*.bn*', false],
    ['fc.weight', 'fc.*', true],
    ['fc', 'fc.*', false],
    ['layer4.1.conv2.weight', 'layer4.**', true],
    ['layer4.1.conv2.weight', 'layer4.*', true],
    ['layer1.0.conv1.weight', 'layer?.0.*', true],
    ['layer10.0.conv1.weight', 'layer?.0.*', false],
    ['layer1.0.conv1.weight', 'layer[12].*', true],
    ['layer3.0.conv1.weight', 'layer[!12].*', true],
    ['a.b', 'a?b', true],
    ['a[b', 'a[b', true],
    ['conv1.weight', '*conv*', true],
  ];
  it.each(cases)('fnmatch(%s, %s) = %s', (name, pat, want) => {
    expect(ft.fnmatch(name, pat)).toBe(want);
  });
  it('a module path selects everything under it, and only whole path segments', () => {
    expect(ft.selects('fc', 'fc.weight')).toBe(true);
    expect(ft.selects('layer1', 'layer1.0.conv1.weight')).toBe(true);
    expect(ft.selects('layer1.0', 'layer1.0.bn1.bias')).toBe(true);
    expect(ft.selects('layer1', 'layer10.0.conv1.weight')).toBe(false);
    expect(ft.selects('fc', 'fc2.weight')).toBe(false);
    expect(ft.selects('*.bn1', 'layer1.0.bn1.weight')).toBe(true);
  });
});

describe('freeze / unfreeze', () => {
  it('freeze() freezes everything and returns what changed; unfreeze by module path', () => {
    const m = new TinyResNet(3, 'cpu');
    const all = m.namedParameters().map(([n]) => n);
    expect(ft.freeze(m)).toEqual(all);
    expect(m.parameters().every((p) => !p.requiresGrad)).toBe(true);
    expect(ft.freeze(m)).toEqual([]); // nothing left to change
    expect(ft.unfreeze(m, 'fc')).toEqual(['fc.weight', 'fc.bias']);
    expect(ft.trainableParameters(m)).toEqual([m.getParameter('fc.weight'), m.getParameter('fc.bias')]);
  });

  it('globs cross dots; several patterns combine', () => {
    const m = new TinyResNet(3, 'cpu');
    const changed = ft.freeze(m, ['*.bn*', 'conv1']);
    // '*.bn*' needs a dot before bn, so the stem's bn1 is not matched; 'conv1' is a module path
    expect(changed).toEqual([
      'conv1.weight',
      'layer1.0.bn1.weight',
      'layer1.0.bn1.bias',
      'layer1.0.bn2.weight',
      'layer1.0.bn2.bias',
      'layer2.0.bn1.weight',
      'layer2.0.bn1.bias',
      'layer2.0.bn2.weight',
      'layer2.0.bn2.bias',
      'layer2.1.bn1.weight',
      'layer2.1.bn1.bias',
      'layer2.1.bn2.weight',
      'layer2.1.bn2.bias',
    ]);
    const frozen = m
      .namedParameters()
      .filter(([, p]) => !p.requiresGrad)
      .map(([n]) => n);
    expect(frozen).toEqual(changed);
    expect(ft.freeze(m, 'layer2.**')).toEqual([
      'layer2.0.conv1.weight',
      'layer2.0.conv2.weight',
      'layer2.1.conv1.weight',
      'layer2.1.conv2.weight',
    ]);
  });

  it('a pattern that matches nothing is an error and changes nothing', () => {
    const m = new TinyResNet(3, 'cpu');
    expect(() => ft.freeze(m, ['fc', 'layer9'])).toThrow(
      /pattern 'layer9' matches no parameter.*conv1, bn1, layer1, layer2, fc/,
    );
    expect(m.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(() => ft.unfreeze(m, 'fc.*.x')).toThrow(torch.ArgumentError);
    expect(() => ft.freeze(m, [])).toThrow(/empty list/);
  });

  it('frozen BatchNorm layers stay in eval mode through model.train(), and follow it again after unfreeze', () => {
    const m = new TinyResNet(3, 'cpu');
    ft.freeze(m, ['conv1', 'bn1', 'layer1']);
    m.train();
    const bn = m.getSubmodule('layer1.0.bn1');
    expect(bn.training).toBe(false);
    expect(m.getSubmodule('bn1').training).toBe(false);
    expect(m.getSubmodule('layer2.0.bn1').training).toBe(true); // not frozen
    expect(m.getSubmodule('layer1.0.conv1').training).toBe(true); // only BatchNorm is pinned
    expect(ft.statsFrozen(bn)).toBe(true);
    ft.unfreeze(m, 'layer1.0.bn1');
    expect(bn.training).toBe(true);
    m.eval();
    expect(bn.training).toBe(false);
    m.train();
    expect(bn.training).toBe(true);
    // a partly frozen BatchNorm (bias still trains) keeps following train()
    ft.freeze(m, 'layer2.0.bn1.weight');
    m.train();
    expect(m.getSubmodule('layer2.0.bn1').training).toBe(true);
    // freezeBatchNormStats: false leaves modes alone
    const m2 = new TinyResNet(3, 'cpu');
    ft.freeze(m2, undefined, { freezeBatchNormStats: false });
    m2.train();
    expect(m2.getSubmodule('bn1').training).toBe(true);
  });

  it('running statistics of a frozen BatchNorm do not move in a training-mode forward', async () => {
    const m = new TinyResNet(3, 'cpu');
    ft.freeze(m, ['conv1', 'bn1']);
    m.train();
    const before = Array.from(await m.getBuffer('bn1.running_mean').data());
    const free = Array.from(await m.getBuffer('layer1.0.bn1.running_mean').data());
    torch.scope(() => m.call(torch.randn([2, 3, 6, 6], { device: 'cpu' })));
    expect(Array.from(await m.getBuffer('bn1.running_mean').data())).toEqual(before);
    expect(Array.from(await m.getBuffer('layer1.0.bn1.running_mean').data())).not.toEqual(free);
  });
});

describe('trainability', () => {
  it('rows per parameter, a table grouped by top-level child, totals', () => {
    const m = new TinyResNet(2, 'cpu');
    ft.freeze(m);
    ft.unfreeze(m, 'fc');
    const t = ft.trainability(m);
    expect(t.rows.length).toBe(m.parameters().length);
    expect(t.rows.find((r) => r.name === 'layer2.1.conv2.weight')).toEqual({
      module: 'layer2',
      name: 'layer2.1.conv2.weight',
      shape: [4, 4, 3, 3],
      count: 144,
      requiresGrad: false,
    });
    expect(t.rows.find((r) => r.name === 'fc.bias')).toEqual({
      module: 'fc',
      name: 'fc.bias',
      shape: [2],
      count: 2,
      requiresGrad: true,
    });
    const total = m.parameters().reduce((s, p) => s + p.numel(), 0);
    expect(t.total).toBe(total);
    expect(t.trainable).toBe(4 * 2 + 2);
    expect(t.frozen).toBe(total - 10);
    expect(t.groups.map((g) => g.module)).toEqual(['conv1', 'bn1', 'layer1', 'layer2', 'fc']);
    const s = String(t);
    const lines = s.split('\n');
    expect(lines[0]).toMatch(/^module\s+type\s+params\s+trainable\s+state$/);
    expect(lines.find((l) => l.startsWith('layer2'))).toMatch(
      /^layer2\s+Sequential\s+608\s+0\s+frozen \(4 BatchNorm in eval\)$/,
    );
    expect(lines.find((l) => l.startsWith('fc'))).toMatch(/^fc\s+Linear\s+10\s+10\s+trainable$/);
    expect(lines[lines.length - 1]).toBe(
      `total: ${total.toLocaleString('en-US')} parameters, 10 trainable, ${(total - 10).toLocaleString('en-US')} frozen (${(1000 / total).toFixed(2)}% trainable)`,
    );
    expect(t.toString({ verbose: true })).toMatch(/\n {2}fc\.weight\s+\[2, 4\]\s+8\s+8\s+trainable/);
  });
});

describe('paramGroups', () => {
  it('every trainable parameter lands in exactly one group, first match wins, frozen ones nowhere', () => {
    const m = new TinyResNet(2, 'cpu');
    ft.freeze(m, ['conv1', 'bn1']);
    const groups = ft.paramGroups(m, [
      { match: 'fc.*', lr: 1e-2 },
      { match: 'layer2.**', lr: 1e-3 },
      { match: ['*.bn*', 'fc'], lr: 5e-4, weightDecay: 0 },
    ]);
    expect(groups.map((g) => g.lr)).toEqual([1e-2, 1e-3, 5e-4, undefined]);
    expect(groups.groupNames[0]).toEqual(['fc.weight', 'fc.bias']);
    expect(groups.groupNames[1].every((n) => n.startsWith('layer2.'))).toBe(true);
    expect(groups.groupNames[2]).toEqual([
      'layer1.0.bn1.weight',
      'layer1.0.bn1.bias',
      'layer1.0.bn2.weight',
      'layer1.0.bn2.bias',
    ]);
    expect(groups.groupNames[3]).toEqual(['layer1.0.conv1.weight', 'layer1.0.conv2.weight']);
    const seen = groups.flatMap((g) => g.params);
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(new Set(ft.trainableParameters(m)));
    const opt = new torch.optim.SGD(groups, { lr: 0.1, momentum: 0.9 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([1e-2, 1e-3, 5e-4, 0.1]);
    expect(opt.paramGroups[3].momentum).toBe(0.9);
    expect(() => ft.paramGroups(m, [{ match: 'head.*', lr: 1 }])).toThrow(/'head\.\*' \(spec 0\) matches no parameter/);
  });
  it('a spec whose parameters are all frozen gives no group; a fully frozen model is an error', () => {
    const m = mlp(3, 4, 2, 'cpu');
    ft.freeze(m, '0');
    const groups = ft.paramGroups(m, [{ match: '0', lr: 1 }]);
    expect(groups.length).toBe(1);
    expect(groups.groupNames[0]).toEqual(['2.weight', '2.bias']);
    ft.freeze(m);
    expect(() => ft.paramGroups(m, [])).toThrow(/no trainable parameters/);
  });
});

describe('replaceHead', () => {
  it('infers in_features from the old Linear, keeps device and bias, works on nested paths', () => {
    const m = new TinyResNet(1000, 'cpu', 8);
    const old = m.fc;
    const head = ft.replaceHead(m, 'fc', 2) as torch.nn.Linear;
    expect(m.fc).toBe(head);
    expect(m.fc).not.toBe(old);
    expect([head.inFeatures, head.outFeatures]).toEqual([8, 2]);
    expect(m.getParameter('fc.weight').shape).toEqual([2, 8]);
    expect(Object.keys(m.stateDict({ keepVars: true })).slice(-2)).toEqual(['fc.weight', 'fc.bias']);

    const net = new nn.Sequential(
      new nn.Linear(5, 6, { device: 'cpu' }),
      new nn.Sequential(new nn.Dropout(0.1), new nn.Linear(6, 7, { device: 'cpu', bias: false })),
    );
    const h2 = ft.replaceHead(net, '1.1', 3) as torch.nn.Linear;
    expect([h2.inFeatures, h2.outFeatures, h2.bias]).toEqual([6, 3, null]);
    expect(net.getParameter('1.1.weight').shape).toEqual([3, 6]);
    expect(() => ft.replaceHead(net, '1', 3)).toThrow(/'1' is a Sequential, not a Linear.*'1\.1'/);
    expect(() => ft.replaceHead(net, '1.5', 3)).toThrow(/no submodule '5'/);
    const custom = new nn.Sequential(
      new nn.Linear(6, 6, { device: 'cpu' }),
      new nn.ReLU(),
      new nn.Linear(6, 2, { device: 'cpu' }),
    );
    expect(ft.replaceHead(net, '1', custom)).toBe(custom);
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      '0.weight',
      '0.bias',
      '1.0.weight',
      '1.0.bias',
      '1.2.weight',
      '1.2.bias',
    ]);
  });
});
