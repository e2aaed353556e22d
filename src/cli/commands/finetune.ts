// `finetorch finetune`: the seed's recipe from the command line — build the model with the new class
// count, load the pretrained weights that fit (printing the load report), freeze/unfreeze by pattern
// (printing the trainability table), train with `finetune.fit`, evaluate the best weights, and leave
// DIR/model.safetensors, DIR/metrics.jsonl and DIR/curve.svg (plus DIR/checkpoint.safetensors, which
// --resume continues from, and for images DIR/preprocess.json, which `finetorch predict` reads).
// Ctrl-C saves the checkpoint and exits with 130.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError } from '../../data/errors.js';
import { CheckpointError } from '../../errors.js';
import { readStateDict } from '../../finetune/source.js';
import { IMAGE_MODEL_HEADS, IMAGE_MODELS } from '../../models/names.js';
import { UsageError, type Command } from '../command.js';
import { parseDevice, useDevice, type CliDevice } from '../device.js';
import { parseFlags } from '../flags.js';
import { defaultPreprocess, transformOf, weightsMemberOf, writePreprocess, type Preprocess } from '../preprocess.js';
import { parseWeightsFlag, weightsPath } from '../weights-flag.js';

const MODELS = [...IMAGE_MODELS, 'textcnn'] as const;
type ModelName = (typeof MODELS)[number];

const usage =
  `finetorch finetune --model ${MODELS.join('|')} --weights FILE|DEFAULT|WEIGHTS_NAME --num-classes N ` +
  '[--freeze PATTERN]... [--unfreeze PATTERN]... --data DIR|mnist --epochs E --lr LR --batch-size B ' +
  '[--optimizer sgd|adamw] [--device cpu|webgpu] [--image-size S] [--limit N] [--seed S] [--resume] --out DIR';

type Torch = typeof import('../../index.js');
type Tensor = InstanceType<Torch['Tensor']>;
type AnyDataset = import('../../data/dataset.js').Dataset<unknown>;

interface Opts {
  model: ModelName;
  weights: string;
  numClasses: number;
  freeze: string[];
  unfreeze: string[];
  data: string;
  epochs: number;
  lr: number;
  batchSize: number;
  optimizer: 'sgd' | 'adamw';
  device?: CliDevice;
  out: string;
  imageSize?: number;
  limit?: number;
  seed: number;
  resume: boolean;
}

function parse(args: string[]): Opts {
  const f = parseFlags(args, {
    model: 'string',
    weights: 'string',
    'num-classes': 'int',
    freeze: 'list',
    unfreeze: 'list',
    data: 'string',
    epochs: 'int',
    lr: 'float',
    'batch-size': 'int',
    optimizer: 'string',
    device: 'string',
    out: 'string',
    'image-size': 'int',
    limit: 'int',
    seed: 'int',
    resume: 'bool',
  });
  if (f._.length) throw new UsageError(`unexpected argument '${f._[0]}'`);
  for (const k of ['model', 'weights', 'num-classes', 'data', 'epochs', 'lr', 'batch-size', 'out'])
    if (f[k] === undefined) throw new UsageError(`--${k} is required`);
  const model = f.model as string;
  if (!(MODELS as readonly string[]).includes(model))
    throw new UsageError(`--model must be one of ${MODELS.join(', ')}, got '${model}'`);
  const positive = (k: string) => {
    const v = f[k] as number | undefined;
    if (v !== undefined && !(v > 0)) throw new UsageError(`--${k} must be positive, got ${v}`);
    return v;
  };
  for (const k of ['num-classes', 'epochs', 'lr', 'batch-size', 'image-size', 'limit']) positive(k);
  const optimizer = (f.optimizer as string | undefined) ?? 'sgd';
  if (optimizer !== 'sgd' && optimizer !== 'adamw')
    throw new UsageError(`--optimizer must be sgd or adamw, got '${optimizer}'`);
  const device = parseDevice(f.device);
  return {
    model: model as ModelName,
    weights: f.weights as string,
    numClasses: f['num-classes'] as number,
    freeze: (f.freeze as string[] | undefined) ?? [],
    unfreeze: (f.unfreeze as string[] | undefined) ?? [],
    data: f.data as string,
    epochs: f.epochs as number,
    lr: f.lr as number,
    batchSize: f['batch-size'] as number,
    optimizer,
    device,
    out: f.out as string,
    imageSize: f['image-size'] as number | undefined,
    limit: f.limit as number | undefined,
    seed: (f.seed as number | undefined) ?? 0,
    resume: !!f.resume,
  };
}

