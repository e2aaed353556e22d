// A save killed mid-write leaves `<path>.<pid>.tmp`; the next save of the same target removes such
// files when their process is gone, and leaves those of live processes and of other targets alone.
// Both writers are covered: torch.save (checkpoints, best weights) and fit's writeAtomic (the curve).
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeAtomic } from '../../src/finetune/checkpoint.js';
import { torch } from '../harness.js';

const dead = 2 ** 31 - 2; // above any pid_max: process.kill(dead, 0) throws ESRCH
const live = process.ppid;

describe('stale temp files of atomic saves', () => {
  it.each([
    ['torch.save', (p: string) => torch.save({ w: torch.ones([2], { device: 'cpu' }) }, p), 'model.safetensors'],
    ['writeAtomic', (p: string) => writeAtomic(p, '<svg/>'), 'curve.svg'],
  ] as const)("%s removes a dead writer's temp file of the same target only", async (_, write, name) => {
    expect(() => process.kill(dead, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    const dir = mkdtempSync(join(tmpdir(), 'ft-stale-'));
    const target = join(dir, name);
    const files = [`${name}.${dead}.tmp`, `${name}.${live}.tmp`, `other.bin.${dead}.tmp`, `${name}.x${dead}.tmp`];
    for (const f of files) writeFileSync(join(dir, f), 'partial');
    await write(target);
    expect(existsSync(target)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([name, ...files.slice(1)].sort());
  });
});
