// Training-step profiler: one SGD step (forward + crossEntropy + backward + optimizer) of SmallCNN
// (batch 64, 1×28×28) or ResNet-18 (batch 16, 3×64×64) on the cpu or webgpu device.
//
//   npx tsx bench/profile-step.ts [--model smallcnn|resnet18] [--device webgpu|cpu] [--steps 10]
//                                 [--profile] [--env NAME=a,b] [--frozen | --eval]
//
// `--frozen` freezes every parameter but the head (the seed's fine-tuning step); `--eval` profiles
// an eval forward under noGrad instead (ResNet-18: batch 8, 3×224×224, the benchmark's eval case).
//
// Reports the median wall time per step and the process CPU time per step (all threads: lavapipe
// runs the kernels on this process's threads, so on a busy machine CPU time is the steadier number),
// and dispatches per step. `--profile` adds, on webgpu, the dispatches per kernel key and each kernel
// family's device time, measured by replaying every dispatch of one recorded step on its own
// (repeated, minus an empty submit); and the host time spent recording the step with no workgroups
// dispatched (JS + bind groups + submits). On cpu it times every Backend method (synchronous).
// `--env NAME=a,b` runs the steps once per value of an environment variable, interleaved, for A/B
// comparisons in one process (the library reads the variable at call time where that is supported;
// this script maps FT_NORM=wg-serial-vec onto the batch-norm statistics kernels' options).
import * as torch from '../src/index.js';
import type { Backend } from '../src/kernels/backend.js';
import { backendFor } from '../src/tensor/device.js';
import { webgpuBackend } from '../src/kernels/webgpu/register.js';
import type { Runtime } from '../src/kernels/webgpu/runtime.js';
import { normOptions } from '../src/kernels/webgpu/norm.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const modelName = opt('model', 'smallcnn');
const device = opt('device', 'webgpu') as torch.Device;
const steps = Number(opt('steps', '10'));
const profile = argv.includes('--profile');
const envAB = opt('env', '');
const frozen = argv.includes('--frozen');
const evalMode = argv.includes('--eval');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number) => x.toFixed(1).padStart(8);

torch.manualSeed(0);
const model =
  modelName === 'resnet18' ? torch.models.resnet18({ numClasses: 10 }) : new torch.models.SmallCNN({ numClasses: 10 });
await model.toAsync(device);
if (frozen) {
  torch.finetune.freeze(model);
  torch.finetune.unfreeze(model, [modelName === 'resnet18' ? 'fc' : 'head']);
}
if (evalMode) model.eval();
else model.train();
const [n, shape] = modelName === 'resnet18' ? (evalMode ? [8, [3, 224, 224]] : [16, [3, 64, 64]]) : [64, [1, 28, 28]];
const x = torch.keep(torch.randn([n, ...shape], { device }));
const y = torch.keep(torch.randint(0, 10, [n], { device, dtype: 'int32' }));
const opt_ = new torch.optim.SGD(
  model.parameters().filter((p) => p.requiresGrad),
  { lr: 0.01, momentum: 0.9 },
);
const backend: Backend = backendFor(device);
const rt: Runtime | null = device === 'webgpu' ? webgpuBackend()!.rt : null;

function step(): void {
  if (process.env.FT_NORM) {
    const [wg, serial, vec] = process.env.FT_NORM.split('-').map(Number);
    Object.assign(normOptions, { wg, serial: !!serial, vec: !!vec });
  }
  if (evalMode) {
    torch.scope(() => torch.noGrad(() => model.call(x)));
    return;
  }
  torch.scope(() => {
    const loss = torch.nn.functional.crossEntropy(model.call(x), y);
    opt_.zeroGrad();
    loss.backward();
    opt_.step();
  });
}
async function sync(): Promise<void> {
  if (device === 'webgpu') await torch.webgpu.synchronize();
}