/** The first `n` samples of a dataset (for quick runs). */
function limit<T>(torch: Torch, ds: import('../../data/dataset.js').Dataset<T>, n: number | undefined) {
  return n === undefined || n >= ds.length
    ? ds
    : new torch.data.Subset(
        ds,
        Array.from({ length: n }, (_, i) => i),
      );
}

/** DIR/train + DIR/val when both exist, else DIR split 80/20 with a seeded generator. */
function splitOrFolders<T>(
  torch: Torch,
  dir: string,
  make: (root: string) => import('../../data/dataset.js').Dataset<T>,
  seed: number,
) {
  const t = join(dir, 'train'),
    v = join(dir, 'val');
  if (isDir(t) && isDir(v)) return { train: make(t), val: make(v) };
  const all = make(dir);
  if (all.length < 2) return { train: all, val: null };
  const nVal = Math.max(1, Math.round(all.length * 0.2));
  const [train, val] = torch.data.randomSplit(all, [all.length - nVal, nVal], new torch.Generator(seed));
  return { train, val };
}
const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** DIR/vocab.json ({ itos: [...] }, as Vocabulary.toJSON writes it), checked before use. */
function readVocab(torch: Torch, file: string) {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DatasetError(
      `'${file}': ${e instanceof SyntaxError ? `not valid JSON (${e.message})` : (e as Error).message}`,
    );
  }
  const itos = j && typeof j === 'object' ? (j as { itos?: unknown }).itos : undefined;
  if (!Array.isArray(itos) || !itos.every((t) => typeof t === 'string')) {
    throw new DatasetError(
      `'${file}': expected {"itos": [token, ...]} (a list of strings, as Vocabulary.toJSON writes)`,
    );
  }
  return torch.data.Vocabulary.fromJSON({ itos });
}

