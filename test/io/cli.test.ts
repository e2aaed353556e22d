// `finetorch inspect` and `finetorch convert`: output, round trips, and one clear line + exit 2 on bad input.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { torch } from '../harness.js';
import { expected, expectExact, ioDir } from './util.js';

const dir = mkdtempSync(join(tmpdir(), 'finetorch-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [],
    err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => {
    out.push(a.join(' '));
  });
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => {
    err.push(a.join(' '));
  });
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('finetorch inspect', () => {
  it('lists keys, stored dtypes, shapes, parameter count and bytes', async () => {
    const r = await run('inspect', join(ioDir, 'state_dict.pth'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /state_dict\.pth: PyTorch zip checkpoint, 9 tensors, 96 parameters, 388 bytes of tensor data/,
    );
    expect(r.out).toMatch(/^ {2}1\.num_batches_tracked +int64 +\[\]$/m);
    expect(r.out).toMatch(/^ {2}0\.weight +float32 +\[3, 2, 3, 3\]$/m);
  });
  it('--json gives the same facts, non-tensor values and metadata included', async () => {
    const r = await run('inspect', join(ioDir, 'checkpoint.pth'), '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.format).toBe('pth');
    expect(j.tensors.find((t: { key: string }) => t.key === 'optimizer.state.0.exp_avg')).toMatchObject({
      dtype: 'float32',
      shape: [3, 2, 3, 3],
      numel: 54,
      bytes: 216,
    });
    expect(j.other).toMatchObject({
      epoch: 7,
      'optimizer.param_groups.0.lr': 0.001,
      'flags.2': null,
      name: 'run-\u03b1',
    });
    const s = JSON.parse((await run('inspect', join(ioDir, 'dtypes.safetensors'), '--json')).out);
    expect(s.tensors.map((t: { key: string; dtype: string }) => `${t.key}:${t.dtype}`)).toContain('bf:bfloat16');
    expect(s.other).toEqual({ format: 'pt', note: 'every dtype' });
  });
  it('bad input: one line, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [[join(ioDir, 'evil_os_system.pth')], /^finetorch inspect: CheckpointError: .*refusing global 'posix\.system'/],
      [[join(ioDir, 'legacy.pth')], /^finetorch inspect: CheckpointError: legacy \(pre-1\.6\)/],
      [[join(dir, 'nope.pth')], /^finetorch inspect: CheckpointError: cannot read/],
      [[], /^finetorch inspect: FILE is required\nusage: finetorch inspect FILE \[--json\]$/],
    ];
    for (const [args, re] of cases) {
      const r = await run('inspect', ...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
      if (args.length) expect(r.err.split('\n')).toHaveLength(1);
    }
  });
});

describe('finetorch convert', () => {
  it('.pth → .safetensors → .pth keeps every value (stored dtypes widened as loading does)', async () => {
    const st = join(dir, 'dtypes.safetensors');
    let r = await run('convert', join(ioDir, 'dtypes.pth'), st);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/wrote .*dtypes\.safetensors \(safetensors\): 12 tensors from .*dtypes\.pth \(pth\)/);
    expect(r.err).toMatch(/note: stored as .*float16 → float32.*int64 → int32/);
    const back = join(dir, 'back.pth');
    r = await run('convert', st, back);
    expect(r.code).toBe(0);
    const sd = await torch.load(back);
    for (const [k, e] of Object.entries(expected['dtypes.pth'].tensors)) await expectExact(sd[k], e, k);
  });
  it('a training checkpoint needs --key to pick its tensors', async () => {
    const out = join(dir, 'model.safetensors');
    let r = await run('convert', join(ioDir, 'checkpoint.pth'), out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/safetensors holds tensors only, but .* also has epoch = 7, .*pick the tensors with --key/);
    r = await run('convert', join(ioDir, 'checkpoint.pth'), out, '--key', 'model');
    expect(r.code).toBe(0);
    const sd = await torch.load(out);
    for (const [k, e] of Object.entries(expected['state_dict.pth'].tensors)) expect(sd[k].shape).toEqual(e.shape);
    r = await run('convert', join(ioDir, 'checkpoint.pth'), out, '--key', 'optimizer.nope');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--key optimizer\.nope: 'nope' is not in the checkpoint \(keys there: state, param_groups\)/);
  });
  it('bad input: one line, exit 2', async () => {
    const junk = join(dir, 'junk.pth');
    writeFileSync(junk, 'not a checkpoint at all');
    const cases: [string[], RegExp][] = [
      [[junk, join(dir, 'x.safetensors')], /^finetorch convert: CheckpointError: not a checkpoint: a 23-byte file/],
      [
        [join(ioDir, 'evil_eval.pth'), join(dir, 'x.safetensors')],
        /^finetorch convert: CheckpointError: .*refusing global '__builtin__\.eval'/,
      ],
      [
        [join(ioDir, 'state_dict.pth'), join(dir, 'x.txt')],
        /^finetorch convert: cannot tell the output format of '.*x\.txt'/,
      ],
      [[join(ioDir, 'state_dict.pth')], /^finetorch convert: expected IN and OUT, got 1 argument/],
    ];
    for (const [args, re] of cases) {
      const r = await run('convert', ...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
    }
  });
});
