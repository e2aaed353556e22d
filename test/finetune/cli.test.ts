// `finetorch finetune` end to end on a tiny generated ImageFolder (and one TextCNN run on a CSV), every
// kind of bad input ending in one line and exit code 2, and Ctrl-C saving a checkpoint (exit 130).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { eachDevice, fixturesDir, torch } from '../harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let dir = '',
  weights = '',
  images = '',
  resnetWeights = '';

/** 28×28 grey PNGs: class 'bright' has a light square top-left, class 'dark' bottom-right. */
function imageFolder(at: string, perClass: number): void {
  for (const [c, name] of ['bright', 'dark'].entries()) {
    mkdirSync(join(at, name), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const png = new PNG({ width: 28, height: 28 });
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const inSquare = c === 0 ? x < 14 && y < 14 : x >= 14 && y >= 14;
          const v = inSquare ? 200 + ((x * 7 + y * 3 + i * 11) % 50) : (x * 13 + y * 5 + i) % 40;
          const o = (y * 28 + x) * 4;
          png.data[o] = png.data[o + 1] = png.data[o + 2] = v;
          png.data[o + 3] = 255;
        }
      }
      writeFileSync(join(at, name, `${i}.png`), PNG.sync.write(png));
    }
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ft-cli-'));
  images = join(dir, 'images');
  imageFolder(images, 6);
  const prev = torch.defaultDevice();
  torch.setDefaultDevice('cpu');
  torch.manualSeed(0);
  weights = join(dir, 'smallcnn10.safetensors');
  await torch.save(new torch.models.SmallCNN({ numClasses: 10 }).stateDict(), weights);
  // a checkpoint of another architecture (a small MLP under ResNet-like names) for the incompatibility case
  resnetWeights = join(dir, 'other.safetensors');
  await torch.save(
    { 'conv1.weight': torch.zeros([64, 3, 7, 7]), 'fc.weight': torch.zeros([1000, 512]) },
    resnetWeights,
  );
  torch.setDefaultDevice(prev);
});

function capture() {
  const out: string[] = [],
    err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    out.push(a.join(' '));
  });
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => {
    err.push(a.join(' '));
  });
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  return {
    out,
    err,
    restore: () => {
      log.mockRestore();
      error.mockRestore();
      warn.mockRestore();
    },
  };
}
let cap: ReturnType<typeof capture> | null = null;
afterEach(() => {
  cap?.restore();
  cap = null;
});
const run = async (args: string[]) => {
  cap = capture();
  const code = await main(['finetune', ...args]);
  const r = { code, out: cap.out.join('\n'), err: cap.err.join('\n').split('\n') };
  cap.restore();
  cap = null;
  return r;
};

const base = () => [
  '--model',
  'smallcnn',
  '--weights',
  weights,
  '--num-classes',
  '2',
  '--data',
  images,
  '--epochs',
  '2',
  '--lr',
  '0.05',
  '--batch-size',
  '4',
];

