// Depthwise conv2d micro-benchmark (MobileNetV2/V3- and EfficientNet-like layers): finetorch's webgpu
// depthwise kernels against the generic path they replace (convOptions.depthwise = false), the cpu
// device's depthwise loops against its im2col GEMM (cpuConvOptions.depthwise = false), and PyTorch
// on the CPU (/usr/bin/python3 or $PYTHON; its thread count printed), all in one run. Kernels are
// called through the Backend (no autograd); each run ends with its outputs read back. Medians of
// `--runs` after a warm-up (which compiles the pipelines). FLOPs: forward 2·n·cOut·oh·ow·kh·kw,
// forward + backward 3× that. GFLOP/s from wall time; the CPU-time columns (all threads of the
// process) are the steadier numbers on a shared machine.
//
//   npx tsx bench/kernels/conv-depthwise.ts [--shape n,c,h,k,stride[,multiplier]] [--runs 5]
//                                           [--only new,old,cpu,cpu-old,torch]
import { execFileSync } from 'node:child_process';
import type { Backend, Conv2dArgs, Storage, View } from '../../src/kernels/backend.js';
import { CpuBackend } from '../../src/kernels/cpu/backend.js';
import { cpuConvOptions } from '../../src/kernels/cpu/conv.js';
import { WebGPUBackend } from '../../src/kernels/webgpu/backend.js';
import { convOptions } from '../../src/kernels/webgpu/conv.js';
import { acquireRuntime, releaseRuntime } from '../../src/kernels/webgpu/runtime.js';

interface Shape {
  n: number;
  c: number;
  h: number;
  k: number;
  s: number;
  m: number;
}
const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const runs = Number(opt('runs') ?? 5);
const only = (opt('only') ?? 'new,old,cpu,cpu-old,torch').split(',');
const parse = (s: string): Shape => {
  const [n, c, h, k, st, m = 1] = s.split(',').map(Number);
  return { n, c, h, k, s: st, m };
};
const shapes = opt('shape')
  ? [parse(opt('shape')!)]
  : ['16,96,56,3,2', '16,144,28,3,1', '16,672,14,5,1', '16,240,14,5,1', '1,144,56,3,1', '16,32,28,3,1,2'].map(parse);

const argsOf = (s: Shape): Conv2dArgs => {
  const p = (s.k - 1) >> 1,
    o = Math.floor((s.h + 2 * p - s.k) / s.s) + 1;
  return {
    n: s.n,
    cIn: s.c,
    h: s.h,
    w: s.h,
    cOut: s.c * s.m,
    kh: s.k,
    kw: s.k,
    oh: o,
    ow: o,
    strideH: s.s,
    strideW: s.s,
    padH: p,
    padW: p,
    dilH: 1,
    dilW: 1,
    groups: s.c,
  };
};
const fwdFlops = (a: Conv2dArgs) => 2 * a.n * a.cOut * a.oh * a.ow * a.kh * a.kw;
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
const rand = (len: number) => {
  const r = new Float32Array(len);
  for (let i = 0; i < len; i++) r[i] = Math.random() * 2 - 1;
  return r;
};

/** median wall ms, and process CPU ms per run (all threads, lavapipe's included: steadier on a busy machine) */
type Timing = [number, number];
async function time(fn: () => Promise<void>): Promise<Timing> {
  await fn();
  const ts: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  const c = process.cpuUsage(c0);
  return [median(ts), (c.user + c.system) / 1000 / runs];
}

/** forward, forward + both gradients */
async function ours(be: Backend, a: Conv2dArgs): Promise<[Timing, Timing]> {
  const view = (s: Storage, shape: number[]): View => {
    const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, q) => p * q, 1));
    return { storage: s, shape, strides, offset: 0, dtype: 'float32' };
  };
  const x = view(be.upload(rand(a.n * a.cIn * a.h * a.w), 'float32'), [a.n, a.cIn, a.h, a.w]);
  const w = view(be.upload(rand(a.cOut * a.kh * a.kw), 'float32'), [a.cOut, 1, a.kh, a.kw]);
  const gy = view(be.upload(rand(a.n * a.cOut * a.oh * a.ow), 'float32'), [a.n, a.cOut, a.oh, a.ow]);
  const readAll = async (ss: Storage[]) => {
    for (const s of ss) {
      await be.read(s, 0, s.length);
      be.release(s);
    }
  };
  const fwd = await time(async () => {
    await readAll([be.conv2d(x, w, null, a)]);
  });
  const both = await time(async () => {
    await readAll([be.conv2d(x, w, null, a), be.conv2dBackwardInput(gy, w, a), be.conv2dBackwardWeight(gy, x, a)]);
  });
  for (const v of [x, w, gy]) be.release(v.storage);
  return [fwd, both];
}

