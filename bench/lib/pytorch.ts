// PyTorch (CPU) as a peer: bench/pytorch_bench.py run by /usr/bin/python3 (the interpreter with
// torch on these machines; PYTHON overrides), one process per workload.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCase, Cell, TimingOptions } from './harness.js';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'pytorch_bench.py');
const python = process.env.PYTHON ?? '/usr/bin/python3';

function run(args: string[]): Promise<{ out: string; err: string; code: number }> {
  return new Promise((resolve) => {
    execFile(python, args, { maxBuffer: 16 << 20, timeout: 30 * 60_000 }, (e, out, err) => {
      resolve({ out: String(out), err: String(err), code: e ? (typeof e.code === 'number' ? e.code : 1) : 0 });
    });
  });
}

let probe: Promise<string | null> | null = null;
/** null when `import torch` works, else why not */
export function pytorchMissing(): Promise<string | null> {
  probe ??= run(['-c', 'import torch; print(torch.__version__)']).then((r) =>
    r.code === 0 ? null : `${python} cannot import torch${r.err ? `: ${r.err.trim().split('\n').pop()}` : ''}`,
  );
  return probe;
}

export interface PytorchRun {
  version: string;
  threads: number;
  results: Record<string, Cell>;
}

export async function runPytorch(
  workload: string,
  cases: BenchCase[],
  timing: TimingOptions,
): Promise<PytorchRun | string> {
  const missing = await pytorchMissing();
  if (missing) return missing;
  // JSON has no Infinity: an unlimited budget (--full) travels as null
  const spec = {
    workload,
    cases: cases.map((c) => ({ id: c.id, params: c.params })),
    timing: { ...timing, maxStepMs: Number.isFinite(timing.maxStepMs) ? timing.maxStepMs : null },
  };
  const r = await run([script, JSON.stringify(spec)]);
  if (r.code !== 0) return `pytorch_bench.py failed: ${r.err.trim().split('\n').pop() ?? `exit ${r.code}`}`;
  const parsed = JSON.parse(r.out.trim().split('\n').pop() ?? '{}') as {
    torch: string;
    threads: number;
    results: Record<string, Cell>;
  };
  return { version: parsed.torch, threads: parsed.threads, results: parsed.results };
}
