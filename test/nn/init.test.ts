// nn.init and each layer's reset_parameters against PyTorch's formulas: bounds, means and standard
// deviations over large tensors; fans, gains; seeded draws identical on every device.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { devices } from '../harness.js';

const { nn } = torch;
const { init } = nn;
const cpu = { device: 'cpu' as const };

function stats(t: torch.Tensor) {
  const v = Array.from(t.dataSync());
  const n = v.length;
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { n, mean, std, min: Math.min(...v), max: Math.max(...v) };
}
/** U(-b, b): inside the bounds, reaching close to them, mean 0 and std b/√3 (checked to 4 standard errors) */
function expectUniform(t: torch.Tensor, lo: number, hi: number) {
  const s = stats(t);
  const sd = (hi - lo) / Math.sqrt(12);
  expect(s.min).toBeGreaterThanOrEqual(lo);
  expect(s.max).toBeLessThanOrEqual(hi);
  expect(s.min).toBeLessThan(lo + (hi - lo) * 0.01);
  expect(s.max).toBeGreaterThan(hi - (hi - lo) * 0.01);
  expect(Math.abs(s.mean - (lo + hi) / 2)).toBeLessThan((4 * sd) / Math.sqrt(s.n));
  expect(Math.abs(s.std / sd - 1)).toBeLessThan(0.03);
}
function expectNormal(t: torch.Tensor, mean: number, std: number) {
  const s = stats(t);
  expect(Math.abs(s.mean - mean)).toBeLessThan((4 * std) / Math.sqrt(s.n));
  expect(Math.abs(s.std / std - 1)).toBeLessThan(0.03);
}

describe('gains and fans', () => {
  it('calculateGain as PyTorch', () => {
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('conv2d')).toBe(1);
    expect(init.calculateGain('sigmoid')).toBe(1);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12);
    expect(init.calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 12);
    expect(init.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 12);
    expect(init.calculateGain('selu')).toBe(0.75);
    expect(() => init.calculateGain('swish' as never)).toThrow(/Unsupported nonlinearity swish/);
  });
  it('fan in/out include the receptive field; fewer than 2 dims is an error', () => {
    expect(init.calculateFanInAndFanOut(torch.empty([64, 32, 3, 5], cpu))).toEqual({ fanIn: 32 * 15, fanOut: 64 * 15 });
    expect(init.calculateFanInAndFanOut(torch.empty([10, 7], cpu))).toEqual({ fanIn: 7, fanOut: 10 });
    expect(() => init.calculateFanInAndFanOut(torch.empty([5], cpu))).toThrow(
      /fewer than 2 dimensions \(shape \[5\]\)/,
    );
  });
});

