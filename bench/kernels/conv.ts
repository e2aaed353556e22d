// Conv2d kernel micro-benchmark: finetorch's webgpu and cpu conv kernels (called through the Backend,
// no autograd) against TF.js (webgpu and wasm backends) on the same adapter, in one process.
// Times are medians of `--runs` runs after a warm-up; every run ends with the outputs read back to
// the host, so queued GPU work is counted. FLOPs: forward 2·n·cOut·oh·ow·(cIn/g)·kh·kw, backward 2×
// that (input and weight gradients).
//
//   npx tsx bench/kernels/conv.ts [--shape n,cIn,cOut,h,w,k,stride,pad[,groups]] [--runs 5]
//                                 [--only ours,cpu,tfjs-webgpu,tfjs-wasm] [--sweep]
//                                 [--no-subgroups | --variants (also time ours without subgroups)]
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { Backend, Conv2dArgs, Storage, View } from '../../src/kernels/backend.js';
import { CpuBackend } from '../../src/kernels/cpu/backend.js';
import { WebGPUBackend } from '../../src/kernels/webgpu/backend.js';
import { convOptions } from '../../src/kernels/webgpu/conv.js';
import { acquireRuntime, releaseRuntime } from '../../src/kernels/webgpu/runtime.js';
import { registerConv2dGradient } from '../lib/tfjs.js';

/** k: a square window, or kh×kw written "1x3" (conv1d is h = 1 with a 1×k window and no vertical padding) */
interface Shape {
  n: number;
  cIn: number;
  cOut: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  stride: number;
  pad: number;
  groups: number;
}

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const runs = Number(opt('runs') ?? 5);
// the kernels without subgroup operations (what a device without the feature runs)
if (argv.includes('--no-subgroups')) convOptions.subgroups = false;
const only = (opt('only') ?? 'ours,cpu,tfjs-webgpu,tfjs-wasm').split(',');
const parseShape = (s: string): Shape => {
  const f = s.split(',');
  const [n, cIn, cOut, h, w] = f.slice(0, 5).map(Number);
  const [kh, kw = kh] = f[5].split('x').map(Number);
  const [stride, pad, groups = 1] = f.slice(6).map(Number);
  return { n, cIn, cOut, h, w, kh, kw, stride, pad, groups };
};
const shapes: Shape[] = argv.includes('--sweep')
  ? [
      '16,64,64,32,32,3,1,1',
      '16,3,64,32,32,3,1,1',
      '16,64,128,32,32,3,2,1',
      '16,128,128,16,16,3,1,1',
      '16,64,128,32,32,1,2,0',
      '16,64,256,32,32,1,1,0',
      '16,64,64,32,32,3,1,1,64',
      '1,64,64,56,56,3,1,1',
      '4,3,64,112,112,7,2,3',
      '32,128,100,1,64,1x3,1,0',
    ].map(parseShape)
  : [parseShape(opt('shape') ?? '16,64,64,32,32,3,1,1')];

function convArgs(s: Shape): Conv2dArgs {
  const padH = s.kh === 1 ? 0 : s.pad;
  const oh = Math.floor((s.h + 2 * padH - s.kh) / s.stride) + 1,
    ow = Math.floor((s.w + 2 * s.pad - s.kw) / s.stride) + 1;
  return {
    n: s.n,
    cIn: s.cIn,
    h: s.h,
    w: s.w,
    cOut: s.cOut,
    kh: s.kh,
    kw: s.kw,
    oh,
    ow,
    strideH: s.stride,
    strideW: s.stride,
    padH,
    padW: s.pad,
    dilH: 1,
    dilW: 1,
    groups: s.groups,
  };
}
const fwdFlops = (a: Conv2dArgs) => 2 * a.n * a.cOut * a.oh * a.ow * (a.cIn / a.groups) * a.kh * a.kw;
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
const rand = (len: number) => {
  const r = new Float32Array(len);
  for (let i = 0; i < len; i++) r[i] = Math.random() * 2 - 1;
  return r;
};

/** median wall time, and process CPU time per run (all threads: a steadier number on a busy machine) */
interface Timing {
  wall: number;
  cpu: number;
}
async function time(fn: () => Promise<void>, n = runs): Promise<Timing> {
  await fn(); // warm-up: pipeline compilation, pool fill
  const ts: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  const c = process.cpuUsage(c0);
  return { wall: median(ts), cpu: (c.user + c.system) / 1000 / n };
}
const NONE: Timing = { wall: NaN, cpu: NaN };

type Row = { impl: string; fwd: Timing; fwdBwd: Timing };

