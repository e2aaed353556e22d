// `npm run demo`: the seed's fine-tuning workflow (shared/seed/000_97a221736c5b704b.txt) on real
// MNIST digits. A SmallCNN pretrained by finetorch on digits 0–4 (examples/assets/, reproduced by
// `npm run pretrain`) is fine-tuned for digits 5–9 with only 50 labelled images per class, and
// compared with the same model trained from scratch on the same images for the same budget.
//   npm run demo [-- --quick] [-- --device cpu|webgpu]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/index.js';
import { MNIST_MEAN, MNIST_STD, PRETRAINED } from './pretrain.js';

const { nn, optim, models, data, finetune } = torch;

export interface DemoOptions {
  /** a fast variant for the test suite: fewer epochs and test images */
  quick?: boolean;
  device?: torch.Device;
  outDir?: string;
  /** where lines go (default console.log) */
  print?: (line: string) => void;
}
export interface DemoResult {
  fineTunedAccuracy: number;
  scratchAccuracy: number;
  /** did any frozen backbone tensor change during fine-tuning? */
  backboneChanged: boolean;
  seconds: number;
  files: Record<string, string | undefined>;
}

/** The fine-tuning recipe (also what bench/workloads/demo-epoch.ts times one epoch of). */
export const RECIPE = { perClass: 50, batchSize: 25, lr: 0.05, momentum: 0.9 } as const;

/**
 * `perClass` images of each digit 5–9 from MNIST's training split (labelled 0–4) to train on, and
 * `valSize` other training-split images to watch progress on; the test split stays unseen.
 */
export function fewShot(perClass: number, valSize: number) {
  const normalize = data.transforms.normalize([MNIST_MEAN], [MNIST_STD]);
  const train = data.MNIST({ digits: [5, 6, 7, 8, 9], train: true, relabel: true, transform: normalize });
  const picked: number[] = [],
    rest: number[] = [];
  const seen = [0, 0, 0, 0, 0];
  for (let i = 0; i < train.length; i++) {
    const y = train.labels[i];
    if (seen[y] < perClass) {
      seen[y]++;
      picked.push(i);
    } else rest.push(i);
  }
  const stride = Math.max(1, Math.floor(rest.length / valSize));
  return {
    train: new data.Subset(train, picked),
    val: new data.Subset(train, rest.filter((_, i) => i % stride === 0).slice(0, valSize)),
  };
}

