// The conv forward tuner (src/kernels/webgpu/conv-autotune.ts): every candidate this adapter would
// time computes the same convolution as the cpu reference, on a wide and a narrow image; the tuner
// picks the fastest working candidate per class (timings injected, so nothing here measures time),
// drops one the device rejects, caches the choice, and FINETORCH_AUTOTUNE=0 leaves the defaults.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import {
  cachedConvTiles,
  convCacheKey,
  convCandidates,
  formatConvTile,
  prepareConvTiles,
  tuneConv,
} from '../../src/kernels/webgpu/conv-autotune.js';
import { convTile, defaultConvTile, setConvTiles, type ConvTile } from '../../src/kernels/webgpu/conv.js';
import { webgpuBackend } from '../../src/kernels/webgpu/register.js';
import { devices, expectClose, LOOSE } from '../harness.js';

describe.runIf(devices.includes('webgpu'))('conv forward tuner', () => {
  const rt = () => webgpuBackend()!.rt;

  it('every candidate computes the convolution and its input gradient (wide and narrow images)', async () => {
    const before = { wide: convTile(rt(), 32), narrow: convTile(rt(), 4) };
    try {
      for (const [h, w] of [
        [9, 19],
        [6, 7],
      ]) {
        torch.manualSeed(1);
        const cpu = { device: 'cpu' as const };
        const x = torch.randn([2, 6, h, w], cpu),
          wt = torch.randn([10, 6, 3, 3], cpu),
          b = torch.randn([10], cpu);
        const ref = torch.nn.functional.conv2d(x, wt, b, { padding: 1 });
        const refGx = torch.grad(torch.nn.functional.conv2d(x.requiresGrad_(), wt, null, { padding: 1 }).sum(), [
          x,
        ])[0]!;
        x.requiresGrad = false;
        for (const t of convCandidates(rt().info)) {
          setConvTiles(rt(), { wide: t, narrow: t });
          const xg = x.to('webgpu');
          const y = torch.nn.functional.conv2d(xg, wt.to('webgpu'), b.to('webgpu'), { padding: 1 });
          await expectClose(y, ref, LOOSE, `${formatConvTile(t)} ${h}×${w} forward`);
          xg.requiresGrad = true;
          const gx = torch.grad(torch.nn.functional.conv2d(xg, wt.to('webgpu'), null, { padding: 1 }).sum(), [xg])[0]!;
          await expectClose(gx, refGx, LOOSE, `${formatConvTile(t)} ${h}×${w} input gradient`);
        }
      }
    } finally {
      setConvTiles(rt(), before);
    }
  });

  describe('choice and cache', () => {
    let dir = '';
    const env = { xdg: process.env.XDG_CACHE_HOME, tune: process.env.FINETORCH_AUTOTUNE };
    const before = () => ({ wide: convTile(rt(), 32), narrow: convTile(rt(), 4) });
    let saved = { wide: defaultConvTile(true), narrow: defaultConvTile(true) };
    beforeEach(() => {
      saved = before();
      dir = mkdtempSync(join(tmpdir(), 'finetorch-conv-tune-'));
      process.env.XDG_CACHE_HOME = dir;
    });
    afterEach(() => {
      setConvTiles(rt(), saved);
      rmSync(dir, { recursive: true, force: true });
      for (const [k, v] of [
        ['XDG_CACHE_HOME', env.xdg],
        ['FINETORCH_AUTOTUNE', env.tune],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });

    it('picks the fastest working candidate per class, caches it, drops a rejected one; FINETORCH_AUTOTUNE=0 keeps the defaults', async () => {
      const info = rt().info;
      const [a, b] = convCandidates(info);
      // a workgroup over the adapter's limit: the device rejects the pipeline
      const broken: ConvTile = { tm: 8, rows: 4, wg: info.limits.maxComputeInvocationsPerWorkgroup * 2 };
      const fake: Record<string, Record<string, number>> = {
        [formatConvTile(a)]: { wide: 5, narrow: 1 },
        [formatConvTile(b)]: { wide: 1, narrow: 9 },
        [formatConvTile(broken)]: { wide: 0, narrow: 0 },
      };
      const report = await tuneConv(rt(), {
        candidates: [a, b, broken],
        runs: 2,
        timer: async (t, cls) => fake[formatConvTile(t)][cls],
      });
      expect(formatConvTile(report.tiles.wide)).toBe(formatConvTile(b));
      expect(formatConvTile(report.tiles.narrow)).toBe(formatConvTile(a));
      expect(Object.keys(report.ms.wide)).not.toContain(formatConvTile(broken));

      const file = JSON.parse(readFileSync(join(dir, 'finetorch', 'autotune.json'), 'utf8'));
      expect(file[convCacheKey(info, 'wide')].config).toBe(formatConvTile(b));
      expect(cachedConvTiles(info)).toEqual({ wide: b, narrow: a });

      // the backend runs the cached choice once it is prepared
      process.env.FINETORCH_AUTOTUNE = '1';
      setConvTiles(rt(), { wide: defaultConvTile(info.isSoftware), narrow: defaultConvTile(info.isSoftware) });
      await prepareConvTiles(rt());
      expect(convTile(rt(), 32)).toEqual(b);
      expect(convTile(rt(), 8)).toEqual(a);

      // off: nothing read, nothing timed, the tiles stay as they are
      process.env.FINETORCH_AUTOTUNE = '0';
      setConvTiles(rt(), { wide: defaultConvTile(info.isSoftware), narrow: defaultConvTile(info.isSoftware) });
      await prepareConvTiles(rt());
      expect(convTile(rt(), 32)).toEqual(defaultConvTile(info.isSoftware));
    });
  });
});
