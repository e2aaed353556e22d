// `npm run bench [-- <workload> ...] [--full] [--only <contender,...>] [--runs N] [--no-save]`, or `npm run bench -- --browser`
//
// Runs every workload in bench/workloads/ (or the named ones) on finetorch's webgpu and cpu
// devices and, in the same process and run, on its peers: TF.js 4.22 webgpu (same Dawn adapter),
// wasm and cpu, and PyTorch on the CPU through /usr/bin/python3 when it imports torch. Prints one
// markdown table per workload with the ratios ours ÷ peer, and writes everything (adapter, versions,
// every run's time) to bench/results/<adapter-slug>.json. A workload is one file in
// bench/workloads/ exporting `workload` (see bench/lib/harness.ts); adding one needs nothing else.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CONTENDERS,
  DEFAULT_TIMING,
  isNA,
  na,
  RATIOS,
  slug,
  speedRatio,
  table,
  timeStep,
  value,
  type BenchCase,
  type Cell,
  type ContenderId,
  type TimingOptions,
  type Workload,
} from './lib/harness.js';
import { finetorch } from './lib/ours.js';
import { runPytorch } from './lib/pytorch.js';
import { tfjsOn, tfjsVersion, tfjsWasmThreads } from './lib/tfjs.js';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
// `npm run bench -- --browser`: the in-browser page (bench/browser/run.ts: finetorch beside TF.js's
// webgpu and wasm backends in Chromium) instead of the Node contenders; it has its own tsconfig (DOM)
if (flag('browser')) {
  await import(new URL('./browser/run.ts', import.meta.url).href);
  process.exit(0);
}
const optNames = new Set(['only', 'runs']);
const names = argv.filter((a, i) => !a.startsWith('--') && !(i > 0 && optNames.has(argv[i - 1].slice(2))));

const timing: TimingOptions = {
  ...DEFAULT_TIMING,
  runs: Math.max(5, Number(opt('runs') ?? DEFAULT_TIMING.runs)),
  maxStepMs: flag('full') ? Infinity : DEFAULT_TIMING.maxStepMs,
};
const only = opt('only')?.split(',') as ContenderId[] | undefined;
if (only) {
  const bad = only.filter((id) => !CONTENDERS.some((c) => c.id === id));
  if (bad.length)
    throw new Error(`--only: unknown contender ${bad.join(', ')} (known: ${CONTENDERS.map((c) => c.id).join(', ')})`);
}
const wanted = (id: ContenderId) => !only || only.includes(id);

async function loadWorkloads(): Promise<Workload[]> {
  const dir = join(here, 'workloads');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  const all: Workload[] = [];
  for (const f of files) {
    const mod = (await import(join(dir, f))) as { workload?: Workload };
    if (mod.workload) all.push(mod.workload);
  }
  // a fixed order for the known ones, then the rest by file name
  const order = ['matmul', 'mlp', 'conv2d'];
  all.sort((a, b) => (order.indexOf(a.name) + 1 || 99) - (order.indexOf(b.name) + 1 || 99));
  if (!names.length) return all;
  const unknown = names.filter((n) => !all.some((w) => w.name === n));
  if (unknown.length)
    throw new Error(`unknown workload ${unknown.join(', ')} (available: ${all.map((w) => w.name).join(', ')})`);
  return all.filter((w) => names.includes(w.name));
}

const log = (s: string) => process.stderr.write(`${s}\n`);
/** a measured cell for the progress log: the median and any stats */
const cellText = (cell: Cell) =>
  isNA(cell)
    ? `n/a (${cell.na})`
    : [
        `${cell.medianMs.toFixed(2)} ms`,
        ...Object.entries(cell.stats ?? {}).map(([k, v]) => `${k} ${isNA(v) ? `n/a (${v.na})` : v}`),
      ].join(', ');

/** A contender's last measured case, to skip a bigger case that would blow the budget. */
type Last = { flops: number; ms: number; label: string } | null;
function estimateOver(last: Last, c: BenchCase): Cell | null {
  if (!last || !c.flops || !Number.isFinite(timing.maxStepMs)) return null;
  const est = last.ms * (c.flops / last.flops);
  return est > 2 * timing.maxStepMs
    ? na(
        `~${(est / 1000).toFixed(0)} s per step (scaled from ${last.label}), over the ${timing.maxStepMs / 1000} s budget (--full measures it)`,
      )
    : null;
}
const remember = (c: BenchCase, cell: Cell): Last =>
  c.flops && !isNA(cell) ? { flops: c.flops, ms: cell.medianMs, label: c.label } : null;

