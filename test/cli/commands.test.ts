// `finetorch forward` and `finetorch predict` on every device — `--device cpu` included on a machine
// with a WebGPU adapter (the model used to be built on webgpu and refused to move back) — the
// preprocessing predict takes from a run's preprocess.json, and their bad input: one line, exit 2.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { defaultPreprocess, transformOf, type Preprocess } from '../../src/cli/preprocess.js';
import { eachDevice, expectClose, torch } from '../harness.js';

const dir = mkdtempSync(join(tmpdir(), 'ft-cli-cmd-'));
let weights = '',
  input = '',
  image = '',
  none = '';
let expected: torch.Tensor; // SmallCNN(weights) on input, computed on cpu

/** A 40×32 grey gradient with a bright block, so resizing and cropping change what the model sees. */
function pngBytes(): Buffer {
  const p = new PNG({ width: 40, height: 32 });
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 40; x++) {
      const v = x > 20 && y < 12 ? 250 : (x * 5 + y * 3) % 200;
      const o = (y * 40 + x) * 4;
      p.data[o] = p.data[o + 1] = p.data[o + 2] = v;
      p.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(p);
}

beforeAll(async () => {
  const prev = torch.defaultDevice();
  torch.setDefaultDevice('cpu');
  torch.manualSeed(3);
  const model = new torch.models.SmallCNN({ numClasses: 5 });
  model.eval();
  weights = join(dir, 'run', 'model.safetensors');
  mkdirSync(join(dir, 'run'));
  await torch.save(model.stateDict(), weights);
  const x = torch.randn([2, 1, 28, 28]);
  input = join(dir, 'x.safetensors');
  await torch.save({ input: x }, input);
  expected = torch.noGrad(() => model.call(x));
  image = join(dir, 'digit.png');
  writeFileSync(image, pngBytes());
  none = join(dir, 'none.pth');
  await torch.save(null, none);
  torch.setDefaultDevice(prev);
});
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
  const prev = torch.defaultDevice();
  try {
    return { code: await main(argv), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    torch.setDefaultDevice(prev); // the commands set the default device, as a process would
  }
}

/** predict's percentages for `image`, computed here from a preset. */
async function percentages(p: Preprocess): Promise<string> {
  const prev = torch.defaultDevice();
  torch.setDefaultDevice('cpu');
  const model = new torch.models.SmallCNN({ numClasses: 5 });
  model.loadStateDict(await torch.load(weights));
  model.eval();
  torch.setDefaultDevice(prev);
  const img = transformOf(p)(torch.data.decodeImage(pngBytes(), 'x', p.mode));
  const probs = Array.from(
    await torch
      .noGrad(() =>
        model.call(torch.tensor(img.data, { device: 'cpu' }).reshape([1, 1, img.height, img.width])).softmax(1),
      )
      .data(),
  );
  return [...probs.keys()]
    .sort((a, b) => probs[b] - probs[a])
    .slice(0, 2)
    .map((i) => `${i} ${(probs[i] * 100).toFixed(1)}%`)
    .join(', ');
}

const fwd = (...extra: string[]) => [
  'forward',
  '--model',
  'smallcnn',
  '--num-classes',
  '5',
  '--weights',
  weights,
  '--input',
  input,
  '--output',
  join(dir, 'y.safetensors'),
  ...extra,
];

