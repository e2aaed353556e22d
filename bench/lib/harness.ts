// What every workload shares: the contenders, the timing rule, the table and the results file.
//
// Timing rule: a contender's step is run `warmup` times (pipeline compilation, pools), then at
// least `runs` times and until `minTotalMs` has passed (capped at `maxRuns`); the median wall time
// is reported. A step always ends with its results read back to the host, so queued GPU work is
// inside the measurement. A contender whose warm-up step alone takes longer than `maxStepMs` is
// reported as n/a with the time it took (`--full` measures it anyway).

export type ContenderId = 'ours-webgpu' | 'ours-cpu' | 'tfjs-webgpu' | 'tfjs-wasm' | 'tfjs-cpu' | 'pytorch-cpu';
export const CONTENDERS: { id: ContenderId; label: string; short: string }[] = [
  { id: 'ours-webgpu', label: 'finetorch webgpu', short: 'webgpu' },
  { id: 'ours-cpu', label: 'finetorch cpu', short: 'cpu' },
  { id: 'tfjs-webgpu', label: 'TF.js webgpu', short: 'TF.js-webgpu' },
  { id: 'tfjs-wasm', label: 'TF.js wasm', short: 'TF.js-wasm' },
  { id: 'tfjs-cpu', label: 'TF.js cpu', short: 'TF.js-cpu' },
  { id: 'pytorch-cpu', label: 'PyTorch cpu', short: 'PyTorch' },
];
/** ratio columns: ours ÷ peer, as speed (above 1: ours is faster) */
export const RATIOS: [ContenderId, ContenderId][] = [
  ['ours-webgpu', 'tfjs-webgpu'],
  ['ours-webgpu', 'tfjs-wasm'],
  ['ours-webgpu', 'tfjs-cpu'],
  ['ours-webgpu', 'pytorch-cpu'],
  ['ours-cpu', 'tfjs-cpu'],
  ['ours-cpu', 'pytorch-cpu'],
];

export interface BenchCase {
  /** stable id (results file, PyTorch script) */
  id: string;
  /** row label in the table */
  label: string;
  /** JSON-serialisable parameters (the PyTorch script reads them too) */
  params: Record<string, unknown>;
  /** floating-point operations of one step, when the table shows GFLOP/s */
  flops?: number;
}

/**
 * One prepared step: run() does the work and reads the results back; dispose() frees the inputs.
 * stats(), when the workload declares `stats`, is called once after the timed runs and returns
 * the declared numbers (e.g. peak bytes of one more step), or why one cannot be had.
 */
export interface Step {
  run: () => Promise<void>;
  dispose?: () => void;
  stats?: () => Promise<Record<string, number | NA>>;
}
/** A contender that cannot run this case says why. */
export interface NA {
  na: string;
}
export const na = (reason: string): NA => ({ na: reason });
export const isNA = (x: unknown): x is NA => typeof x === 'object' && x !== null && 'na' in x;

export interface Workload {
  /** group name on the command line (`npm run bench -- matmul`) */
  name: string;
  title: string;
  /** what the cells show: throughput from `flops`, or milliseconds per step */
  metric: 'GFLOP/s' | 'ms';
  /** one line under the table: what exactly is measured */
  note: string;
  cases: BenchCase[];
  /** finetorch on 'webgpu' or 'cpu' */
  ours(device: 'webgpu' | 'cpu', c: BenchCase): Promise<Step | NA>;
  /** TF.js on a backend already set */
  tfjs(tf: TF, backend: 'webgpu' | 'wasm' | 'cpu', c: BenchCase): Promise<Step | NA>;
  /** name of the workload in bench/pytorch_bench.py; absent: n/a */
  pytorch?: string;
  /** numbers besides the time that a step reports through `stats()`: one extra table row per case each */
  stats?: StatSpec[];
}
/** A number a step reports once (not timed): shown as the row `<case label>: <label>`. */
export interface StatSpec {
  key: string;
  label: string;
  unit: 'bytes';
}
export type TF = typeof import('@tensorflow/tfjs-core');

export interface TimingOptions {
  warmup: number;
  runs: number;
  minTotalMs: number;
  maxRuns: number;
  maxStepMs: number;
}
export const DEFAULT_TIMING: TimingOptions = { warmup: 2, runs: 5, minTotalMs: 300, maxRuns: 30, maxStepMs: 8000 };

export interface Timing {
  medianMs: number;
  runsMs: number[];
  stats?: Record<string, number | NA>;
}
export type Cell = Timing | NA;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