async function datasets(torch: Torch, o: Opts, textVocab: { vocabSize: number } | null, prep: Preprocess | null) {
  const { data } = torch;
  if (o.data === 'mnist') {
    if (o.model !== 'smallcnn')
      throw new UsageError(`--data mnist needs --model smallcnn (28×28 grey images), not ${o.model}`);
    if (o.numClasses > 10)
      throw new UsageError(`--data mnist has 10 classes; --num-classes ${o.numClasses} is too many`);
    const digits = Array.from({ length: o.numClasses }, (_, i) => i);
    const transform = data.transforms.normalize(prep!.mean, prep!.std); // MNIST images are 28×28 already
    const train = data.MNIST({ digits, train: true, relabel: true, transform });
    const val = data.MNIST({ digits, train: false, relabel: true, transform });
    // a limit takes an evenly spread subset, so every class is in it
    const spread = <T>(ds: import('../../data/dataset.js').Dataset<T>, n: number | undefined) =>
      n === undefined || n >= ds.length
        ? ds
        : new data.Subset(
            ds,
            Array.from({ length: n }, (_, i) => Math.floor((i * ds.length) / n)),
          );
    return {
      train: spread(train, o.limit),
      val: spread(val, o.limit === undefined ? undefined : Math.max(1, Math.ceil(o.limit / 4))),
      classes: null,
    };
  }
  if (!existsSync(o.data)) throw new UsageError(`--data '${o.data}' does not exist (a directory, or 'mnist')`);
  if (o.model === 'textcnn') {
    // train.csv (+ val.csv) in DIR, or one CSV split 80/20; the vocabulary from DIR/vocab.json when present
    const dir = isDir(o.data) ? o.data : null;
    const trainCsv = dir ? join(dir, 'train.csv') : o.data;
    if (!existsSync(trainCsv))
      throw new UsageError(
        `--data for textcnn must be a CSV (columns text,label) or a directory with train.csv, and '${trainCsv}' does not exist`,
      );
    let vocab: InstanceType<typeof data.Vocabulary> | undefined;
    const vocabFile = dir ? join(dir, 'vocab.json') : null;
    if (vocabFile && existsSync(vocabFile)) vocab = readVocab(torch, vocabFile);
    else
      console.log(
        `note: no vocab.json beside the data; building the vocabulary from ${trainCsv} (token ids match the pretrained embedding only if it was built the same way)`,
      );
    const train = new data.TextClassificationCsv(trainCsv, {
      vocab,
      maxSize: textVocab?.vocabSize,
      numClasses: o.numClasses,
    });
    if (train.vocab.length > (textVocab?.vocabSize ?? Infinity))
      throw new UsageError(
        `vocabulary has ${train.vocab.length} tokens but the pretrained embedding only ${textVocab!.vocabSize}`,
      );
    const valCsv = dir ? join(dir, 'val.csv') : null;
    if (valCsv && existsSync(valCsv)) {
      const val = new data.TextClassificationCsv(valCsv, {
        vocab: train.vocab,
        maxLen: train.maxLen,
        classes: train.classes ?? undefined,
        numClasses: o.numClasses,
      });
      return { train: limit(torch, train, o.limit), val: limit(torch, val, o.limit), classes: train.classes };
    }
    const s = splitOrFolders(torch, o.data, () => train, o.seed);
    return {
      train: limit(torch, s.train, o.limit),
      val: s.val && limit(torch, s.val, o.limit),
      classes: train.classes,
    };
  }
  if (!isDir(o.data))
    throw new UsageError(`--data '${o.data}' must be a directory of class folders (ImageFolder) or 'mnist'`);
  const transform = transformOf(prep!);
  let classes: string[] | null = null;
  const s = splitOrFolders(
    torch,
    o.data,
    (root) => {
      const f = new data.ImageFolder(root, { transform, mode: prep!.mode });
      if (classes && classes.join() !== f.classes.join())
        throw new UsageError(
          `class folders differ between train and val: [${classes.join(', ')}] vs [${f.classes.join(', ')}]`,
        );
      classes = f.classes;
      return f as AnyDataset;
    },
    o.seed,
  );
  const found = (classes as string[] | null)?.length ?? 0;
  if (found !== o.numClasses)
    throw new UsageError(
      `--num-classes ${o.numClasses} but '${o.data}' has ${found} class folders (${(classes as string[] | null)?.join(', ')})`,
    );
  return { train: limit(torch, s.train, o.limit), val: s.val && limit(torch, s.val, o.limit), classes };
}

/** TextCNN's hyperparameters read off its weights (vocabulary, embedding width, kernel sizes, filters). */
function textCnnShape(sd: ReadonlyMap<string, Tensor>) {
  const emb = sd.get('embedding.weight');
  const keys = [...sd.keys()];
  const convs = keys
    .filter((k) => /^convs\.\d+\.weight$/.test(k) && sd.get(k)!.ndim === 3)
    .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
  if (emb?.ndim !== 2 || convs.length === 0) {
    throw new CheckpointError(
      `incompatible weights for textcnn: a TextCNN checkpoint needs a 2-D embedding.weight and 3-D convs.N.weight (found ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', ...' : ''})`,
    );
  }
  return {
    vocabSize: emb.shape[0],
    embedDim: emb.shape[1],
    kernelSizes: convs.map((k) => sd.get(k)!.shape[2]),
    numFilters: sd.get(convs[0])!.shape[0],
  };
}

