// The in-browser benchmark page: bench/workloads' matmul (n = 1024), MLP step and SmallCNN step —
// the very workload files `npm run bench` runs in Node — timed in this page with the same rule
// (bench/lib/harness.ts timeStep), for finetorch's browser bundle on webgpu and cpu, and TF.js 4.22
// on its webgpu and wasm backends (with a TF.js SmallCNN twin, tfjs-smallcnn.ts). Results land in window.benchResult (run.ts collects them) and in
// the page as the same markdown tables.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  DEFAULT_TIMING,
  isNA,
  na,
  table,
  timeStep,
  type Cell,
  type ContenderId,
  type Step,
  type NA,
  type Workload,
} from '../lib/harness.js';
import { finetorch } from '../lib/ours.js';
import { workload as matmul } from '../workloads/matmul.js';
import { workload as mlp } from '../workloads/mlp.js';
import { workload as smallcnn } from '../workloads/train-step-smallcnn.js';
import { tfjsSmallCnnStep } from './tfjs-smallcnn.js';

setWasmPaths(new URL('./', location.href).href);
const status = (s: string) => {
  document.getElementById('status')!.textContent = s;
};
const WORKLOADS: Workload[] = [
  { ...matmul, cases: matmul.cases.filter((c) => c.params.n === 1024) },
  mlp,
  // in a page tfjs-core's gradients can be registered, so TF.js gets a SmallCNN twin (tfjs-smallcnn.ts)
  {
    ...smallcnn,
    tfjs: (tf) => tfjsSmallCnnStep(tf),
    note: `${smallcnn.note} TF.js: the same network in NHWC with tf.train.momentum and its registered gradients.`,
  },
];
const CONTENDERS: ContenderId[] = ['ours-webgpu', 'ours-cpu', 'tfjs-webgpu', 'tfjs-wasm'];

async function tfOn(backend: 'webgpu' | 'wasm'): Promise<true | string> {
  try {
    if (!(await tf.setBackend(backend))) return `tf.setBackend('${backend}') failed`;
    await tf.ready();
    return true;
  } catch (e) {
    return `TF.js ${backend}: ${(e as Error).message.split('\n')[0]}`;
  }
}

async function measure(make: () => Promise<Step | NA>): Promise<Cell> {
  let step: Step | NA;
  try {
    step = await make();
  } catch (e) {
    return na(`failed to set up: ${(e as Error).message.split('\n')[0]}`);
  }
  if (isNA(step)) return step;
  try {
    return await timeStep(step, DEFAULT_TIMING);
  } catch (e) {
    return na(`failed: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    step.dispose?.();
  }
}

async function main() {
  const torch = await finetorch();
  tf.enableProdMode();
  const hasWebgpu = torch.isAvailable('webgpu');
  const results: Record<string, Record<string, Partial<Record<ContenderId, Cell>>>> = {};
  const tables: string[] = [];
  for (const w of WORKLOADS) {
    results[w.name] = {};
    for (const c of w.cases) {
      const r: Partial<Record<ContenderId, Cell>> = (results[w.name][c.id] = {});
      for (const id of CONTENDERS) {
        status(`${w.title}, ${c.label}: ${id}…`);
        if (id === 'ours-webgpu' && !hasWebgpu) {
          r[id] = na('no WebGPU adapter');
          continue;
        }
        if (id.startsWith('ours-')) {
          r[id] = await measure(() => w.ours(id === 'ours-webgpu' ? 'webgpu' : 'cpu', c));
          continue;
        }
        const backend = id === 'tfjs-webgpu' ? 'webgpu' : 'wasm';
        const ok = await tfOn(backend);
        r[id] = ok === true ? await measure(() => w.tfjs(tf as never, backend, c)) : na(ok);
      }
    }
    tables.push(table(w, results[w.name]));
    document.getElementById('tables')!.textContent = tables.join('\n\n');
  }
  const info = torch.webgpu.info();
  status('done');
  return {
    adapter: info,
    userAgent: navigator.userAgent,
    crossOriginIsolated,
    cores: navigator.hardwareConcurrency,
    versions: { tfjs: tf.version_core, tfjsWasmThreads: await tfOn('wasm').then(() => getThreadsCount()) },
    timing: DEFAULT_TIMING,
    workloads: Object.fromEntries(
      WORKLOADS.map((w) => [
        w.name,
        { title: w.title, metric: w.metric, note: w.note, cases: w.cases, results: results[w.name] },
      ]),
    ),
    tables,
  };
}

const done = main();
Object.assign(window, { benchResult: done });
done.catch((e) => status(`failed: ${(e as Error).message}`));
