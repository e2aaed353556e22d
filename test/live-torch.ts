// The gate of the tests that run real PyTorch (/usr/bin/python3 with torch, or FINETORCH_PYTHON): they
// run where it imports, are skipped with one line saying why elsewhere, and fail instead when
// FINETORCH_REQUIRE_TORCH=1 (CI), so a missing torch can never pass silently there.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = process.env.FINETORCH_PYTHON ?? '/usr/bin/python3';
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Probe once for `what` (the test's name and what it checks, for the skip line); `modules` as Python imports them. */
export function liveTorch(what: string, modules = 'torch') {
  const probe = spawnSync(PYTHON, ['-c', `import ${modules}`], { encoding: 'utf8', timeout: 120_000 });
  const hasTorch = probe.status === 0;
  const requireTorch = process.env.FINETORCH_REQUIRE_TORCH === '1';
  const why = `${PYTHON} cannot import ${modules} (${(probe.error?.message ?? probe.stderr ?? '').trim().split('\n').pop() || `exit ${probe.status}`})`;
  if (!hasTorch)
    console.log(
      `${what}: ${requireTorch ? 'FAILING' : 'skipping'}: ${why}${requireTorch ? '' : ' (set FINETORCH_REQUIRE_TORCH=1 to make this an error)'}`,
    );
  return {
    /** run the test: torch is there, or its absence must fail */
    run: hasTorch || requireTorch,
    /** call first inside the test: throws when torch is required but absent */
    assert(): void {
      if (!hasTorch) throw new Error(`FINETORCH_REQUIRE_TORCH=1 but ${why}`);
    },
  };
}
