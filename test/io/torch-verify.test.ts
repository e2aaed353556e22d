// Files finetorch writes, read back by real PyTorch (tools/reference/verify_written.py): exact values,
// dtypes, Parameters, OrderedDicts, int keys, weights_only=True where PyTorch 1.13 allows it, and an
// Adam optimizer state that PyTorch's own optimizer accepts. Needs /usr/bin/python3 with torch
// (the CI machine has it); without it the test is skipped with a line saying why, unless
// FINETORCH_REQUIRE_TORCH=1, where it fails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { torch } from '../harness.js';
import { liveTorch, PYTHON, repoRoot } from '../live-torch.js';
import { enc, flatten, readFixture } from './util.js';

const gate = liveTorch('test/io/torch-verify: the PyTorch read-back check');
const root = repoRoot;

const dir = mkdtempSync(join(tmpdir(), 'finetorch-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Spec {
  format: 'pth' | 'safetensors';
  weights_only?: boolean;
  adam_model?: boolean;
  int_keys?: string[];
  ordered?: string[];
}

/** expected.json entry for a saved object: every tensor and plain leaf by path */
async function describeSaved(obj: unknown, spec: Spec, metadata?: Record<string, string>) {
  const { tensors, other } = flatten(obj);
  const t: Record<string, unknown> = {};
  for (const [k, x] of tensors) {
    const values = Array.from(await x.data()).map(enc);
    t[k] = {
      shape: x.shape,
      dtype: x.dtype,
      values,
      requires_grad: x.requiresGrad,
      parameter: torch.nn.isParameter(x),
    };
  }
  const o =
    spec.format === 'safetensors'
      ? (metadata ?? {})
      : Object.fromEntries([...other].map(([k, v]) => [k, typeof v === 'number' ? enc(v) : v]));
  return { ...spec, tensors: t, other: o };
}

describe('PyTorch reads what finetorch writes', () => {
  it.runIf(gate.run)('torch.load gives back exact values (verify_written.py)', async () => {
    gate.assert();
    const expected: Record<string, unknown> = {};
    const put = async (name: string, obj: unknown, spec: Spec, metadata?: Record<string, string>) => {
      await torch.save(obj, join(dir, name), { metadata });
      expected[name] = await describeSaved(obj, spec, metadata);
    };
    // a state dict: parameters (trainable and frozen), buffers of every dtype, 0-d and empty tensors
    const w = new torch.nn.Parameter(
      torch.tensor([
        [0.1, -2.5e-8],
        [Infinity, NaN],
      ]),
    );
    const frozen = new torch.nn.Parameter(torch.tensor([3, 4]), false);
    await put(
      'state_dict.pth',
      {
        'fc.weight': w,
        'fc.frozen': frozen,
        'bn.running_var': torch.tensor([1e-30, 3.4e38, -0]),
        'bn.num_batches_tracked': torch.tensor(new Int32Array([2 ** 31 - 1])),
        mask: torch.tensor([[true], [false]]),
        scalar: torch.tensor(2.5),
        empty: torch.zeros([0, 3]),
        'grad.tracking': torch.tensor([1, 2]).requiresGrad_(),
      },
      { format: 'pth', weights_only: true, ordered: [''] },
    );
    // ints, strings, booleans and None only (PyTorch 1.13's weights_only unpickler has no float opcode)
    const shared = torch.tensor(new Int32Array([5, 6]));
    await put(
      'plain.pth',
      {
        epoch: 3,
        big: 2 ** 40,
        neg: -70000,
        name: 'r\u00fcn',
        flags: [true, false, null],
        nested: { deep: [[1, [2]]] },
        byIndex: new Map<number, unknown>([
          [5, 'five'],
          [-1, shared],
        ]),
        shared,
        sharedAgain: shared,
        empty: {},
        none: [],
      },
      { format: 'pth', weights_only: true, int_keys: ['byIndex'] },
    );
    // floats anywhere, -0 included
    await put(
      'floats.pth',
      { lr: 0.25, tiny: 5e-324, negZero: -0, huge: 1.7976931348623157e308, t: torch.tensor([1.5]) },
      { format: 'pth' },
    );
    // a torch-written training checkpoint, loaded here and saved again: PyTorch's Adam must take its state back
    await put('checkpoint.pth', await torch.load(readFixture('checkpoint.pth')), {
      format: 'pth',
      adam_model: true,
      int_keys: ['optimizer.state'],
      ordered: ['model'],
    });
    // safetensors in the reference layout
    await put(
      'sd.safetensors',
      {
        'b.weight': torch.tensor([
          [1, 2],
          [3, 4],
        ]),
        'a.bias': torch.tensor([-1.5]),
        '10': torch.tensor([7]),
        ids: torch.tensor(new Int32Array([1, -2])),
        mask: torch.tensor([true, false, true]),
        '\u00e9': torch.tensor([0.5]),
      },
      { format: 'safetensors' },
      { format: 'pt', note: 'written by finetorch' },
    );
    writeFileSync(join(dir, 'expected.json'), JSON.stringify(expected));
    const r = spawnSync(PYTHON, [join(root, 'tools', 'reference', 'verify_written.py'), dir], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    const out = `${r.stdout}${r.stderr}`;
    expect(r.status, out).toBe(0);
    for (const name of Object.keys(expected)) expect(out).toMatch(new RegExp(`^ok ${name.replace('.', '\\.')}`, 'm'));
    expect(out).toMatch(/ok state_dict\.pth: 8 tensors \(also weights_only=True\)/);
  });
});
