// Conv tile sweep: times the tiled forward kernel with each (tm, rows, wg) candidate (or, with
// --wgrad, the weight gradient with each (tm, rw, wg, target lanes) candidate) on the
// convolution shapes of ResNet-18 (training at 64×64 batch 16, eval at 224×224 batch 8), candidates
// interleaved round by round so a busy machine slows them alike. Prints GFLOP/s per candidate and
// shape (median of --runs), from process CPU time and wall time.
//
//   npx tsx bench/kernels/conv-tiles.ts [--runs 5] [--set train|eval] [--cands tm.rows.wg,...]
//   npx tsx bench/kernels/conv-tiles.ts --wgrad [--cands tm.rw.wg.lanes,...]
import type { Conv2dArgs, Storage, View } from '../../src/kernels/backend.js';
import { WebGPUBackend } from '../../src/kernels/webgpu/backend.js';
import { convOptions } from '../../src/kernels/webgpu/conv.js';
import { acquireRuntime, releaseRuntime } from '../../src/kernels/webgpu/runtime.js';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const runs = Number(opt('runs') ?? 5);
const set = opt('set') ?? 'train';
// n, c, hw, stride (3×3, pad 1, cIn = c / stride... as in ResNet's blocks)
const shapes: [number, number, number, number, number][] =
  set === 'eval'
    ? [
        [8, 64, 64, 56, 1],
        [8, 128, 128, 28, 1],
        [8, 256, 256, 14, 1],
        [8, 512, 512, 7, 1],
        [8, 64, 128, 56, 2],
      ]
    : [
        [16, 64, 64, 16, 1],
        [16, 128, 128, 8, 1],
        [16, 256, 256, 4, 1],
        [16, 512, 512, 2, 1],
        [16, 64, 128, 16, 2],
      ];
const wgrad = argv.includes('--wgrad');
const cands = (
  opt('cands') ??
  (wgrad
    ? '8.2.8.8192,8.1.8.8192,8.4.8.8192,4.2.8.8192,8.2.16.8192,8.2.8.4096,8.2.8.16384'
    : '8.2.8,8.1.8,8.4.8,4.2.8,4.4.8,8.2.16,8.2.32')
)
  .split(',')
  .map((c) => {
    const [tm, r, wg, lanes] = c.split('.').map(Number);
    return { tm, rows: r, rw: r, wg, lanes, name: c };
  });
const use = (c: (typeof cands)[number] | undefined) => {
  if (wgrad) convOptions.wgrad = c;
  else convOptions.fwd = c;
};

const rt = await acquireRuntime();
if (!rt) throw new Error('conv-tiles: no WebGPU adapter');
const be = new WebGPUBackend(rt);
const rand = (len: number) => {
  const r = new Float32Array(len);
  for (let i = 0; i < len; i++) r[i] = Math.random() * 2 - 1;
  return r;
};
const view = (s: Storage, shape: number[]): View => {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, q) => p * q, 1));
  return { storage: s, shape, strides, offset: 0, dtype: 'float32' };
};
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];

console.log(
  `adapter ${rt.info.description}; runs ${runs}; load ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log(`${'shape'.padEnd(28)} ${cands.map((c) => c.name.padStart(16)).join('')}   (GFLOP/s cpu-time / wall)`);
for (const [n, cIn, cOut, hw, stride] of shapes) {
  const oh = Math.floor((hw + 2 - 3) / stride) + 1;
  const a: Conv2dArgs = {
    n,
    cIn,
    h: hw,
    w: hw,
    cOut,
    kh: 3,
    kw: 3,
    oh,
    ow: oh,
    strideH: stride,
    strideW: stride,
    padH: 1,
    padW: 1,
    dilH: 1,
    dilW: 1,
    groups: 1,
  };
  const flops = 2 * n * cOut * oh * oh * cIn * 9;
  const x = view(be.upload(rand(n * cIn * hw * hw), 'float32'), [n, cIn, hw, hw]);
  const w = view(be.upload(rand(cOut * cIn * 9), 'float32'), [cOut, cIn, 3, 3]);
  const gy = view(be.upload(rand(n * cOut * oh * oh), 'float32'), [n, cOut, oh, oh]);
  const once = async () => {
    const y = wgrad ? be.conv2dBackwardWeight(gy, x, a) : be.conv2d(x, w, null, a);
    await be.read(y, 0, 1);
    be.release(y);
  };
  const wall = cands.map(() => [] as number[]),
    cpu = cands.map(() => [] as number[]);
  for (const c of cands) {
    use(c);
    await once();
  }
  for (let r = 0; r < runs; r++) {
    for (const [i, c] of cands.entries()) {
      use(c);
      const c0 = process.cpuUsage(),
        t0 = performance.now();
      await once();
      wall[i].push(performance.now() - t0);
      const u = process.cpuUsage(c0);
      cpu[i].push((u.user + u.system) / 1000 / 2); // 2 cores: CPU ms / cores ≈ wall on an idle machine
    }
  }
  const cell = (i: number) =>
    `${(flops / median(cpu[i]) / 1e6).toFixed(1)}/${(flops / median(wall[i]) / 1e6).toFixed(1)}`.padStart(16);
  console.log(`${`${n}×${cIn}→${cOut} ${hw}² s${stride}`.padEnd(28)} ${cands.map((_, i) => cell(i)).join('')}`);
  be.release(x.storage);
  be.release(w.storage);
  be.release(gy.storage);
}
use(undefined);
releaseRuntime();
