// optim.swaUtils against PyTorch 1.13 (tools/reference/schedulers.py → fixtures/optim/swa): the
// running mean, an EMA avgFn and useBuffers over five weight snapshots of Linear+BatchNorm1d, the
// state dict's keys and n_averaged, and updateBn over fixed batches; on both devices.
import { describe, expect, it } from 'vitest';
import { eachDevice, expectClose, fixture, onDevice, torch } from '../harness.js';

const { nn } = torch;
const { AveragedModel, updateBn } = torch.optim.swaUtils;
type Device = 'cpu' | 'webgpu';

const fx = fixture('optim/swa');
const keys = JSON.parse(fx.metadata.keys) as Record<string, string[]>;
const UPDATES = Number(fx.metadata.updates),
  BATCHES = Number(fx.metadata.batches);
const snapshot = (i: number, device: Device) =>
  Object.fromEntries(
    Object.entries(fx.tensors)
      .filter(([k]) => k.startsWith(`w.${i}.`))
      .map(([k, v]) => [k.slice(`w.${i}.`.length), onDevice(v, device)]),
  );

function model(device: Device) {
  return new nn.Sequential(new nn.Linear(3, 4, { device }), new nn.BatchNorm1d(4, { device }));
}
type Avg = InstanceType<typeof AveragedModel>;
/** the model takes each snapshot in turn, and the average folds it in */
function averaged(device: Device, opts: ConstructorParameters<typeof AveragedModel>[1] = {}): Avg {
  const m = model(device);
  const avg = new AveragedModel(m, opts);
  for (let i = 0; i < UPDATES; i++) {
    m.loadStateDict(snapshot(i, device), { strict: false });
    avg.updateParameters(m);
  }
  return avg;
}
async function expectState(avg: Avg, name: string) {
  const sd = avg.stateDict();
  expect(Object.keys(sd)).toEqual(keys[name]);
  for (const k of keys[name]) await expectClose(sd[k], fx.tensors[`${name}.${k}`], undefined, `${name} ${k}`);
}

eachDevice((device) => {
  it('default: the equally weighted running mean', async () => {
    const avg = averaged(device);
    await expectState(avg, 'mean');
    expect(avg.n_averaged.device).toBe('cpu');
    expect(await avg.n_averaged.item()).toBe(UPDATES);
  });
  it('a custom avgFn (EMA)', async () => {
    await expectState(averaged(device, { avgFn: (a, m) => a.mul(0.1).add(m.mul(0.9)) }), 'ema');
  });
  it('useBuffers averages the running statistics too', async () => {
    await expectState(averaged(device, { useBuffers: true }), 'buffers');
  });
  it('updateBn recomputes the statistics and restores momentum and mode', async () => {
    const avg = averaged(device);
    const bn = (avg.module as InstanceType<typeof nn.Sequential>).get(1) as InstanceType<typeof nn.BatchNorm1d>;
    bn.momentum = 0.3;
    avg.eval();
    const batches = Array.from({ length: BATCHES }, (_, i) => [
      onDevice(fx.tensors[`bn.batch.${i}`], device),
      torch.zeros([6], { device }),
    ]);
    await updateBn(batches, avg);
    expect(bn.momentum).toBe(0.3);
    expect(avg.training).toBe(false);
    const sd = avg.stateDict();
    for (const k of Object.keys(sd)) await expectClose(sd[k], fx.tensors[`bn.${k}`], undefined, `updateBn ${k}`);
  });
  it('the copy is independent of the model, and forward runs the copy', async () => {
    const m = model(device);
    const avg = new AveragedModel(m);
    avg.updateParameters(m);
    const lin = m.get(0) as InstanceType<typeof nn.Linear>;
    torch.noGrad(() => lin.weight.fill_(7));
    const copy = (avg.module as InstanceType<typeof nn.Sequential>).get(0) as InstanceType<typeof nn.Linear>;
    expect(copy).not.toBe(lin);
    expect(Array.from(await copy.weight.data())).not.toContain(7);
    expect(String(avg.module)).toBe(String(m));
    const y: torch.Tensor = avg.call(torch.ones([2, 3], { device }));
    expect(y.shape).toEqual([2, 4]);
  });
});

describe('AveragedModel state', () => {
  it('a loaded n_averaged decides whether the next update copies or averages', async () => {
    const m = new nn.Linear(2, 1, { device: 'cpu' });
    const avg = new AveragedModel(m);
    avg.updateParameters(m);
    const saved = avg.stateDict();
    const other = new AveragedModel(new nn.Linear(2, 1, { device: 'cpu' }));
    other.loadStateDict(saved);
    torch.noGrad(() => m.weight.fill_(1));
    other.updateParameters(m); // n_averaged 1: (w0 + 1) / 2, not a copy of 1
    const w0 = await (saved['module.weight'] as torch.Tensor).data();
    await expectClose(
      other.stateDict()['module.weight'] as torch.Tensor,
      Array.from(w0).map((v) => (v + 1) / 2),
    );
    expect(await other.n_averaged.item()).toBe(2);
  });
  it('refuses a model of another shape', () => {
    const avg = new AveragedModel(new nn.Linear(2, 1, { device: 'cpu' }));
    expect(() => avg.updateParameters(new nn.Linear(3, 1, { device: 'cpu' }))).toThrow(torch.ShapeError);
    expect(() => avg.updateParameters(new nn.Linear(2, 1, { device: 'cpu', bias: false }))).toThrow(
      /has 1 parameters, the average 2/,
    );
  });
});