describe('initialisers', () => {
  it('uniform_, normal_, constant_, ones_, zeros_', () => {
    torch.manualSeed(1);
    expectUniform(init.uniform_(torch.empty([20000], cpu), -2, 3), -2, 3);
    expectNormal(init.normal_(torch.empty([20000], cpu), 1.5, 0.2), 1.5, 0.2);
    expect(Array.from(init.constant_(torch.empty([3], cpu), 0.25).dataSync())).toEqual([0.25, 0.25, 0.25]);
    expect(Array.from(init.ones_(torch.empty([2], cpu)).dataSync())).toEqual([1, 1]);
    expect(Array.from(init.zeros_(torch.empty([2], cpu)).dataSync())).toEqual([0, 0]);
  });
  it('xavier: bound gain·√(6/(fan_in+fan_out)), std gain·√(2/(fan_in+fan_out))', () => {
    torch.manualSeed(2);
    const a = Math.sqrt(6 / (300 + 200));
    expectUniform(init.xavierUniform_(torch.empty([200, 300], cpu)), -a, a);
    expectUniform(init.xavierUniform_(torch.empty([200, 300], cpu), 2), -2 * a, 2 * a);
    expectNormal(init.xavierNormal_(torch.empty([200, 300], cpu), 0.5), 0, 0.5 * Math.sqrt(2 / 500));
  });
  it('kaiming: gain/√fan, fan_in or fan_out', () => {
    torch.manualSeed(3);
    const w = torch.empty([64, 32, 3, 3], cpu);
    const bound = Math.sqrt(3) * (Math.SQRT2 / Math.sqrt(32 * 9));
    expectUniform(init.kaimingUniform_(w, { nonlinearity: 'relu' }), -bound, bound);
    expectNormal(init.kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' }), 0, Math.SQRT2 / Math.sqrt(64 * 9));
    expectNormal(init.kaimingNormal_(w, { a: 0.2 }), 0, Math.sqrt(2 / 1.04) / Math.sqrt(32 * 9));
    expect(() => init.kaimingNormal_(w, { mode: 'fan_avg' as never })).toThrow(/Mode fan_avg not supported/);
    expect(init.kaimingUniform_(torch.empty([0, 3], cpu)).numel()).toBe(0);
  });
  it('a parameter that requires grad is filled in place without an autograd error', () => {
    const p = new nn.Parameter(torch.empty([4, 4], cpu));
    expect(init.normal_(p)).toBe(p);
    expect(p.requiresGrad).toBe(true);
    expect(p.gradFn).toBeNull();
  });
});

describe("layers' reset_parameters", () => {
  it('Linear: weight and bias U(±1/√in_features)', () => {
    torch.manualSeed(4);
    const lin = new nn.Linear(400, 300, cpu);
    const b = 1 / Math.sqrt(400);
    expectUniform(lin.weight, -b, b);
    const s = stats(lin.bias!);
    expect(s.min).toBeGreaterThanOrEqual(-b);
    expect(s.max).toBeLessThanOrEqual(b);
    expect(Math.abs(s.std / (b / Math.sqrt(3)) - 1)).toBeLessThan(0.15); // 300 values
  });
  it('Conv2d: U(±1/√fan_in) with fan_in = in/groups · kh · kw', () => {
    torch.manualSeed(5);
    const conv = new nn.Conv2d(64, 128, [3, 5], { groups: 4, ...cpu });
    const b = 1 / Math.sqrt((64 / 4) * 15);
    expect(conv.weight.shape).toEqual([128, 16, 3, 5]);
    expectUniform(conv.weight, -b, b);
    const s = stats(conv.bias!);
    expect(Math.max(-s.min, s.max)).toBeLessThanOrEqual(b);
  });
  it('Embedding: N(0, 1) with the padding row zero; norms: ones and zeros', () => {
    torch.manualSeed(6);
    const emb = new nn.Embedding(500, 64, { paddingIdx: -1, ...cpu });
    expect(emb.paddingIdx).toBe(499);
    const w = emb.weight.dataSync();
    expect(Array.from(w.subarray(499 * 64))).toEqual(new Array(64).fill(0));
    expectNormal(emb.weight.narrow(0, 0, 499).contiguous(), 0, 1);
    for (const m of [new nn.BatchNorm2d(5, cpu), new nn.LayerNorm([5], cpu), new nn.GroupNorm(1, 5, cpu)]) {
      expect(Array.from(m.getParameter('weight').dataSync())).toEqual([1, 1, 1, 1, 1]);
      expect(Array.from(m.getParameter('bias').dataSync())).toEqual([0, 0, 0, 0, 0]);
    }
    const bn = new nn.BatchNorm1d(3, cpu);
    expect(Array.from(bn.getBuffer('running_mean').dataSync())).toEqual([0, 0, 0]);
    expect(Array.from(bn.getBuffer('running_var').dataSync())).toEqual([1, 1, 1]);
  });
  it('the seed reproduces the same weights on every device', async () => {
    const draws: number[][] = [];
    for (const device of devices) {
      torch.manualSeed(7);
      draws.push(Array.from(await new nn.Conv1d(4, 6, 3, { device }).weight.data()));
    }
    torch.manualSeed(7);
    draws.push(Array.from(new nn.Conv1d(4, 6, 3, cpu).weight.dataSync()));
    for (const d of draws) expect(d).toEqual(draws[0]);
  });
});
