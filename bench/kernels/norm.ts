// Batch-norm kernel micro-benchmark: the four fused kernels (statistics, normalise, gradient sums,
// input gradient) on the BatchNorm shapes of the SmallCNN (batch 64, 28×28) and ResNet-18 (batch 16,
// 64×64) training steps, through the Backend, on webgpu (and cpu with --cpu). Median of `--runs`
// timings of `--reps` back-to-back calls, each timing ending with a device sync.
//
//   npx tsx bench/kernels/norm.ts [--runs 5] [--reps 5] [--cpu] [--shape n,c,h,w]
//                                 [--variants wg,serial,vec;wg,serial,vec...  e.g. 256,0,0;64,1,1]
import type { Backend, NormArgs, Storage, View } from '../../src/kernels/backend.js';
import { CpuBackend } from '../../src/kernels/cpu/backend.js';
import { WebGPUBackend } from '../../src/kernels/webgpu/backend.js';
import { normOptions } from '../../src/kernels/webgpu/norm.js';
import { acquireRuntime, releaseRuntime } from '../../src/kernels/webgpu/runtime.js';

const argv = process.argv.slice(2);
const opt = (name: string, d: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : d;
};
const runs = Number(opt('runs', '5')),
  reps = Number(opt('reps', '5'));
const shapes = argv.includes('--shape')
  ? [opt('shape', '').split(',').map(Number)]
  : [
      [64, 16, 28, 28],
      [64, 32, 14, 14],
      [64, 64, 7, 7], // SmallCNN
      [16, 64, 32, 32],
      [16, 64, 16, 16],
      [16, 128, 8, 8],
      [16, 256, 4, 4],
      [16, 512, 2, 2], // ResNet-18
    ];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const view = (s: Storage, shape: number[], offset = 0): View => ({
  storage: s,
  shape,
  strides: shape.map((_, i) => shape.slice(i + 1).reduce((p, q) => p * q, 1)),
  offset,
  dtype: 'float32',
});
const rand = (n: number) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);

const rt = argv.includes('--cpu') ? null : await acquireRuntime();
const backends: [string, Backend][] = [];
if (rt) backends.push(['webgpu', new WebGPUBackend(rt)]);
if (argv.includes('--cpu')) backends.push(['cpu', new CpuBackend()]);

const variants = opt('variants', '')
  .split(';')
  .filter(Boolean)
  .map((v) => v.split(',').map(Number));
if (!variants.length) variants.push([normOptions.wg, +normOptions.serial, +normOptions.vec]);

for (const [wg, serial, vec] of variants)
  for (const [name, be] of backends) {
    Object.assign(normOptions, { wg, serial: !!serial, vec: !!vec });
    if (rt)
      console.log(
        `statistics kernels: workgroup ${wg}, ${serial ? 'serial' : 'tree'} sum, ${vec ? 'vec4' : 'scalar'} loads`,
      );
    const sync = async () => {
      if (rt) await rt.sync();
    };
    console.log(`${name}: ms per call (median of ${runs} × ${reps} calls)`);
    console.log('shape                 stats  forward    sums    input');
    for (const [n, c, h, w] of shapes) {
      const total = n * c * h * w;
      const a: NormArgs = { outer: n, c, inner: h * w, eps: 1e-5 };
      const x = view(be.upload(rand(total), 'float32'), [n, c, h, w]);
      const g = view(be.upload(rand(total), 'float32'), [n, c, h, w]);
      const rm = view(be.upload(rand(c), 'float32'), [c]),
        rv = view(be.upload(rand(c).map(Math.abs), 'float32'), [c]);
      const wt = view(be.upload(rand(c), 'float32'), [c]),
        bs = view(be.upload(rand(c), 'float32'), [c]);
      const st = be.batchNormStats(x, a, null);
      const mean = view(st, [c]),
        vr = view(st, [c], c);
      const sums = view(be.batchNormBackwardSums(g, x, mean, vr, a), [2 * c]);
      const time = async (f: () => Storage | void) => {
        const ts: number[] = [];
        for (let r = 0; r <= runs; r++) {
          const outs: Storage[] = [];
          const t0 = performance.now();
          for (let k = 0; k < reps; k++) {
            const o = f();
            if (o) outs.push(o);
          }
          await sync();
          if (r) ts.push((performance.now() - t0) / reps);
          for (const o of outs) be.release(o);
        }
        return median(ts);
      };
      const t = [
        await time(() => be.batchNormStats(x, a, { mean: rm, var: rv, momentum: 0.1 })),
        await time(() => be.batchNormForward(x, mean, vr, wt, bs, a)),
        await time(() => be.batchNormBackwardSums(g, x, mean, vr, a)),
        await time(() => be.batchNormBackwardInput(g, x, mean, vr, wt, sums, a)),
      ];
      console.log(`${[n, c, h, w].join('x').padEnd(18)} ${t.map((v) => v.toFixed(2).padStart(8)).join('')}`);
      for (const s of [x, g, rm, rv, wt, bs, mean, sums]) if (!s.storage.released) be.release(s.storage);
    }
  }
releaseRuntime();
