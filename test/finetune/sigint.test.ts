// A real Ctrl-C (SIGINT to a child process running fit with handleSigint: true): fit finishes the
// step, saves the position, returns `interrupted` without exiting the process, and a run resumed
// from that checkpoint ends bit for bit where an uninterrupted run does. Where the signal lands
// depends on the event loop, so this checks the outcome, not the step.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { torch } from '../harness.js';
import { bitwiseEqual, snapshot } from './helpers.js';
import { setup } from './sigint-child.js';

const here = dirname(fileURLToPath(import.meta.url));

it('Ctrl-C in a child stops mid-run, the process exits normally, and --resume equals an uninterrupted run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ft-sigint-'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'sigint-child.ts'), dir], {
    cwd: join(here, '..', '..'),
    env: { ...process.env, FINETORCH_DEVICE: 'cpu' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ interrupted: true, epochs: 0 });
  const ref = setup();
  await torch.finetune.fit(ref.model, ref);
  const res = setup();
  const h = await torch.finetune.fit(res.model, { ...res, checkpointDir: dir, resume: true });
  expect(h.interrupted).toBe(false);
  const a = await snapshot(ref.model),
    b = await snapshot(res.model);
  expect([...a].filter(([k, v]) => !bitwiseEqual(b.get(k)!, v)).map(([k]) => k)).toEqual([]);
});
