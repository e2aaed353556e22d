// Conv2d kernels through the Backend interface: the cpu reference against a naive direct loop written
// here, and the webgpu kernels (tiled, padded-copy, GEMM and fallback paths) against the cpu reference,
// forward and both gradients, over strides, dilations, groups, odd sizes and view offsets.
import { describe, expect, it } from 'vitest';
import { convOptions, subgroupSize } from '../../src/kernels/webgpu/conv.js';
import { useGemm } from '../../src/kernels/webgpu/conv-gemm.js';
import { backendFor } from '../../src/tensor/device.js';
import { webgpuBackend } from '../../src/kernels/webgpu/register.js';
import { devices, expectClose, LOOSE } from '../harness.js';
import { args, data, naive, run, type Case } from './conv-helpers.js';

// Few distinct kernel geometries and channel blocks (each compiles a pipeline): 3×3 carries most
// of the options, with channel counts chosen to hit each register block (8, 4, 2, 1 channels).
const cases: Case[] = [
  {
    name: '3x3, odd sizes and view offsets, bias',
    n: 2,
    cIn: 6,
    cOut: 5,
    h: 7,
    w: 9,
    kh: 3,
    kw: 3,
    ph: 1,
    pw: 1,
    bias: true,
    offsets: [3, 5, 1, 2],
  },
  {
    name: '3x3, 8-channel blocks, aligned offsets, weight-gradient splits',
    n: 4,
    cIn: 16,
    cOut: 20,
    h: 16,
    w: 16,
    kh: 3,
    kw: 3,
    ph: 1,
    pw: 1,
    offsets: [4, 8, 12, 4],
  },
  {
    name: '3x3, groups 2 (3 output channels per group: 4-channel blocks)',
    n: 1,
    cIn: 4,
    cOut: 6,
    h: 6,
    w: 7,
    kh: 3,
    kw: 3,
    ph: 1,
    pw: 1,
    groups: 2,
  },
  { name: '3x3, depthwise, batch 1', n: 1, cIn: 5, cOut: 5, h: 8, w: 6, kh: 3, kw: 3, ph: 1, pw: 1, groups: 5 },
  {
    name: '3x2 window, strides 2x3, dilation 2x1, padding past half the window',
    n: 2,
    cIn: 4,
    cOut: 8,
    h: 11,
    w: 13,
    kh: 3,
    kw: 2,
    sh: 2,
    sw: 3,
    ph: 3,
    pw: 2,
    dh: 2,
    dw: 1,
  },
  { name: '1x1 stride 2 (downsample)', n: 2, cIn: 4, cOut: 8, h: 9, w: 8, kh: 1, kw: 1, sh: 2, sw: 2 },
  { name: '1x1, bias', n: 2, cIn: 8, cOut: 8, h: 5, w: 7, kh: 1, kw: 1, bias: true },
  { name: 'conv1d (h = 1), batch 1', n: 1, cIn: 4, cOut: 6, h: 1, w: 17, kh: 1, kw: 5, ph: 0, pw: 2, bias: true },
  { name: '7x7 stride 2 pad 3 (stem)', n: 1, cIn: 3, cOut: 8, h: 16, w: 14, kh: 7, kw: 7, sh: 2, sw: 2, ph: 3, pw: 3 },
  {
    name: '3x3 stride 2 onto 2x2 (GEMM path), bias, view offsets',
    n: 3,
    cIn: 6,
    cOut: 10,
    h: 4,
    w: 3,
    kh: 3,
    kw: 3,
    sh: 2,
    sw: 2,
    ph: 1,
    pw: 1,
    bias: true,
    offsets: [1, 3, 2, 5],
    gemm: true,
  },
  {
    name: '2x3 window, stride 1x2, dilation 2x1, padding wider than the image (GEMM path)',
    n: 2,
    cIn: 3,
    cOut: 4,
    h: 6,
    w: 4,
    kh: 2,
    kw: 3,
    sw: 2,
    pw: 2,
    dh: 2,
    gemm: true,
  },
  {
    name: 'window over the tiled limit (direct fallback)',
    n: 1,
    cIn: 2,
    cOut: 3,
    h: 11,
    w: 10,
    kh: 9,
    kw: 9,
    ph: 4,
    pw: 4,
  },
];

describe('conv2d kernels', () => {
  it('the GEMM path takes ungrouped convolutions under 4 output columns whose im2col buffer stays under 64 MB', () => {
    const a = (c: Partial<Case>) =>
      args({ name: '', n: 16, cIn: 512, cOut: 512, h: 4, w: 4, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, ...c });
    expect(useGemm(a({}))).toBe(true); // ResNet's layer4 entry at 64×64: 2×2 output
    expect(useGemm(a({ sh: 1, sw: 1 }))).toBe(false); // 4 columns: the tiled kernels waste nothing
    expect(useGemm(a({ groups: 2 }))).toBe(false);
    expect(useGemm(a({ h: 4000 }))).toBe(false); // 2000×2 output: a 147M-float im2col buffer
  });

  describe('cpu reference vs the naive definition', () => {
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

  describe.runIf(devices.includes('webgpu'))('webgpu vs the cpu reference', () => {
    for (const c of cases) {
      it(c.name, async () => {
        const a = args(c),
          d = data(c, a);
        if (c.gemm) expect(useGemm(a), 'takes the GEMM path').toBe(true);
        const ref = await run(backendFor('cpu'), c, a, d);
        const got = await run(backendFor('webgpu'), c, a, d);
        await expectClose(got.y, ref.y, LOOSE, 'forward');
        await expectClose(got.gx, ref.gx, LOOSE, 'input gradient');
        await expectClose(got.gw, ref.gw, LOOSE, 'weight gradient');
      });
    }

    // devices without subgroup operations run the same tiling with plain loads
    it.runIf(devices.includes('webgpu') && subgroupSize(webgpuBackend()!.rt) > 0)(
      'without subgroup operations',
      async () => {
        convOptions.subgroups = false;
        try {
          for (const c of [cases[0], cases[4], cases[8]]) {
            const a = args(c),
              d = data(c, a);
            const ref = await run(backendFor('cpu'), c, a, d);
            const got = await run(backendFor('webgpu'), c, a, d);
            await expectClose(got.y, ref.y, LOOSE, `${c.name}: forward`);
            await expectClose(got.gx, ref.gx, LOOSE, `${c.name}: input gradient`);
            await expectClose(got.gw, ref.gw, LOOSE, `${c.name}: weight gradient`);
          }
        } finally {
          convOptions.subgroups = true;
        }
      },
    );

    it('empty batch: empty outputs, zero weight gradient', async () => {
      const c: Case = { name: 'empty', n: 0, cIn: 2, cOut: 3, h: 5, w: 5, kh: 3, kw: 3, ph: 1, pw: 1 };
      const a = args(c);
      const got = await run(backendFor('webgpu'), c, a, data(c, a));
      expect(got.y.length).toBe(0);
      expect(got.gx.length).toBe(0);
      expect(Array.from(got.gw)).toEqual(new Array(3 * 2 * 9).fill(0));
    });
  });
});