async function ours(be: Backend, a: Conv2dArgs, label: string, nRuns: number): Promise<Row> {
  const view = (s: Storage, shape: number[]): View => {
    const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, q) => p * q, 1));
    return { storage: s, shape, strides, offset: 0, dtype: 'float32' };
  };
  const x = view(be.upload(rand(a.n * a.cIn * a.h * a.w), 'float32'), [a.n, a.cIn, a.h, a.w]);
  const w = view(be.upload(rand(a.cOut * (a.cIn / a.groups) * a.kh * a.kw), 'float32'), [
    a.cOut,
    a.cIn / a.groups,
    a.kh,
    a.kw,
  ]);
  const gy = view(be.upload(rand(a.n * a.cOut * a.oh * a.ow), 'float32'), [a.n, a.cOut, a.oh, a.ow]);
  const readAll = async (ss: Storage[]) => {
    for (const s of ss) {
      await be.read(s, 0, s.length);
      be.release(s);
    }
  };
  const fwd = await time(async () => {
    await readAll([be.conv2d(x, w, null, a)]);
  }, nRuns);
  const fwdBwd = await time(async () => {
    await readAll([be.conv2d(x, w, null, a), be.conv2dBackwardInput(gy, w, a), be.conv2dBackwardWeight(gy, x, a)]);
  }, nRuns);
  for (const v of [x, w, gy]) be.release(v.storage);
  return { impl: label, fwd, fwdBwd };
}

// TF.js: NHWC (its native layout), filter [kh, kw, cIn, cOut]; backward through tf.grads.
async function tfjs(backend: 'webgpu' | 'wasm', a: Conv2dArgs): Promise<Row> {
  const tf = await import('@tensorflow/tfjs-core');
  registerConv2dGradient(tf);
  if (backend === 'webgpu' && !(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    (globalThis as { navigator?: unknown }).navigator = { gpu: create([]) };
    await import('@tensorflow/tfjs-backend-webgpu');
  } else if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    wasm.setWasmPaths(`${join(dist, 'dist')}/`);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} unavailable`);
  await tf.ready();
  if (a.groups !== 1) return { impl: `tfjs-${backend}`, fwd: NONE, fwdBwd: NONE };
  const x = tf.tensor4d(rand(a.n * a.h * a.w * a.cIn), [a.n, a.h, a.w, a.cIn]);
  const f = tf.tensor4d(rand(a.kh * a.kw * a.cIn * a.cOut), [a.kh, a.kw, a.cIn, a.cOut]);
  const pad =
    a.padH === 0 && a.padW === 0
      ? 'valid'
      : ([
          [0, 0],
          [a.padH, a.padH],
          [a.padW, a.padW],
          [0, 0],
        ] as [[number, number], [number, number], [number, number], [number, number]]);
  const conv = (xx: typeof x, ff: typeof f) => tf.conv2d(xx, ff, [a.strideH, a.strideW], pad);
  const fwd = await time(async () => {
    const y = conv(x, f);
    await y.data();
    y.dispose();
  });
  const g = tf.grads((xx, ff) => conv(xx as typeof x, ff as typeof f));
  // tfjs-backend-wasm has no Conv2DBackpropFilter kernel: no backward number there
  const hasBackward = ['Conv2DBackpropInput', 'Conv2DBackpropFilter'].every((k) => tf.getKernel(k, backend));
  const fwdBwd = !hasBackward
    ? NONE
    : await time(async () => {
        const y = conv(x, f);
        const [gx, gf] = g([x, f]);
        await y.data();
        await gx.data();
        await gf.data();
        y.dispose();
        gx.dispose();
        gf.dispose();
      });
  x.dispose();
  f.dispose();
  return { impl: `tfjs-${backend}`, fwd, fwdBwd };
}

async function main() {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const rt = only.includes('ours') ? await acquireRuntime() : null;
  const gpu = rt ? new WebGPUBackend(rt) : null;
  if (rt) console.log(`adapter: ${rt.info.description}`);
  for (const s of shapes) {
    const a = convArgs(s);
    const fl = fwdFlops(a);
    console.log(
      `\nconv2d x[${a.n},${a.cIn},${a.h},${a.w}] w[${a.cOut},${a.cIn / a.groups},${a.kh},${a.kw}] stride ${s.stride} pad ${s.pad} groups ${a.groups}: ${(fl / 1e9).toFixed(3)} GFLOP fwd`,
    );
    const rows: Row[] = [];
    if (gpu) rows.push(await ours(gpu, a, 'finetorch-webgpu', runs));
    if (gpu && argv.includes('--variants') && convOptions.subgroups) {
      convOptions.subgroups = false;
      rows.push(await ours(gpu, a, 'ft-webgpu no-sg', runs));
      convOptions.subgroups = true;
    }
    // the cpu reference is slow: fewer runs on big shapes
    if (only.includes('cpu')) rows.push(await ours(new CpuBackend(), a, 'finetorch-cpu', fl > 5e8 ? 3 : runs));
    for (const b of ['webgpu', 'wasm'] as const) if (only.includes(`tfjs-${b}`)) rows.push(await tfjs(b, a));
    console.log('impl               fwd ms  (cpu ms)  fwd GFLOP/s  fwd+bwd ms  (cpu ms)  fwd+bwd GFLOP/s');
    const f = (x: number, d = 1, w = 7) => x.toFixed(d).padStart(w);
    for (const r of rows) {
      console.log(
        `${r.impl.padEnd(18)} ${f(r.fwd.wall)}  ${f(r.fwd.cpu, 0, 8)}  ${f(fl / r.fwd.wall / 1e6, 2, 11)}  ${f(r.fwdBwd.wall, 1, 10)}  ${f(r.fwdBwd.cpu, 0, 8)}  ${f((3 * fl) / r.fwdBwd.wall / 1e6, 2, 15)}`,
      );
    }
  }
  releaseRuntime();
  process.exit(0);
}
await main();