async function timeSteps(k: number): Promise<{ wall: number[]; cpu: number[]; dispatches: number }> {
  const wall: number[] = [],
    cpu: number[] = [];
  let d = 0;
  for (let i = 0; i < k; i++) {
    const d0 = backend.dispatches;
    const c0 = process.cpuUsage(),
      t0 = performance.now();
    step();
    await sync();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    d = backend.dispatches - d0;
  }
  return { wall, cpu, dispatches: d };
}

// warm-up: pipelines, pool, optimizer state
for (let i = 0; i < 2; i++) {
  step();
  await sync();
}

if (envAB) {
  const [name, values] = envAB.split('=');
  const vals = values.split(',');
  const res = new Map<string, { wall: number[]; cpu: number[]; d: number }>(
    vals.map((v) => [v, { wall: [], cpu: [], d: 0 }]),
  );
  for (const v of vals) {
    process.env[name] = v;
    step();
    await sync();
  }
  for (let i = 0; i < steps; i++) {
    for (const v of vals) {
      process.env[name] = v;
      const r = await timeSteps(1);
      const e = res.get(v)!;
      e.wall.push(...r.wall);
      e.cpu.push(...r.cpu);
      e.d = r.dispatches;
    }
  }
  for (const v of vals) {
    const e = res.get(v)!;
    console.log(
      `${modelName} ${device} ${name}=${v}: step ${fmt(median(e.wall))} ms wall, ${fmt(median(e.cpu))} ms cpu, ${e.d} dispatches`,
    );
  }
} else {
  const r = await timeSteps(steps);
  console.log(
    `${modelName} ${device}: step ${fmt(median(r.wall))} ms wall (min ${median([Math.min(...r.wall)]).toFixed(1)}), ${fmt(median(r.cpu))} ms cpu, ${r.dispatches} dispatches`,
  );
}

if (profile && rt) await profileWebgpu(rt);
if (profile && device === 'cpu') await profileCpu();
torch.webgpu.release();

// ---------- webgpu: dispatches by kernel, device time by family, host overhead ----------

interface Captured {
  key: string;
  buffers: GPUBuffer[];
  params: Uint32Array;
  groups: [number, number, number];
}

