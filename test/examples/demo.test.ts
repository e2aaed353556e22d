// The demo's fast variant (`npm run demo -- --quick`) runs in the suite: the committed pretrained
// backbone loads, fine-tuning beats chance by far, and the frozen backbone is bitwise unchanged.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runDemo } from '../../examples/demo.js';
import { torch } from '../harness.js';

it('demo --quick: fine-tunes the 0–4 backbone for 5–9 and leaves the frozen part untouched', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'finetorch-demo-'));
  const lines: string[] = [];
  try {
    const r = await runDemo({ quick: true, outDir, device: torch.defaultDevice(), print: (l) => lines.push(l) });
    const text = lines.join('\n');
    expect(text).toMatch(/ignored by rename\/filter \(fc\.(weight|bias), fc\.(weight|bias)\)/); // the old 5-way head is reported as dropped
    expect(text).toMatch(/trainable/);
    expect(r.backboneChanged).toBe(false);
    expect(r.fineTunedAccuracy).toBeGreaterThan(0.5); // chance is 0.2
    for (const f of [r.files.model, r.files.metrics, r.files.curve]) expect(f && existsSync(f), String(f)).toBe(true);
    const metrics = readFileSync(r.files.metrics!, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(metrics.length).toBeGreaterThan(0);
    expect(readFileSync(r.files.curve!, 'utf8')).toMatch(/<svg[^>]*>/);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