describe('finetorch finetune', () => {
  eachDevice((device) => {
    it('runs end to end on a tiny ImageFolder: report, table, training, evaluation, files', async () => {
      const out = join(dir, `run-${device}`);
      const r = await run([...base(), '--freeze', '*', '--unfreeze', 'fc', '--device', device, '--out', out]);
      expect(r.err.join('\n')).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/loaded 18 of 20 model tensors, 2 shape-mismatched \(skipped\)/);
      expect(r.out).toMatch(/mismatched\s+fc\.weight\s+\[10, 576\]\s+\[2, 576\]/);
      expect(r.out).toMatch(/^fc\s+Linear\s+1,154\s+1,154\s+trainable$/m); // 576·2 + 2
      expect(r.out).toMatch(/^bn1\s+BatchNorm2d\s+32\s+0\s+frozen \(1 BatchNorm in eval\)$/m);
      expect(r.out).toMatch(/data: 10 training samples, 2 validation samples \(classes: bright, dark\); device/);
      expect(r.out).toMatch(/^epoch 2 {2}train loss/m);
      expect(r.out).toMatch(/best weights \(epoch \d\): val loss \d\.\d{4}, val accuracy \d+\.\d\d% on 2 samples/);
      const saved = await torch.load(join(out, 'model.safetensors'));
      expect(saved['fc.weight'].shape).toEqual([2, 576]);
      expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length).toBe(2);
      expect(readFileSync(join(out, 'curve.svg'), 'utf8')).toMatch(/<svg/);
      // what predict reads back: the preprocessing this run trained with
      expect(JSON.parse(readFileSync(join(out, 'preprocess.json'), 'utf8'))).toEqual({
        model: 'smallcnn',
        mode: 'L',
        resize: 28,
        crop: 28,
        mean: [0.1307],
        std: [0.3081],
      });
      // a frozen conv is bitwise the pretrained one
      const pre = await torch.load(weights);
      expect(Array.from(saved['conv2.weight'].dataSync())).toEqual(Array.from(pre['conv2.weight'].dataSync()));
    });
  });

  it('fine-tunes a TextCNN from a CSV, its shape read off the checkpoint', async () => {
    const data = join(dir, 'text');
    mkdirSync(data, { recursive: true });
    const vocab = ['<pad>', '<unk>', ...Array.from({ length: 48 }, (_, i) => `w${i}`)];
    writeFileSync(join(data, 'vocab.json'), JSON.stringify({ itos: vocab }));
    const rows = ['text,label'];
    for (let i = 0; i < 12; i++)
      rows.push(`${Array.from({ length: 6 }, (_, k) => `w${(i * 7 + k * 3) % 48}`).join(' ')},${i % 2}`);
    writeFileSync(join(data, 'train.csv'), rows.join('\n'));
    const pretrained = join(dir, 'textcnn.safetensors');
    const fx = await torch.load(join(fixturesDir, 'models/textcnn.safetensors'));
    await torch.save(
      Object.fromEntries(
        Object.entries(fx)
          .filter(([k]) => k.startsWith('param.'))
          .map(([k, v]) => [k.slice(6), v]),
      ),
      pretrained,
    );
    // the flags every TextCNN run here shares, then its own
    const textRun = (...extra: string[]) =>
      run([
        '--model',
        'textcnn',
        '--weights',
        pretrained,
        '--num-classes',
        '2',
        '--data',
        data,
        '--epochs',
        '1',
        '--lr',
        '0.01',
        '--batch-size',
        '4',
        '--device',
        'cpu',
        ...extra,
      ]);
    const r = await textRun('--optimizer', 'adamw', '--freeze', 'embedding', '--out', join(dir, 'text-out'));
    expect(r.err.join('\n')).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/loaded 7 of 9 model tensors, 2 shape-mismatched/);
    expect(r.out).toMatch(/^embedding\s+Embedding\s+800\s+0\s+frozen$/m);
    // a malformed vocab.json: one line naming the file
    for (const [text, re] of [
      ['{"itos": [', /not valid JSON/],
      ['{"itos": [1, 2]}', /expected \{"itos": \[token, \.\.\.\]\}/],
    ] as const) {
      writeFileSync(join(data, 'vocab.json'), text);
      const bad = await textRun('--out', join(dir, 'text-bad'));
      expect(bad.code).toBe(2);
      expect(bad.err).toHaveLength(1);
      expect(bad.err[0]).toMatch(/^finetorch finetune: DatasetError: '.*vocab\.json': /);
      expect(bad.err[0]).toMatch(re);
    }
    // a label outside --num-classes: refused when the dataset is built, never trained into a NaN loss
    writeFileSync(join(data, 'vocab.json'), JSON.stringify({ itos: vocab }));
    writeFileSync(join(data, 'train.csv'), [...rows.slice(0, 5), 'w1 w2 w3,7', ...rows.slice(5)].join('\n'));
    const label = await textRun('--out', join(dir, 'text-label'));
    expect(label.code).toBe(2);
    expect(label.err).toHaveLength(1);
    expect(label.err[0]).toMatch(/^finetorch finetune: DatasetError: .*train\.csv.*line 6.*7.*2/);
  });

  /** The base flags with some replaced (a null value drops the flag), plus extra ones. */
  const withFlags = (over: Record<string, string | null>, extra: string[] = []) => {
    const b = [...base(), '--device', 'cpu', '--out', join(dir, 'bad')];
    const out: string[] = [];
    for (let i = 0; i < b.length; i += 2) {
      const k = b[i].slice(2);
      if (!(k in over)) out.push(b[i], b[i + 1]);
      else if (over[k] !== null) out.push(b[i], over[k]!);
    }
    return [...out, ...extra];
  };
  const cases: [string, () => string[], RegExp][] = [
    ['an unknown flag', () => withFlags({}, ['--colour', 'red']), /^finetorch finetune: unknown flag --colour$/],
    ['a missing required flag', () => withFlags({ weights: null }), /^finetorch finetune: --weights is required$/],
    [
      'an unknown model',
      () => withFlags({ model: 'vgg16' }),
      /^finetorch finetune: --model must be one of resnet18, resnet34, resnet50, .*, smallcnn, textcnn, got 'vgg16'$/,
    ],
    ['a non-number', () => withFlags({ lr: 'fast' }), /^finetorch finetune: --lr expects a number, got 'fast'$/],
    ['zero epochs', () => withFlags({ epochs: '0' }), /^finetorch finetune: --epochs must be positive, got 0$/],
    [
      'a bad optimizer',
      () => withFlags({}, ['--optimizer', 'lbfgs']),
      /^finetorch finetune: --optimizer must be sgd or adamw, got 'lbfgs'$/,
    ],
    [
      'a bad device',
      () => withFlags({ device: 'tpu' }),
      /^finetorch finetune: --device must be cpu or webgpu, got 'tpu'$/,
    ],
    [
      'a missing weights file',
      () => withFlags({ weights: '/nonexistent/w.safetensors' }),
      /^finetorch finetune: --weights '\/nonexistent\/w\.safetensors' does not exist$/,
    ],
    [
      'a missing data directory',
      () => withFlags({ data: '/nonexistent/images' }),
      /^finetorch finetune: --data '\/nonexistent\/images' does not exist/,
    ],
    [
      'a class count that does not match the folders',
      () => withFlags({ 'num-classes': '3' }),
      /^finetorch finetune: --num-classes 3 but '.*' has 2 class folders \(bright, dark\)$/,
    ],
    [
      'a pattern that matches nothing',
      () => withFlags({}, ['--freeze', 'layer9']),
      /^finetorch finetune: ArgumentError: freeze: pattern 'layer9' matches no parameter/,
    ],
    [
      'everything frozen',
      () => withFlags({}, ['--freeze', '*']),
      /^finetorch finetune: every parameter is frozen: add --unfreeze PATTERN/,
    ],
    [
      'incompatible weights',
      () => withFlags({ weights: resnetWeights }),
      /^finetorch finetune: CheckpointError: incompatible weights for smallcnn: no tensor of the checkpoint fits the model$/,
    ],
    [
      'a file that is not a checkpoint',
      () => withFlags({ weights: join(dir, 'junk.bin') }),
      /^finetorch finetune: CheckpointError: loadPretrained: not a checkpoint/,
    ],
    [
      'a .pth whose top level is None',
      () => withFlags({ weights: join(dir, 'none.pth') }),
      /^finetorch finetune: CheckpointError: loadPretrained: '.*none\.pth' holds None, not a state dict/,
    ],
    [
      'an empty character range',
      () => withFlags({}, ['--freeze', '[z-a]']),
      /^finetorch finetune: ArgumentError: freeze: pattern '\[z-a\]' matches no parameter/,
    ],
    [
      'a prototype name as a flag',
      () => withFlags({}, ['--constructor']),
      /^finetorch finetune: unknown flag --constructor$/,
    ],
  ];
  it.each(cases)('%s: one line and exit code 2', async (_what, args, msg) => {
    writeFileSync(join(dir, 'junk.bin'), 'definitely not a checkpoint');
    if (!existsSync(join(dir, 'none.pth'))) await torch.save(null, join(dir, 'none.pth'));
    const r = await run(args());
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(msg);
    expect(r.err.length).toBeLessThanOrEqual(2); // the line, and for flag errors the usage line
    if (r.err.length === 2) expect(r.err[1]).toMatch(/^usage: finetorch finetune --model/);
  });

  it('Ctrl-C saves a checkpoint and exits 130; --resume continues from it', async () => {
    const out = join(dir, 'sigint');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'src/cli/bin.ts'),
        'finetune',
        ...base().slice(0, -6),
        '--epochs',
        '500',
        '--lr',
        '0.01',
        '--batch-size',
        '4',
        '--device',
        'cpu',
        '--out',
        out,
      ],
      {
        cwd: root,
        env: { ...process.env, FINETORCH_DEVICE: 'cpu' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        // mid-epoch or between epochs, either must stop with a checkpoint
        if (/^epoch 2 /m.test(stdout) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code).toBe(130);
    expect(stdout).toMatch(/^interrupted: rerun with --resume to continue from .*checkpoint\.safetensors$/m);
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(true);
    const done = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length;
    const r = await run([
      ...base().slice(0, -6),
      '--epochs',
      String(done + 1),
      '--lr',
      '0.01',
      '--batch-size',
      '4',
      '--device',
      'cpu',
      '--out',
      out,
      '--resume',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`resumed from .*checkpoint\\.safetensors after epoch ${done}`));
    expect(r.out).toMatch(new RegExp(`^epoch ${done + 1} {2}train loss`, 'm'));
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length).toBe(done + 1);
  });
});