export async function timeStep(step: Step, o: TimingOptions): Promise<Cell> {
  const over = (dt: number) =>
    na(`${(dt / 1000).toFixed(1)} s per step, over the ${o.maxStepMs / 1000} s budget (--full measures it)`);
  for (let i = 0; i < o.warmup; i++) {
    const t0 = performance.now();
    await step.run();
    const dt = performance.now() - t0;
    // the first warm-up compiles pipelines, so it gets slack; the last one is judged as is
    if (i === 0 && dt > Math.max(4 * o.maxStepMs, 30_000)) return over(dt);
    if (i === o.warmup - 1 && dt > o.maxStepMs) return over(dt);
  }
  const runs: number[] = [];
  let total = 0;
  while (runs.length < o.runs || (total < o.minTotalMs && runs.length < o.maxRuns)) {
    const t0 = performance.now();
    await step.run();
    const dt = performance.now() - t0;
    runs.push(dt);
    total += dt;
  }
  const t: Timing = { medianMs: median(runs), runsMs: runs.map((x) => +x.toFixed(3)) };
  if (step.stats) t.stats = await step.stats();
  return t;
}

/** The number a cell shows: GFLOP/s or ms. */
export function value(w: Workload, c: BenchCase, t: Timing): number {
  return w.metric === 'GFLOP/s' ? (c.flops ?? 0) / t.medianMs / 1e6 : t.medianMs;
}
/** ours ÷ peer as speed */
export function speedRatio(a: Timing, b: Timing): number {
  return b.medianMs / a.medianMs;
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
/** A stat as a cell: bytes in MiB. */
export function fmtStat(unit: StatSpec['unit'], x: number): string {
  switch (unit) {
    case 'bytes':
      return `${fmt(x / 2 ** 20)} MiB`;
  }
}

/** One markdown table: values per contender, then the ratios; n/a reasons as footnotes. */
export function table(w: Workload, results: Record<string, Partial<Record<ContenderId, Cell>>>): string {
  const notes: string[] = [];
  const noteFor = (reason: string) => {
    let i = notes.indexOf(reason);
    if (i < 0) {
      notes.push(reason);
      i = notes.length - 1;
    }
    return `n/a [${i + 1}]`;
  };
  const short = (id: ContenderId) => CONTENDERS.find((c) => c.id === id)!.short;
  const head = [
    `${w.title} (${w.metric}${w.metric === 'ms' ? ', lower is better' : ''})`,
    ...CONTENDERS.map((c) => c.label),
    ...RATIOS.map(([a, b]) => `${short(a)} ÷ ${short(b)}`),
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? ' ---: ' : ' --- ')).join('|')}|`];
  for (const c of w.cases) {
    const r = results[c.id] ?? {};
    const cells = CONTENDERS.map(({ id }) => {
      const x = r[id];
      if (!x) return '';
      return isNA(x) ? noteFor(x.na) : fmt(value(w, c, x));
    });
    const ratios = RATIOS.map(([a, b]) => {
      const x = r[a],
        y = r[b];
      return x && y && !isNA(x) && !isNA(y) ? `**${fmt(speedRatio(x, y))}×**` : '–';
    });
    lines.push(`| ${[c.label, ...cells, ...ratios].join(' | ')} |`);
    // stat rows: a contender whose timing is n/a already has its footnote above, so its cell stays empty
    for (const s of w.stats ?? []) {
      const statCells = CONTENDERS.map(({ id }) => {
        const x = r[id];
        if (!x || isNA(x)) return '';
        const v = x.stats?.[s.key];
        return v === undefined
          ? noteFor(`${short(id)} did not report ${s.label}`)
          : isNA(v)
            ? noteFor(v.na)
            : fmtStat(s.unit, v);
      });
      lines.push(`| ${[`${c.label}: ${s.label}`, ...statCells, ...RATIOS.map(() => '–')].join(' | ')} |`);
    }
  }
  const out = [
    `### ${w.title}`,
    '',
    ...lines,
    '',
    `Ratios are speed, ours ÷ peer (above 1: finetorch is faster). ${w.note}`,
  ];
  if (notes.length) out.push('', ...notes.map((n, i) => `[${i + 1}] ${n}`));
  return out.join('\n');
}

/** A file-name-safe adapter name: 'llvmpipe-mesa-25-0-7', 'nvidia-geforce-rtx-4090', 'cpu-only'. */
export function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/\(.*?\)/g, ' ')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'unknown'
  );
}