const TORCH = `
import json, sys, time, torch, torch.nn.functional as F
s = json.loads(sys.argv[1]); runs = s["runs"]; out = {"threads": torch.get_num_threads(), "rows": []}
for a in s["shapes"]:
    x = torch.randn(a["n"], a["cIn"], a["h"], a["w"], requires_grad=True); w = torch.randn(a["cOut"], 1, a["kh"], a["kw"], requires_grad=True)
    conv = lambda: F.conv2d(x, w, None, a["strideH"], a["padH"], 1, a["groups"])
    gy = torch.randn_like(conv())
    def t(fn):
        fn(); ts = []; c0 = time.process_time()
        for _ in range(runs):
            t0 = time.perf_counter(); fn(); ts.append((time.perf_counter() - t0) * 1e3)
        return [sorted(ts)[len(ts) // 2], (time.process_time() - c0) * 1e3 / runs]
    with torch.no_grad(): f = t(conv)
    out["rows"].append([f, t(lambda: torch.autograd.grad(conv(), (x, w), gy))])
print(json.dumps(out))`;

async function main() {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const rt = only.some((o) => o === 'new' || o === 'old') ? await acquireRuntime() : null;
  const gpu = rt ? new WebGPUBackend(rt) : null;
  if (rt) console.log(`adapter: ${rt.info.description}`);
  const all = shapes.map(argsOf);
  let torch: { threads: number; rows: [Timing, Timing][] } | null = null;
  if (only.includes('torch')) {
    try {
      torch = JSON.parse(
        execFileSync(process.env.PYTHON ?? '/usr/bin/python3', ['-c', TORCH, JSON.stringify({ shapes: all, runs })], {
          encoding: 'utf8',
        }),
      );
      console.log(`pytorch ${torch!.threads} thread(s)`);
    } catch (e) {
      console.log(`pytorch unavailable: ${String(e).split('\n')[0]}`);
    }
  }
  const cpu = new CpuBackend();
  for (const [i, a] of all.entries()) {
    const fl = fwdFlops(a);
    console.log(
      `\ndepthwise x[${a.n},${a.cIn},${a.h},${a.w}] ${a.kh}x${a.kw} stride ${a.strideH} multiplier ${a.cOut / a.cIn}: ${(fl / 1e6).toFixed(1)} MFLOP fwd`,
    );
    const rows: [string, [Timing, Timing]][] = [];
    if (gpu && only.includes('new')) {
      convOptions.depthwise = true;
      rows.push(['webgpu depthwise', await ours(gpu, a)]);
    }
    if (gpu && only.includes('old')) {
      convOptions.depthwise = false;
      rows.push(['webgpu generic', await ours(gpu, a)]);
      convOptions.depthwise = true;
    }
    if (only.includes('cpu')) {
      cpuConvOptions.depthwise = true;
      rows.push(['cpu depthwise', await ours(cpu, a)]);
    }
    if (only.includes('cpu-old')) {
      cpuConvOptions.depthwise = false;
      rows.push(['cpu im2col', await ours(cpu, a)]);
      cpuConvOptions.depthwise = true;
    }
    if (torch) rows.push([`pytorch (${torch.threads}t)`, torch.rows[i]]);
    console.log('impl                fwd ms  (cpu ms)  fwd GFLOP/s  fwd+bwd ms  (cpu ms)  fwd+bwd GFLOP/s');
    const f = (x: number, d: number, w: number) => x.toFixed(d).padStart(w);
    for (const [name, [fw, fb]] of rows) {
      console.log(
        `${name.padEnd(18)} ${f(fw[0], 2, 7)}  ${f(fw[1], 1, 8)}  ${f(fl / fw[0] / 1e6, 2, 11)}  ${f(fb[0], 2, 10)}  ${f(fb[1], 1, 8)}  ${f((3 * fl) / fb[0] / 1e6, 2, 15)}`,
      );
    }
  }
  if (rt) releaseRuntime();
  process.exit(0);
}
await main();
