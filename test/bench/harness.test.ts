// The benchmark's shared pieces that are not timings: stat rows in the table, stats collected once
// after the timed runs, and the train-step / peak-bytes helpers the workloads use. No test here
// asserts a time.
import { describe, expect, it } from 'vitest';
import { na, table, timeStep, type Workload } from '../../bench/lib/harness.js';
import { disposeModel, peakBytes, trainStep } from '../../bench/lib/ours.js';
import { eachDevice, torch } from '../harness.js';

const workload: Workload = {
  name: 'w',
  title: 'W',
  metric: 'ms',
  note: 'note.',
  cases: [{ id: 'a', label: 'case a', params: {} }],
  stats: [{ key: 'peakBytes', label: 'peak bytes', unit: 'bytes' }],
  ours: async () => na('unused'),
  tfjs: async () => na('unused'),
};

describe('bench harness stats', () => {
  it('renders one stat row per case: MiB, n/a with its reason, empty where the timing is n/a', () => {
    const md = table(workload, {
      a: {
        'ours-webgpu': { medianMs: 10, runsMs: [10], stats: { peakBytes: 3 * 2 ** 20 } },
        'ours-cpu': { medianMs: 20, runsMs: [20] },
        'tfjs-webgpu': na('no twin'),
        'pytorch-cpu': { medianMs: 5, runsMs: [5], stats: { peakBytes: na('cannot measure') } },
      },
    });
    const rows = md.split('\n').filter((l) => l.startsWith('| case a'));
    expect(rows).toHaveLength(2);
    const cells = rows[1]
      .split('|')
      .map((s) => s.trim())
      .slice(1, -1);
    // label, 6 contenders, 6 ratio columns
    expect(cells).toHaveLength(13);
    expect(cells[0]).toBe('case a: peak bytes');
    expect(cells[1]).toBe('3.00 MiB');
    expect(cells[2]).toMatch(/^n\/a \[\d\]$/); // ours-cpu reported no stat
    expect(cells[3]).toBe(''); // tfjs-webgpu: its timing row carries the footnote
    expect(cells[6]).toMatch(/^n\/a \[\d\]$/);
    expect(cells.slice(7).every((c) => c === '–')).toBe(true);
    expect(md).toContain('cannot measure');
    expect(md).toContain('cpu did not report peak bytes');
    // the timing row is unchanged by stats: ratios still computed
    expect(rows[0]).toContain('**0.50×**'); // webgpu ÷ PyTorch: 5 / 10
  });

  it('timeStep asks for stats once, after the timed runs', async () => {
    const calls: string[] = [];
    const t = await timeStep(
      {
        run: async () => {
          calls.push('run');
        },
        stats: async () => {
          calls.push('stats');
          return { peakBytes: 42 };
        },
      },
      { warmup: 1, runs: 2, minTotalMs: 0, maxRuns: 2, maxStepMs: 60_000 },
    );
    expect(calls).toEqual(['run', 'run', 'run', 'stats']);
    expect(t).toMatchObject({ stats: { peakBytes: 42 } });
  });
});

eachDevice((device) => {
  it('trainStep trains; peakBytes counts what the step starts with and allocates, not earlier peaks; disposeModel frees it all', async () => {
    const start = torch.memory()[device].liveBytes;
    torch.manualSeed(0);
    const model = await new torch.nn.Linear(4, 3).toAsync(device);
    const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const x = torch.keep(torch.randn([2, 4], { device }));
    const y = torch.keep(torch.tensor([0, 2], { device, dtype: 'int32' }));
    const before = Array.from(await model.weight.data());
    const step = trainStep(torch, model, opt, x, y);
    // an earlier, larger peak must not show up
    torch.empty([1 << 16], { device }).dispose();
    const live = torch.memory()[device].liveBytes;
    const { peakBytes: peak } = await peakBytes(torch, device, step);
    // during the first step: 15 gradient floats and 15 momentum floats live at once, beyond the start
    expect(peak).toBeGreaterThanOrEqual(live + 2 * 15 * 4);
    expect(peak).toBeGreaterThanOrEqual(torch.memory()[device].liveBytes);
    expect(peak).toBeLessThan(live + (1 << 16) * 4);
    expect(Array.from(await model.weight.data())).not.toEqual(before);
    x.dispose();
    y.dispose();
    disposeModel(model, opt); // weights, gradients and momentum buffers: nothing of the step stays live
    expect(torch.memory()[device].liveBytes).toBe(start);
  });
});
