// Shared references and cycles in a loaded checkpoint: every walk over the loaded graph (the loader,
// tensor search for loadPretrained, convert's flattening, inspect, save) is linear in the number of
// distinct objects, so a 1.5 KB "billion laughs" file (2^60 paths) is cheap; cycles load as PyTorch
// loads them; dict keys that collide as strings are refused.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readStateDict } from '../../src/finetune/source.js';
import { inspectCheckpoint, load, serializeCheckpoint } from '../../src/io/index.js';
import { walkLoaded, joinPath, MAX_PATH_CHARS } from '../../src/io/walk.js';
import { torch } from '../harness.js';
import { collidingKeysPth, cyclicPth, laughsPth, stateDictWithBomb } from './hostile.js';

const dir = mkdtempSync(join(tmpdir(), 'finetorch-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [],
    err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => {
    out.push(a.join(' '));
  });
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => {
    err.push(a.join(' '));
  });
  try {
    return { code: await main(argv), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

/** the depth of nested 2-lists down to the bottom, checking each level holds one object twice */
function laughsDepth(v: unknown): number {
  let n = 0;
  while (Array.isArray(v) && v.length === 2) {
    expect(v[0]).toBe(v[1]);
    v = v[0];
    n++;
  }
  return n;
}

describe('"billion laughs": 60 levels of shared lists (2^60 paths, 61 objects)', () => {
  const file = laughsPth(60, true);
  it('is a small file', () => expect(file.length).toBeLessThan(2500));

  it('loads as the same shared graph; the tensor at the bottom is made once', async () => {
    const v = await load(file);
    expect(laughsDepth(v)).toBe(60);
    let bottom: unknown = v;
    for (let i = 0; i < 60; i++) bottom = (bottom as unknown[])[0];
    const w = ((bottom as unknown[])[0] as { w: torch.Tensor }).w;
    expect(Array.from(await w.data())).toEqual([1, 2]);
  });

  it("loadPretrained's tensor search (readStateDict) finishes: a state dict beside a bomb", async () => {
    // the top level is not a state dict: refused by name, without walking 2^60 paths
    await expect(readStateDict(stateDictWithBomb(60), 'loadPretrained')).rejects.toThrow(
      /state dict entry 'bomb' is Array, not a Tensor/,
    );
    // a training checkpoint whose state_dict sits beside the bomb loads its state dict
    const { tensors } = await readStateDict(stateDictWithBomb(60, true), 'loadPretrained');
    expect([...tensors.keys()]).toEqual(['w']);
    expect(Array.from(await tensors.get('w')!.data())).toEqual([1, 2]);
  });

  it('finetorch convert to .safetensors and to .pth finishes; the .pth stays small and shared', async () => {
    const src = join(dir, 'laughs.pth');
    writeFileSync(src, file);
    const st = await cli('convert', src, join(dir, 'laughs.safetensors'));
    expect(st.err).toBe('');
    // the tensor is listed once, under its first path
    expect(st.out).toMatch(/wrote .*laughs\.safetensors \(safetensors\): 1 tensor from/);
    const sd = await load(join(dir, 'laughs.safetensors'));
    expect(Object.keys(sd)).toEqual([`${'0.'.repeat(61)}w`]);
    const pth = await cli('convert', src, join(dir, 'again.pth'));
    expect(pth.code).toBe(0);
    const again = readFileSync(join(dir, 'again.pth'));
    expect(again.length).toBeLessThan(4 * file.length);
    expect(laughsDepth(await load(again))).toBe(60);
  });

  it('finetorch inspect and inspectCheckpoint finish, listing the tensor once', async () => {
    const s = inspectCheckpoint(file);
    expect(s.tensors.map((t) => t.key)).toEqual([`${'0.'.repeat(61)}w`]);
    const src = join(dir, 'inspect.pth');
    writeFileSync(src, file);
    const r = await cli('inspect', src);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/1 tensor, 2 parameters/);
  });

  it('torch.save of the loaded graph writes each shared object once (memo), and reloads shared', async () => {
    const v = await load(laughsPth(60));
    const bytes = await serializeCheckpoint(v, 'pth');
    expect(bytes.length).toBeLessThan(4000);
    expect(laughsDepth(await load(bytes))).toBe(60);
  });
});

describe('cycles load as PyTorch loads them (torch.save writes them; torch.load reads them)', () => {
  it('a list holding itself, a dict holding itself', async () => {
    const v = await load(cyclicPth());
    expect(v.loop[0]).toBe(v.loop);
    expect(v.self).toBe(v);
    expect(Array.from(await v.w.data())).toEqual([7]);
    // and they survive a save and a reload
    const back = await load(await serializeCheckpoint(v, 'pth'));
    expect(back.loop[0]).toBe(back.loop);
    expect(back.self).toBe(back);
    expect(Array.from(await back.w.data())).toEqual([7]);
  });
  it('inspect and convert walk a cycle once', async () => {
    const s = inspectCheckpoint(cyclicPth());
    expect(s.tensors.map((t) => t.key)).toEqual(['w']);
    // the list's one entry is the list itself, entered already: nothing else to list
    expect(s.other).toEqual({});
    const src = join(dir, 'cyclic.pth');
    writeFileSync(src, cyclicPth());
    const r = await cli('convert', src, join(dir, 'cyclic.safetensors'));
    expect(r.code).toBe(0);
    expect(Object.keys(await load(join(dir, 'cyclic.safetensors')))).toEqual(['w']);
  });
  it("loadPretrained's tensor search terminates on a cycle", async () => {
    await expect(readStateDict(cyclicPth(), 'loadPretrained')).rejects.toThrow(
      /state dict entry 'loop' is Array, not a Tensor/,
    );
  });
});

describe('dict keys that collide once they are strings', () => {
  it("1 and '1' in one dict are refused, naming both", async () => {
    await expect(load(collidingKeysPth())).rejects.toThrow(
      /dict the top-level object has the keys 1 and "1", which are both '1' here/,
    );
  });
  it("True and 'True', None and 'None'", async () => {
    const { pk, OP, str, pthBytes } = await import('./util.js');
    await expect(
      load(
        pthBytes(
          pk(...OP.PROTO2, OP.EMPTY_DICT, OP.NEWTRUE, str('a'), OP.SETITEM, str('True'), str('b'), OP.SETITEM, OP.STOP),
        ),
      ),
    ).rejects.toThrow(/keys true and "True"/);
    await expect(
      load(
        pthBytes(
          pk(...OP.PROTO2, OP.EMPTY_DICT, str('None'), str('a'), OP.SETITEM, OP.NONE, str('b'), OP.SETITEM, OP.STOP),
        ),
      ),
    ).rejects.toThrow(/keys "None" and None/);
  });
});

describe('the walker', () => {
  it('visits each edge of each distinct container once, and stops at its cap with a CheckpointError', async () => {
    const v = await load(laughsPth(60));
    let leaves = 0;
    walkLoaded(v, () => leaves++);
    expect(leaves).toBe(1); // the empty list at the bottom
    const wide = Array.from({ length: 1000 }, (_, i) => i);
    expect(() => walkLoaded(wide, () => undefined, { maxValues: 500, what: 'test' })).toThrow(torch.CheckpointError);
    expect(() => walkLoaded(wide, () => undefined, { maxValues: 500, what: 'test' })).toThrow(
      /test: more than 500 values to visit/,
    );
  });
  it('keeps paths short however long the keys', () => {
    const long = 'k'.repeat(3000);
    const p = joinPath(joinPath(joinPath('', long), long), long);
    expect(p.length).toBeLessThanOrEqual(MAX_PATH_CHARS + 2);
    expect(p.endsWith('…')).toBe(true);
    expect(joinPath('', 'x'.repeat(10_000)).length).toBeLessThan(200);
  });
});