async function measure(label: string, make: () => Promise<unknown>): Promise<Cell> {
  let step: unknown;
  try {
    step = await make();
  } catch (e) {
    return na(`failed to set up: ${(e as Error).message.split('\n')[0]}`);
  }
  if (isNA(step)) return step;
  const s = step as { run: () => Promise<void>; dispose?: () => void };
  try {
    const t = await timeStep(s, timing);
    log(`  ${label}: ${cellText(t)}`);
    return t;
  } catch (e) {
    return na(`failed: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    s.dispose?.();
  }
}

function versionOf(pkg: string): string {
  try {
    const p = join(here, '..', 'node_modules', ...pkg.split('/'), 'package.json');
    return (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

const workloads = await loadWorkloads();
// other processes on the machine change every number here: record how busy it was
const loadAtStart = loadavg()[0];
const torch = await finetorch();
const info = torch.webgpu.info();
const { webgpuBackend } = await import('../src/kernels/webgpu/register.js');
const { gpuInstance } = await import('../src/kernels/webgpu/runtime.js');
const { formatMatmulConfig } = await import('../src/kernels/webgpu/matmul/index.js');
const choice = webgpuBackend()?.matmulChoice;
const adapter = info ? info.description : 'no WebGPU adapter';
log(`load average (1 min): ${loadAtStart.toFixed(2)} on ${cpus().length} cores`);
log(
  `adapter: ${adapter}${info ? ` (vendor ${info.vendor || '?'}, software=${info.isSoftware}, subgroup size ${info.subgroupSize})` : ''}`,
);
if (choice)
  log(
    `matmul kernels (${choice.source}): small ${formatMatmulConfig(choice.config.small)}, large ${formatMatmulConfig(choice.config.large)}, fallback ${formatMatmulConfig(choice.tile)}`,
  );

const report: Record<string, unknown> = {};
const pytorchInfo: { version?: string; threads?: number } = {};
for (const w of workloads) {
  log(`\n${w.title}`);
  const results: Record<string, Partial<Record<ContenderId, Cell>>> = {};
  const put = (caseId: string, id: ContenderId, cell: Cell) => {
    (results[caseId] ??= {})[id] = cell;
  };
  for (const device of ['webgpu', 'cpu'] as const) {
    const id: ContenderId = device === 'webgpu' ? 'ours-webgpu' : 'ours-cpu';
    if (!wanted(id)) continue;
    let last: Last = null;
    for (const c of w.cases) {
      const cell: Cell =
        device === 'webgpu' && !info
          ? na('no WebGPU adapter')
          : (estimateOver(last, c) ?? (await measure(`${id} ${c.label}`, () => w.ours(device, c))));
      put(c.id, id, cell);
      last = remember(c, cell) ?? last;
    }
  }
  for (const backend of ['webgpu', 'wasm', 'cpu'] as const) {
    const id = `tfjs-${backend}` as ContenderId;
    if (!wanted(id)) continue;
    const tf = await tfjsOn(backend, gpuInstance());
    let last: Last = null;
    for (const c of w.cases) {
      const cell: Cell =
        typeof tf === 'string'
          ? na(tf)
          : (estimateOver(last, c) ?? (await measure(`${id} ${c.label}`, () => w.tfjs(tf, backend, c))));
      put(c.id, id, cell);
      last = remember(c, cell) ?? last;
    }
  }
  if (wanted('pytorch-cpu')) {
    const r = w.pytorch ? await runPytorch(w.pytorch, w.cases, timing) : 'no PyTorch version of this workload';
    for (const c of w.cases) {
      const cell = typeof r === 'string' ? na(r) : (r.results[c.id] ?? na('missing from pytorch_bench.py output'));
      put(c.id, 'pytorch-cpu', cell);
      log(`  pytorch-cpu ${c.label}: ${cellText(cell)}`);
    }
    if (typeof r !== 'string') {
      if (pytorchInfo.threads === undefined) log(`  pytorch-cpu runs on ${r.threads} thread(s)`);
      pytorchInfo.version = r.version;
      pytorchInfo.threads = r.threads;
    }
  }
  console.log(`\n${table(w, results)}\n`);

  report[w.name] = {
    title: w.title,
    metric: w.metric,
    note: w.note,
    cases: Object.fromEntries(
      w.cases.map((c) => {
        const r = results[c.id] ?? {};
        const cells = Object.fromEntries(
          Object.entries(r).map(([id, cell]) => [id, isNA(cell) ? cell : { ...cell, [w.metric]: value(w, c, cell) }]),
        );
        const ratios = Object.fromEntries(
          RATIOS.flatMap(([a, b]) => {
            const x = r[a],
              y = r[b];
            return x && y && !isNA(x) && !isNA(y) ? [[`${a}/${b}`, +speedRatio(x, y).toFixed(3)]] : [];
          }),
        );
        return [c.id, { label: c.label, params: c.params, flops: c.flops, results: cells, speedRatios: ratios }];
      }),
    ),
    date: new Date().toISOString(),
  };
}

if (!flag('no-save')) {
  const dir = join(here, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${info ? slug(adapter) : 'cpu-only'}.json`);
  const previous = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { workloads?: Record<string, unknown> })
    : {};
  const out = {
    adapter: info ?? null,
    matmulKernels: choice
      ? {
          source: choice.source,
          small: formatMatmulConfig(choice.config.small),
          large: formatMatmulConfig(choice.config.large),
          fallback: formatMatmulConfig(choice.tile),
        }
      : null,
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      os: `${platform()} ${release()}`,
      loadAverage1m: { start: +loadAtStart.toFixed(2), end: +loadavg()[0].toFixed(2) },
    },
    versions: {
      finetorch: (JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as { version: string }).version,
      commit: gitCommit(),
      node: process.version,
      webgpu: versionOf('webgpu'),
      tfjs: await tfjsVersion(),
      pytorch: pytorchInfo.version ?? 'not run',
      pytorchThreads: pytorchInfo.threads ?? null,
      tfjsWasmThreads: await tfjsWasmThreads(),
    },
    timing: { ...timing, maxStepMs: Number.isFinite(timing.maxStepMs) ? timing.maxStepMs : null },
    // workloads from earlier runs stay unless this run measured them again
    workloads: { ...(previous.workloads ?? {}), ...report },
  };
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  log(`results: ${file}`);
}
torch.webgpu.release();
process.exit(0);