async function profileWebgpu(rt: Runtime): Promise<void> {
  const captured: Captured[] = [];
  const orig = rt.dispatch;
  rt.dispatch = function (key, source, buffers, writeParams, groups) {
    let params = new Uint32Array(0);
    orig.call(
      this,
      key,
      source,
      buffers,
      (u, f, i) => {
        writeParams(u, f, i);
        params = u.slice();
      },
      groups,
    );
    captured.push({ key, buffers: [...buffers], params, groups: [...groups] as [number, number, number] });
  };
  step();
  await sync();
  rt.dispatch = orig;

  // host overhead: the same step with every dispatch recorded but no workgroups launched
  const host: number[] = [];
  rt.dispatch = function (key, source, buffers, writeParams) {
    orig.call(this, key, source, buffers, writeParams, [0, 0, 0]);
  };
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    step();
    await sync();
    host.push(performance.now() - t0);
  }
  rt.dispatch = orig;
  // the numbers are garbage now (no kernels ran): put back sane parameters by reloading is not needed
  // for timing, but NaNs could change data-dependent paths; reinitialise the weights
  torch.noGrad(() => {
    for (const p of model.parameters()) p.copy_(torch.mul(torch.randn(p.shape, { device }), 0.05));
  });

  const dev = rt.device;
  const paramBuf = dev.createBuffer({
    size: 256 * captured.length,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  const all = new Uint32Array(64 * captured.length);
  captured.forEach((c, k) => all.set(c.params, 64 * k));
  dev.queue.writeBuffer(paramBuf, 0, all);
  const reps = 3;
  const submitTime = async (k: number | null): Promise<number> => {
    const enc = dev.createCommandEncoder();
    const pass = enc.beginComputePass();
    if (k !== null) {
      const c = captured[k];
      const { pipeline, layout } = rt.pipeline(c.key, () => {
        throw new Error('pipeline should be cached');
      });
      const entries: GPUBindGroupEntry[] = c.buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
      entries.push({ binding: c.buffers.length, resource: { buffer: paramBuf, offset: 256 * k, size: 256 } });
      const bg = dev.createBindGroup({ layout, entries });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bg);
      for (let r = 0; r < reps; r++) if (c.groups.every((g) => g > 0)) pass.dispatchWorkgroups(...c.groups);
    }
    pass.end();
    const t0 = performance.now();
    dev.queue.submit([enc.finish()]);
    await dev.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  const base: number[] = [];
  for (let i = 0; i < 20; i++) base.push(await submitTime(null));
  const b0 = median(base);
  const perKey = new Map<string, { count: number; ms: number }>();
  for (let k = 0; k < captured.length; k++) {
    const ts = [await submitTime(k), await submitTime(k), await submitTime(k)];
    const ms = Math.max(0, median(ts) - b0) / reps;
    const e = perKey.get(captured[k].key) ?? { count: 0, ms: 0 };
    e.count++;
    e.ms += ms;
    perKey.set(captured[k].key, e);
  }
  paramBuf.destroy();
  const family = (key: string) => key.split(':').slice(0, 2).join(':');
  const fam = new Map<string, { count: number; ms: number }>();
  for (const [k, v] of perKey) {
    const e = fam.get(family(k)) ?? { count: 0, ms: 0 };
    e.count += v.count;
    e.ms += v.ms;
    fam.set(family(k), e);
  }
  const total = [...fam.values()].reduce((s, v) => s + v.ms, 0);
  console.log(
    `\n${captured.length} dispatches in one step; replayed device time ${total.toFixed(1)} ms (empty submit ${b0.toFixed(2)} ms subtracted); host-only step (no workgroups) ${median(host).toFixed(1)} ms`,
  );
  console.log('family                                   count   device ms   share');
  for (const [k, v] of [...fam].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(
      `${k.padEnd(40)} ${String(v.count).padStart(5)} ${fmt(v.ms)}   ${((100 * v.ms) / total).toFixed(1).padStart(5)}%`,
    );
  }
  if (argv.includes('--keys')) {
    console.log('\nkernel key                                         count   device ms');
    for (const [k, v] of [...perKey].sort((a, b) => b[1].ms - a[1].ms))
      console.log(`${k.padEnd(50)} ${String(v.count).padStart(5)} ${fmt(v.ms)}`);
  }
}

// ---------- cpu: time per Backend method ----------

async function profileCpu(): Promise<void> {
  const times = new Map<string, { count: number; ms: number }>();
  const b = backend as unknown as Record<string, unknown>;
  const proto = Object.getPrototypeOf(backend) as Record<string, unknown>;
  const names = Object.getOwnPropertyNames(proto).filter((k) => k !== 'constructor' && typeof proto[k] === 'function');
  for (const name of names) {
    const f = proto[name] as (...a: unknown[]) => unknown;
    b[name] = function (this: unknown, ...args: unknown[]) {
      const t0 = performance.now();
      const r = f.apply(this, args);
      const key = typeof args[0] === 'string' ? `${name}:${args[0]}` : name;
      const e = times.get(key) ?? { count: 0, ms: 0 };
      e.count++;
      e.ms += performance.now() - t0;
      times.set(key, e);
      return r;
    };
  }
  const k = 3;
  const t0 = performance.now();
  for (let i = 0; i < k; i++) step();
  const total = (performance.now() - t0) / k;
  for (const name of names) delete b[name];
  const inKernels = [...times.values()].reduce((s, v) => s + v.ms, 0) / k;
  console.log(
    `\nper step: ${total.toFixed(1)} ms, in Backend methods ${inKernels.toFixed(1)} ms, elsewhere (autograd, views, JS) ${(total - inKernels).toFixed(1)} ms`,
  );
  console.log('method                 calls/step    ms/step');
  for (const [name, v] of [...times].sort((a, b2) => b2[1].ms - a[1].ms)) {
    console.log(`${name.padEnd(22)} ${String(v.count / k).padStart(10)} ${fmt(v.ms / k)}`);
  }
}