export async function runDemo(o: DemoOptions = {}): Promise<DemoResult> {
  const print = o.print ?? ((s: string) => console.log(s));
  const device = o.device ?? torch.defaultDevice();
  const outDir = o.outDir ?? 'demo-output';
  const epochs = o.quick ? 2 : 6;
  const t0 = performance.now();
  const info = torch.webgpu.info();
  print(`finetorch demo on ${device}${device === 'webgpu' && info ? ` (${info.description})` : ''}`);
  torch.manualSeed(0);

  const normalize = data.transforms.normalize([MNIST_MEAN], [MNIST_STD]);
  const { train: trainSet, val: valSet } = fewShot(RECIPE.perClass, o.quick ? 100 : 250);
  let testSet: torch.data.Dataset<unknown> = data.MNIST({
    digits: [5, 6, 7, 8, 9],
    train: false,
    relabel: true,
    transform: normalize,
  });
  if (o.quick)
    testSet = new data.Subset(
      testSet,
      Array.from({ length: 250 }, (_, i) => i * Math.floor(testSet.length / 250)),
    );
  const loader = () => trainLoader(trainSet, device);
  const testLoader = () => new data.DataLoader(testSet, { batchSize: 250, device });
  const valLoader = () => new data.DataLoader(valSet, { batchSize: 250, device });
  print(
    `task: digits 5–9 with ${trainSet.length} labelled training images (${valSet.length} more to validate on; ${testSet.length} test images)\n`,
  );

  const { model, optimizer } = await fineTuneSetup(device, print);

  const isFrozen = (k: string) => !k.startsWith('fc.');
  const frozenBefore = await snapshot(model, isFrozen);
  mkdirSync(outDir, { recursive: true });
  const tuned = await finetune.fit(model, {
    train: loader(),
    val: valLoader(),
    optimizer,
    epochs,
    checkpointDir: join(outDir, 'fine-tuned'),
  });
  const frozenAfter = await snapshot(model, isFrozen);
  const backboneChanged = [...frozenBefore].some(([k, v]) => frozenAfter.get(k)!.some((x, i) => !Object.is(x, v[i])));
  const fineTunedAccuracy = (await finetune.evaluate(model, testLoader())).accuracy;

  print('\nthe same budget, trained from scratch (every parameter trainable, random init):');
  torch.manualSeed(0);
  const scratch = await new models.SmallCNN({ numClasses: 5 }).toAsync(device);
  const scratchOpt = new optim.SGD(scratch.parameters(), { lr: RECIPE.lr, momentum: RECIPE.momentum });
  await finetune.fit(scratch, {
    train: loader(),
    val: valLoader(),
    optimizer: scratchOpt,
    epochs,
    checkpointDir: join(outDir, 'from-scratch'),
  });
  const scratchAccuracy = (await finetune.evaluate(scratch, testLoader())).accuracy;

  const seconds = (performance.now() - t0) / 1000;
  print(`\ntest accuracy on digits 5–9 (${testSet.length} images):`);
  print(`  fine-tuned from the 0–4 backbone: ${(fineTunedAccuracy * 100).toFixed(1)}%`);
  print(`  trained from scratch:             ${(scratchAccuracy * 100).toFixed(1)}%`);
  print(
    `  frozen backbone ${backboneChanged ? 'CHANGED (bug!)' : 'bitwise unchanged'}; ${seconds.toFixed(1)} s in all`,
  );
  print(`  wrote ${[tuned.files.model, tuned.files.metrics, tuned.files.curve].filter(Boolean).join(', ')}`);
  return { fineTunedAccuracy, scratchAccuracy, backboneChanged, seconds, files: tuned.files };
}

/** The training batches: shuffled, on `device`. */
export function trainLoader(trainSet: torch.data.Dataset<unknown>, device: torch.Device) {
  return new data.DataLoader(trainSet, { batchSize: RECIPE.batchSize, shuffle: true, device });
}

/** Steps 1–5 of the demo: the pretrained backbone, a new head, everything else frozen, an optimizer over the head. */
export async function fineTuneSetup(device: torch.Device, print: (line: string) => void = () => {}) {
  // 1. load the pretrained parameters (the old head knew digits 0–4: leave it out)
  // built on the default device, then moved (toAsync: from webgpu to cpu is a read-back)
  const model = await new models.SmallCNN({ numClasses: 5 }).toAsync(device);
  const report = await finetune.loadPretrained(model, PRETRAINED, { filter: (key) => !key.startsWith('fc.') });
  print('1. load the pretrained SmallCNN (digits 0–4)');
  print(String(report));
  // 2. a new head for the new problem
  model.fc = new nn.Linear(576, 5, { device });
  print('\n2. new head: model.fc = new nn.Linear(576, 5)');
  // 3. freeze the pretrained part (its BatchNorm statistics too), keep the head trainable
  finetune.freeze(model);
  finetune.unfreeze(model, ['fc']);
  print('\n3. freeze everything but fc (frozen BatchNorm layers stay in eval mode)');
  // 4. look at what trains
  print('\n4. trainability');
  print(String(finetune.trainability(model)));
  // 5. an optimizer over the trainable parameters only
  const optimizer = new optim.SGD(
    model.parameters().filter((p) => p.requiresGrad),
    { lr: RECIPE.lr, momentum: RECIPE.momentum },
  );
  print('\n5. optimizer: SGD over the trainable parameters only\n');
  return { model, optimizer };
}

async function snapshot(model: torch.nn.Module, keep: (k: string) => boolean): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const [k, v] of Object.entries(model.stateDict()))
    if (keep(k)) out.set(k, Array.from((await v.data()) as ArrayLike<number>));
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const dev = args.includes('--device') ? (args[args.indexOf('--device') + 1] as torch.Device) : undefined;
  const r = await runDemo({ quick: args.includes('--quick'), device: dev });
  torch.webgpu.release();
  process.exit(r.backboneChanged ? 1 : 0);
}
