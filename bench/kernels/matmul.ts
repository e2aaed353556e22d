// Matmul kernel micro-benchmark: the webgpu kernels recorded directly on the runtime (no autograd,
// no Tensor), for one or more configs and sizes. Times are medians after a warm-up; each run ends
// with a readback of one element, so the queued work has finished. The configs' runs are
// interleaved (round-robin), so a change in background load hits them alike; the load average is
// printed before and after. For exploring configs by hand; the autotuner and
// `npm run bench -- matmul` are the regular paths.
//
//   npx tsx bench/kernels/matmul.ts [--n 1024] [--runs 5] [--configs tile:8x8x8x1,sg:32x1x1,pk:32x1]
//                                   [--trans NN|NT|TN|TT] [--batch 1] [--check]
import type { MatmulArgs, View } from '../../src/kernels/backend.js';
import {
  encodeMatmul,
  formatMatmulConfig,
  parseMatmulConfig,
  SOFTWARE_TILE,
} from '../../src/kernels/webgpu/matmul/index.js';
import { acquireRuntime, releaseRuntime } from '../../src/kernels/webgpu/runtime.js';
import { loadavg } from 'node:os';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const sizes = (opt('n') ?? '1024').split(',').map(Number);
const runs = Number(opt('runs') ?? 5);
const trans = opt('trans') ?? 'NN';
const batch = Number(opt('batch') ?? 1);
const configs = (opt('configs') ?? 'tile:8x8x8x1').split(',').map(parseMatmulConfig);

const rt = await acquireRuntime();
if (!rt) throw new Error('no webgpu adapter');
console.log(
  `adapter: ${rt.info.description} (subgroup size ${rt.info.subgroupSize}); load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const upload = (len: number) => {
  const x = new Float32Array(len);
  for (let i = 0; i < len; i++) x[i] = Math.sin(i);
  const buf = rt.createBuffer(len * 4);
  rt.upload(buf, x);
  return buf;
};
const view = (buf: GPUBuffer, len: number): View => ({
  storage: { device: 'webgpu', dtype: 'float32', length: len, refs: 1, released: false, handle: buf },
  shape: [len],
  strides: [1],
  offset: 0,
  dtype: 'float32',
});

for (const n of sizes) {
  const m = n,
    k = n;
  const va = view(upload(batch * m * k), batch * m * k),
    vb = view(upload(batch * k * n), batch * k * n);
  const out = rt.createBuffer(batch * m * n * 4);
  const g: MatmulArgs = {
    batch,
    m,
    n,
    k,
    transA: trans[0] === 'T',
    transB: trans[1] === 'T',
    strideA: m * k,
    strideB: k * n,
  };
  const once = async (c: (typeof configs)[number]) => {
    encodeMatmul(rt, va, vb, g, out, c, SOFTWARE_TILE);
    await rt.read(out, 0, 4);
  };
  for (const c of configs) {
    await once(c);
    if (argv.includes('--check')) {
      const got = new Float32Array(await rt.read(out, 0, batch * m * n * 4));
      const A = new Float32Array(batch * m * k).map((_, i) => Math.sin(i)),
        B = new Float32Array(batch * k * n).map((_, i) => Math.sin(i));
      let worst = 0;
      for (let bt = 0; bt < batch; bt++)
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) {
              const av = g.transA ? A[bt * m * k + p * m + i] : A[bt * m * k + i * k + p];
              const bv = g.transB ? B[bt * k * n + j * k + p] : B[bt * k * n + p * n + j];
              s += av * bv;
            }
            worst = Math.max(worst, Math.abs(s - got[(bt * m + i) * n + j]));
          }
      console.log(`  ${formatMatmulConfig(c)} check: max abs error ${worst.toExponential(2)}`);
    }
  }
  const times = configs.map(() => [] as number[]),
    cpu = configs.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < configs.length; i++) {
      const t0 = performance.now(),
        c0 = process.cpuUsage();
      await once(configs[i]);
      times[i].push(performance.now() - t0);
      const dc = process.cpuUsage(c0);
      cpu[i].push((dc.user + dc.system) / 1000);
    }
  }
  configs.forEach((c, i) => {
    const ms = median(times[i]),
      cms = median(cpu[i]);
    const gf = (t: number) => ((2 * batch * m * n * k) / t / 1e6).toFixed(2);
    // process CPU time (all lavapipe threads) is steadier than wall time on a shared machine
    console.log(
      `n=${n} ${trans} b=${batch} ${formatMatmulConfig(c)}: ${ms.toFixed(1)} ms, ${gf(ms)} GFLOP/s wall; cpu ${cms.toFixed(0)} ms → ${gf(cms / 2)} GFLOP/s per 2 cores`,
    );
  });
  rt.releaseBuffer(va.storage.handle as GPUBuffer);
  rt.releaseBuffer(vb.storage.handle as GPUBuffer);
  rt.releaseBuffer(out);
}
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
releaseRuntime();
