// .pth files written by real PyTorch 1.13 (tools/reference/checkpoints.py) load with exact values.
import { describe, expect, it } from 'vitest';
import { loadPth } from '../../src/io/pth.js';
import { eachDevice, torch } from '../harness.js';
import { expected, expectExact, flatten, num, readFixture } from './util.js';

const files = ['state_dict.pth', 'checkpoint.pth', 'dtypes.pth', 'views.pth', 'shared.pth', 'parameter.pth'];

eachDevice((device) => {
  for (const file of files) {
    it(`${file}: every tensor and value exact`, async () => {
      const obj = await torch.load(readFixture(file), { device });
      const e = expected[file];
      const { tensors, other } = flatten(obj);
      expect([...tensors.keys()].sort()).toEqual(Object.keys(e.tensors).sort());
      for (const [k, t] of tensors) {
        expect(t.device).toBe(device);
        await expectExact(t, e.tensors[k], `${file} ${k}`);
      }
      expect(Object.fromEntries(other)).toEqual(
        Object.fromEntries(Object.entries(e.other).map(([k, v]) => [k, num(v)])),
      );
    });
  }
});

describe('pth structure', () => {
  it('a state dict comes back as { name: Tensor } in the saved order', async () => {
    const sd = await torch.load(readFixture('state_dict.pth'));
    expect(Object.keys(sd)).toEqual(Object.keys(expected['state_dict.pth'].tensors));
    expect(sd['1.num_batches_tracked'].dtype).toBe('int32');
  });
  it('a training checkpoint keeps its nesting; tuples become arrays, int keys strings', async () => {
    const ck = await torch.load(readFixture('checkpoint.pth'));
    expect(ck.epoch).toBe(7);
    expect(ck.pair).toEqual([1, 2.5]);
    expect(ck.name).toBe('run-\u03b1');
    expect(Object.keys(ck.optimizer.state)).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(ck.optimizer.param_groups[0].params).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ck.optimizer.param_groups[0].betas).toEqual([0.9, 0.999]);
    expect(ck.model['0.weight']).toBeInstanceOf(torch.Tensor);
  });
  it('views are materialised contiguous; tensors saved twice are one tensor', async () => {
    const v = await torch.load(readFixture('views.pth'));
    for (const k of ['t', 's', 'e', 'col']) {
      expect(v[k].isContiguous()).toBe(true);
      expect(v[k].offset).toBe(0);
    }
    const s = await torch.load(readFixture('shared.pth'));
    expect(s.a_again).toBe(s.a);
    // views of one storage are separate tensors here: writing one leaves the others alone
    s.b.fill_(0);
    expect(Array.from(await s.all.data()).slice(6)).toEqual([6, 7, 8, 9, 10, 11]);
  });
  it('parameters keep requiresGrad', async () => {
    const p = await torch.load(readFixture('parameter.pth'));
    expect(p.w.requiresGrad).toBe(true);
    expect(p.frozen.requiresGrad).toBe(false);
  });
  it('loadPth takes bytes directly and so does torch.load', async () => {
    const bytes = readFixture('state_dict.pth');
    const a = loadPth(bytes) as Record<string, torch.Tensor>;
    const b = await torch.load(bytes);
    expect(Object.keys(a)).toEqual(Object.keys(b));
  });
});