export const command: Command = {
  summary: 'fine-tune a pretrained model on an image folder, MNIST or a text CSV',
  usage,
  async run(args) {
    const o = parse(args);
    const named = parseWeightsFlag(o.model, o.weights);
    if (named.kind === 'named' && o.model === 'textcnn')
      throw new UsageError('--weights for textcnn must be a checkpoint file');
    const torch = await import('../../index.js');
    const { finetune: ft, optim } = torch;
    // the model is built on the device (not moved there), so its parameters are created there
    const device = useDevice(torch, o.device);
    torch.manualSeed(o.seed);

    // the model, with the new class count; TextCNN's shape comes from the checkpoint
    // a weights name: torch.hub's cache, downloaded there first when absent
    const file = await weightsPath(torch, named);
    let weights: ReadonlyMap<string, Tensor> | string = file;
    let model: InstanceType<Torch['nn']['Module']>;
    let textShape: ReturnType<typeof textCnnShape> | null = null;
    if (o.model === 'textcnn') {
      weights = (await readStateDict(file, '--weights')).tensors;
      textShape = textCnnShape(weights);
      model = new torch.models.TextCNN({ ...textShape, numClasses: o.numClasses });
    } else model = torch.models.create(o.model, { numClasses: o.numClasses });
    // the preprocessing of the weights (by name, or a torchvision file name), else the model's default weights'
    const prep =
      o.model === 'textcnn'
        ? null
        : defaultPreprocess(o.model, o.data === 'mnist' ? undefined : o.imageSize, weightsMemberOf(o.model, o.weights));
    const { train, val, classes } = await datasets(torch, o, textShape, prep);

    const report = await ft.loadPretrained(model, weights);
    console.log(`weights: ${named.kind === 'named' ? `${named.label} (${file})` : o.weights}\n${report}`);
    const headName = o.model === 'textcnn' ? 'fc' : IMAGE_MODEL_HEADS[o.model];
    const head = (k: string) => k.startsWith(`${headName}.`);
    const bad = [
      ...report.missing.filter((k) => !head(k)),
      ...report.mismatched.filter((m) => !head(m.key)).map((m) => m.key),
    ];
    if (report.loaded.length === 0 || bad.length) {
      const what =
        report.loaded.length === 0
          ? 'no tensor of the checkpoint fits the model'
          : `${bad.length} backbone tensors missing or of another shape (${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ', ...' : ''})`;
      throw new torch.CheckpointError(`incompatible weights for ${o.model}: ${what}`);
    }
    if (o.freeze.length) ft.freeze(model, o.freeze);
    if (o.unfreeze.length) ft.unfreeze(model, o.unfreeze);
    console.log(`\n${ft.trainability(model)}\n`);
    const params = ft.trainableParameters(model);
    if (params.length === 0)
      throw new UsageError(`every parameter is frozen: add --unfreeze PATTERN (e.g. --unfreeze ${headName})`);
    const optimizer =
      o.optimizer === 'sgd'
        ? new optim.SGD(params, { lr: o.lr, momentum: 0.9 })
        : new optim.AdamW(params, { lr: o.lr });

    const loader = (ds: AnyDataset, shuffle: boolean) =>
      new torch.data.DataLoader(ds, {
        batchSize: o.batchSize,
        shuffle,
        generator: new torch.Generator(o.seed + 1),
        device,
      });
    // what predict must do to an image: saved before training, so an interrupted run has it too
    if (prep) writePreprocess(o.out, prep);
    console.log(
      `data: ${train.length} training samples, ${val ? val.length : 0} validation samples${classes ? ` (classes: ${(classes as string[]).join(', ')})` : ''}; device ${device}`,
    );
    const history = await ft.fit(model, {
      train: loader(train as AnyDataset, true),
      val: val ? loader(val as AnyDataset, false) : undefined,
      optimizer,
      epochs: o.epochs,
      device,
      checkpointDir: o.out,
      resume: o.resume,
      handleSigint: true,
    });
    if (history.interrupted) {
      console.log(`interrupted: rerun with --resume to continue from ${history.files.checkpoint}`);
      return 130;
    }
    if (val && history.files.model) {
      model.loadStateDict((await torch.load(history.files.model)) as Record<string, Tensor>);
      const r = await ft.evaluate(model, loader(val as AnyDataset, false));
      console.log(
        `best weights (epoch ${history.best?.epoch}): val loss ${r.loss.toFixed(4)}, val accuracy ${(100 * r.accuracy).toFixed(2)}% on ${r.samples} samples`,
      );
    }
    console.log(`wrote ${history.files.model}, ${history.files.metrics}, ${history.files.curve}`);
    return 0;
  },
};