eachDevice((device) => {
  it(`forward --device ${device}: the logits of the model on the input`, async () => {
    const r = await run(...fwd('--device', device));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`wrote ${join(dir, 'y.safetensors')}: output [2,5] from smallcnn on ${device}`);
    await expectClose((await torch.load(join(dir, 'y.safetensors'))).output, expected, { rtol: 1e-4, atol: 1e-4 });
  });
  it(`predict --device ${device}: top-k with the default preset`, async () => {
    rmSync(join(dir, 'run', 'preprocess.json'), { force: true });
    const r = await run(
      'predict',
      '--model',
      'smallcnn',
      '--weights',
      weights,
      '--top-k',
      '2',
      '--device',
      device,
      image,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${image}: ${await percentages(defaultPreprocess('smallcnn'))}`);
  });
});

describe('predict preprocesses as training did', () => {
  it("reads the run's preprocess.json beside the weights", async () => {
    const p: Preprocess = { model: 'smallcnn', mode: 'L', resize: 56, crop: 28, mean: [0.5], std: [0.2] };
    writeFileSync(join(dir, 'run', 'preprocess.json'), JSON.stringify(p));
    try {
      const want = await percentages(p);
      expect(want).not.toBe(await percentages(defaultPreprocess('smallcnn'))); // the test can tell them apart
      const r = await run(
        'predict',
        '--model',
        'smallcnn',
        '--weights',
        weights,
        '--top-k',
        '2',
        '--device',
        'cpu',
        image,
      );
      expect(r.code).toBe(0);
      expect(r.out).toBe(`${image}: ${want}`);
    } finally {
      rmSync(join(dir, 'run', 'preprocess.json'), { force: true });
    }
  });
  it('a malformed preprocess.json: one line naming it, exit 2', async () => {
    const cases: [string, RegExp][] = [
      ['{', /is not valid JSON/],
      [JSON.stringify({ model: 'resnet18' }), /was written for --model "resnet18", not smallcnn/],
      [
        JSON.stringify({ ...defaultPreprocess('smallcnn'), std: [0] }),
        /has std \[0\] \(expected 1 positive number for mode L\)/,
      ],
    ];
    try {
      for (const [text, re] of cases) {
        writeFileSync(join(dir, 'run', 'preprocess.json'), text);
        const r = await run('predict', '--model', 'smallcnn', '--weights', weights, '--device', 'cpu', image);
        expect(r.code).toBe(2);
        expect(r.err.split('\n')).toHaveLength(1);
        expect(r.err).toMatch(
          /^finetorch predict: CheckpointError: '.*preprocess\.json' \(the preprocessing saved with the weights\) /,
        );
        expect(r.err).toMatch(re);
      }
    } finally {
      rmSync(join(dir, 'run', 'preprocess.json'), { force: true });
    }
  });
});

describe('bad input: one line, exit 2', () => {
  it('a .pth whose top level is None, as --weights or --input', async () => {
    for (const [argv, re] of [
      [
        fwd('--device', 'cpu').map((a) => (a === weights ? none : a)),
        /^finetorch forward: CheckpointError: --weights: '.*none\.pth' holds None, not a state dict/,
      ],
      [
        fwd('--device', 'cpu').map((a) => (a === input ? none : a)),
        /^finetorch forward: CheckpointError: --input: '.*none\.pth' holds None, not a state dict/,
      ],
      [
        ['predict', '--model', 'smallcnn', '--weights', none, '--device', 'cpu', image],
        /^finetorch predict: CheckpointError: --weights: '.*none\.pth' holds None/,
      ],
    ] as [string[], RegExp][]) {
      const r = await run(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err.split('\n')).toHaveLength(1);
    }
  });
  it('a StateDictError: one line by default, every key with --verbose', async () => {
    const argv = fwd('--device', 'cpu').map((a) => (a === '5' ? '7' : a));
    let r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'finetorch forward: StateDictError: Error(s) in loading state_dict for SmallCNN: 2 size mismatches (fc.weight, fc.bias) (--verbose lists them all)',
    );
    r = await run(...argv, '--verbose');
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toEqual([
      'finetorch forward: StateDictError: Error(s) in loading state_dict for SmallCNN:',
      '\tsize mismatch for fc.weight: copying a param with shape [5, 576] from checkpoint, the shape in current model is [7, 576].',
      '\tsize mismatch for fc.bias: copying a param with shape [5] from checkpoint, the shape in current model is [7].',
    ]);
  });
  it('predict --top-k 0 or -1 is a usage error', async () => {
    for (const k of ['0', '-1']) {
      const r = await run('predict', '--model', 'smallcnn', '--weights', weights, '--top-k', k, image);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(
        new RegExp(`^finetorch predict: --top-k must be at least 1, got ${k}\\nusage: finetorch predict `),
      );
    }
  });
  it('a malformed or missing --classes file names it', async () => {
    const bad = join(dir, 'classes.json');
    writeFileSync(bad, '["a", "b",');
    const cases: [string, RegExp][] = [
      [bad, /^finetorch predict: ArgumentError: --classes '.*classes\.json': not valid JSON \(/],
      [join(dir, 'nope.json'), /^finetorch predict: ArgumentError: --classes '.*nope\.json': no such file$/],
    ];
    for (const [file, re] of cases) {
      const r = await run(
        'predict',
        '--model',
        'smallcnn',
        '--weights',
        weights,
        '--classes',
        file,
        '--device',
        'cpu',
        image,
      );
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err.split('\n')).toHaveLength(1);
    }
  });
});
