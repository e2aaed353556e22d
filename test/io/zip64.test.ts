// .pth files past the plain zip format's limits (65,534 records): written as zip64, as torch's own
// writer does, and read back here and — where /usr/bin/python3 has torch — by PyTorch itself; plus
// cyclic objects both ways (PyTorch saves and loads them; so does finetorch). The PyTorch half is
// skipped with a line saying why when torch is missing, unless FINETORCH_REQUIRE_TORCH=1.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { load, serializeCheckpoint } from '../../src/io/index.js';
import { ZipReader } from '../../src/io/zip.js';
import { torch } from '../harness.js';
import { liveTorch, PYTHON } from '../live-torch.js';

const gate = liveTorch('test/io/zip64: the PyTorch checks');

const dir = mkdtempSync(join(tmpdir(), 'finetorch-zip64-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function python(script: string): string {
  gate.assert();
  const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', timeout: 300_000 });
  const out = `${r.stdout}${r.stderr}`;
  expect(r.status, out).toBe(0);
  return out;
}

const N = 70_000;
let file: Uint8Array;

describe('70,000 tensors: a zip64 archive', () => {
  it('is written with zip64 end records and read back here', async () => {
    const sd: Record<string, torch.Tensor> = {};
    for (let i = 0; i < N; i++) sd[`t${i}`] = torch.tensor([i], { device: 'cpu' });
    file = await serializeCheckpoint(sd, 'pth');
    for (const t of Object.values(sd)) t.dispose();
    const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
    const eocd = file.length - 22;
    expect(dv.getUint32(eocd, true)).toBe(0x06054b50);
    expect(dv.getUint16(eocd + 10, true)).toBe(0xffff);
    expect(dv.getUint32(eocd - 20, true)).toBe(0x07064b50);
    expect(new ZipReader(file).entries.size).toBe(N + 2);
    const back = (await load(file)) as Record<string, torch.Tensor>;
    const keys = Object.keys(back);
    expect(keys.length).toBe(N);
    expect([keys[0], keys[N - 1]]).toEqual(['t0', `t${N - 1}`]);
    expect(Array.from(await back[`t${N - 1}`].data())).toEqual([N - 1]);
    for (const t of Object.values(back)) t.dispose();
  });
  it.runIf(gate.run)('PyTorch loads it (also with weights_only=True)', () => {
    const path = join(dir, 'many.pth');
    writeFileSync(path, file);
    const out = python(`
import torch
for wo in (False, True):
    sd = torch.load(${JSON.stringify(path)}, weights_only=wo)
    assert len(sd) == ${N}, len(sd)
    assert all(sd[f"t{i}"].item() == i for i in range(0, ${N}, 997)) and sd["t${N - 1}"].item() == ${N - 1}
print("ok", len(sd))`);
    expect(out).toMatch(new RegExp(`^ok ${N}$`, 'm'));
  });
});

describe('cycles, both ways', () => {
  it.runIf(gate.run)('PyTorch-written cycles load here; cycles written here load in PyTorch', async () => {
    const theirs = join(dir, 'theirs.pth'),
      mine = join(dir, 'mine.pth');
    python(`
import torch
a = [1]; a.append(a); d = {"loop": a, "w": torch.tensor([2.0])}; d["self"] = d
torch.save(d, ${JSON.stringify(theirs)})`);
    const v = await load(theirs);
    expect(v.loop[1]).toBe(v.loop);
    expect(v.self).toBe(v);
    expect(Array.from(await v.w.data())).toEqual([2]);
    writeFileSync(mine, await serializeCheckpoint(v, 'pth'));
    const out = python(`
import torch
for wo in (False, True):
    d = torch.load(${JSON.stringify(mine)}, weights_only=wo)
    assert d["loop"][1] is d["loop"] and d["self"] is d and d["w"].tolist() == [2.0] and d["loop"][0] == 1
print("ok cycles")`);
    expect(out).toMatch(/^ok cycles$/m);
    expect(readFileSync(mine).length).toBeLessThan(2000);
  });
});
