// Depthwise convolutions (groups == cIn, channel multiplier 1–4) through the Backend: the cpu device's
// depthwise loops against the naive definition, and webgpu's depthwise kernels (conv-depthwise.ts)
// against the cpu device, forward and both gradients. The cases cover what the kernels compile in:
// each stride (the input gradient's tile is a multiple of it), dilations, padding wider than half
// the window, windows smaller than the stride (gradient positions no tap reaches), odd sizes that
// leave partial tiles in both directions, and view offsets.
import { describe, expect, it } from 'vitest';
import { isDepthwise } from '../../src/kernels/webgpu/conv-depthwise.js';
import { backendFor } from '../../src/tensor/device.js';
import { devices, expectClose, LOOSE } from '../harness.js';
import { args, data, naive, run, type Case } from './conv-helpers.js';

const dw = (c: Omit<Case, 'groups'>): Case => ({ ...c, groups: c.cIn });
const cases: Case[] = [
  dw({
    name: '3x3 s1 p1, odd sizes, bias, view offsets',
    n: 2,
    cIn: 5,
    cOut: 5,
    h: 7,
    w: 9,
    kh: 3,
    kw: 3,
    ph: 1,
    pw: 1,
    bias: true,
    offsets: [3, 5, 1, 2],
  }),
  dw({
    name: '3x3 s1 p1, rows of whole vec4s (vec4 stores), gy at an unaligned offset',
    n: 2,
    cIn: 3,
    cOut: 3,
    h: 6,
    w: 8,
    kh: 3,
    kw: 3,
    ph: 1,
    pw: 1,
    offsets: [1, 2, 3, 1],
  }),
  dw({
    name: '3x3 s1 p1, rows of whole vec4s, gy at an aligned offset (vec4 gy loads)',
    n: 2,
    cIn: 3,
    cOut: 6,
    h: 5,
    w: 12,
    kh: 3,
    kw: 3,
    ph: 1,
    pw: 1,
    offsets: [0, 0, 4, 0],
  }),
  dw({
    name: '3x3 s2 p1, batch 16, odd sizes',
    n: 16,
    cIn: 3,
    cOut: 3,
    h: 9,
    w: 11,
    kh: 3,
    kw: 3,
    sh: 2,
    sw: 2,
    ph: 1,
    pw: 1,
  }),
  dw({
    name: '3x3 s2 p1, even sizes (MobileNet downsampling)',
    n: 2,
    cIn: 4,
    cOut: 4,
    h: 12,
    w: 16,
    kh: 3,
    kw: 3,
    sh: 2,
    sw: 2,
    ph: 1,
    pw: 1,
    bias: true,
  }),
  dw({ name: '5x5 s1 p2, batch 1, bias', n: 1, cIn: 3, cOut: 3, h: 10, w: 13, kh: 5, kw: 5, ph: 2, pw: 2, bias: true }),
  dw({ name: '5x5 s2 p2', n: 2, cIn: 4, cOut: 4, h: 11, w: 14, kh: 5, kw: 5, sh: 2, sw: 2, ph: 2, pw: 2 }),
  dw({
    name: '3x3 dilation 2 pad 2',
    n: 2,
    cIn: 3,
    cOut: 3,
    h: 9,
    w: 10,
    kh: 3,
    kw: 3,
    ph: 2,
    pw: 2,
    dh: 2,
    dw: 2,
    offsets: [1, 0, 3, 0],
  }),
  dw({
    name: 'multiplier 2, 3x3 s2 p1, bias',
    n: 2,
    cIn: 3,
    cOut: 6,
    h: 9,
    w: 8,
    kh: 3,
    kw: 3,
    sh: 2,
    sw: 2,
    ph: 1,
    pw: 1,
    bias: true,
  }),
  dw({
    name: 'multiplier 3, 3x5 window, strides 1x2, dilation 1x2',
    n: 1,
    cIn: 2,
    cOut: 6,
    h: 8,
    w: 15,
    kh: 3,
    kw: 5,
    sw: 2,
    ph: 1,
    pw: 3,
    dw: 2,
  }),
  dw({ name: 'stride 3 (6-wide tiles), no padding', n: 2, cIn: 2, cOut: 2, h: 13, w: 14, kh: 3, kw: 3, sh: 3, sw: 3 }),
  dw({ name: 'padding wider than half the window', n: 1, cIn: 3, cOut: 3, h: 5, w: 6, kh: 3, kw: 3, ph: 2, pw: 3 }),
  dw({
    name: '2x2 window, stride 3: positions no tap reaches',
    n: 2,
    cIn: 2,
    cOut: 2,
    h: 10,
    w: 11,
    kh: 2,
    kw: 2,
    sh: 3,
    sw: 3,
    ph: 1,
    pw: 0,
  }),
  dw({
    name: '1-pixel-wide image (conv1d along h), multiplier 4',
    n: 3,
    cIn: 2,
    cOut: 8,
    h: 9,
    w: 1,
    kh: 3,
    kw: 1,
    ph: 1,
  }),
];

describe('depthwise conv2d kernels', () => {
  it('the depthwise path takes groups == cIn with a multiplier up to 4, windows up to 49 taps, strides up to 4', () => {
    const a = (c: Partial<Case>) => args(dw({ name: '', n: 2, cIn: 8, cOut: 8, h: 16, w: 16, kh: 3, kw: 3, ...c }));
    expect(isDepthwise(a({}))).toBe(true);
    expect(isDepthwise(a({ cOut: 32 }))).toBe(true);
    expect(isDepthwise(a({ cOut: 40 }))).toBe(false);
    expect(isDepthwise({ ...a({}), groups: 4 })).toBe(false);
    expect(isDepthwise(a({ kh: 7, kw: 7 }))).toBe(true);
    expect(isDepthwise(a({ kh: 9, kw: 9 }))).toBe(false);
    expect(isDepthwise(a({ sh: 5 }))).toBe(false);
  });

  describe('cpu vs the naive definition', () => {
    for (const c of cases) {
      it(c.name, async () => {
        const a = args(c),
          d = data(c, a);
        const ref = naive(a, d);
        const got = await run(backendFor('cpu'), c, a, d);
        await expectClose(got.y, ref.y, LOOSE, 'forward');
        await expectClose(got.gx, ref.gx, LOOSE, 'input gradient');
        await expectClose(got.gw, ref.gw, LOOSE, 'weight gradient');
      });
    }
  });

  describe.runIf(devices.includes('webgpu'))('webgpu vs the cpu device', () => {
    for (const c of cases) {
      it(c.name, async () => {
        const a = args(c),
          d = data(c, a);
        expect(isDepthwise(a)).toBe(true);
        const ref = await run(backendFor('cpu'), c, a, d);
        const got = await run(backendFor('webgpu'), c, a, d);
        await expectClose(got.y, ref.y, LOOSE, 'forward');
        await expectClose(got.gx, ref.gx, LOOSE, 'input gradient');
        await expectClose(got.gw, ref.gw, LOOSE, 'weight gradient');
      });
    }

    it('empty batch: empty outputs, zero weight gradient', async () => {
      const c = dw({ name: 'empty', n: 0, cIn: 3, cOut: 6, h: 5, w: 5, kh: 3, kw: 3, ph: 1, pw: 1 });
      const a = args(c);
      const got = await run(backendFor('webgpu'), c, a, data(c, a));
      expect(got.y.length).toBe(0);
      expect(got.gx.length).toBe(0);
      expect(Array.from(got.gw)).toEqual(new Array(6 * 9).fill(0));
    });
  });
});
