// `finetorch predict`: what a user does after fine-tuning — top-k classes with probabilities for
// each image, preprocessed as in training: with the preprocess.json `finetorch finetune` wrote beside
// the weights, else the model's default preset (../preprocess.ts). The class count comes from the weights.
import { readFileSync } from 'node:fs';
import { decodeImage } from '../../data/image.js';
import { ArgumentError } from '../../errors.js';
import { readStateDict } from '../../finetune/source.js';
import { IMAGE_MODEL_HEADS, IMAGE_MODELS } from '../../models/names.js';
import { CATALOG } from '../../models/weights/catalog.js';
import { IMAGENET_CATEGORIES } from '../../models/weights/categories.js';
import { UsageError, type Command } from '../command.js';
import { parseDevice, useDevice } from '../device.js';
import { parseFlags } from '../flags.js';
import { defaultPreprocess, readPreprocess, transformOf } from '../preprocess.js';
import { parseWeightsFlag, weightsPath } from '../weights-flag.js';

const usage = `finetorch predict --model ${IMAGE_MODELS.join('|')} --weights FILE|DEFAULT|WEIGHTS_NAME [--classes names.json] [--top-k K] [--device cpu|webgpu] IMAGE...`;

/** Class names from a JSON list (or an object's keys, e.g. a class-to-index map), one per output. */
function readClasses(file: string, numClasses: number): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ArgumentError(
      `--classes '${file}': ${err.code === 'ENOENT' ? 'no such file' : err instanceof SyntaxError ? `not valid JSON (${err.message})` : err.message}`,
    );
  }
  if (!parsed || typeof parsed !== 'object')
    throw new ArgumentError(
      `--classes '${file}': expected a JSON list of class names (or an object keyed by them), got ${JSON.stringify(parsed)}`,
    );
  const list = Array.isArray(parsed) ? parsed.map(String) : Object.keys(parsed);
  if (list.length !== numClasses)
    throw new ArgumentError(`--classes '${file}' names ${list.length} classes but the weights have ${numClasses}`);
  return list;
}

export const command: Command = {
  summary: 'top-k classes with probabilities for PNG/JPEG images',
  usage,
  async run(args) {
    const f = parseFlags(args, {
      model: 'string',
      weights: 'string',
      classes: 'string',
      'top-k': 'int',
      device: 'string',
    });
    if (!f.model || !f.weights) throw new UsageError('--model and --weights are required');
    const model = f.model as string,
      weights = f.weights as string;
    if (!(IMAGE_MODELS as readonly string[]).includes(model))
      throw new UsageError(`--model must be one of ${IMAGE_MODELS.join(', ')}, got '${model}'`);
    const topK = (f['top-k'] as number | undefined) ?? 3;
    if (topK < 1) throw new UsageError(`--top-k must be at least 1, got ${topK}`);
    if (!f._.length) throw new UsageError('give at least one image');
    const wanted = parseDevice(f.device);
    const named = parseWeightsFlag(model, weights);
    const torch = await import('../../index.js');
    // named weights: their own preset; a file: the preprocess.json beside it, else the model's default
    const { preprocess } =
      named.kind === 'named'
        ? { preprocess: defaultPreprocess(model, undefined, named.member) }
        : readPreprocess(weights, model);
    const sd = (await readStateDict(await weightsPath(torch, named), '--weights')).tensors;
    const headKey = `${IMAGE_MODEL_HEADS[model as keyof typeof IMAGE_MODEL_HEADS]}.weight`;
    const head = sd.get(headKey);
    if (head?.ndim !== 2)
      throw new torch.CheckpointError(`--weights '${weights}' has no 2-D '${headKey}': not weights for ${model}`);
    const numClasses = head.shape[0];
    // the head of ImageNet weights left as it was: their categories name the outputs
    const imagenet = Object.hasOwn(CATALOG, model) && numClasses === IMAGENET_CATEGORIES.length;
    const names = f.classes
      ? readClasses(f.classes as string, numClasses)
      : imagenet
        ? [...IMAGENET_CATEGORIES]
        : Array.from({ length: numClasses }, (_, i) => String(i));
    const device = useDevice(torch, wanted);
    const net = torch.models.create(model, { numClasses });
    net.loadStateDict(sd, { strict: true });
    for (const t of sd.values()) t.dispose(); // copied into the model
    net.eval();
    const prep = transformOf(preprocess);
    const k = Math.min(topK, numClasses);
    for (const path of f._) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(path);
      } catch (e) {
        throw new ArgumentError(
          `cannot read image '${path}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
        );
      }
      const img = prep(decodeImage(bytes, path, preprocess.mode));
      const x = torch.tensor(img.data, { device }).reshape([1, img.channels, img.height, img.width]);
      const probs = Array.from((await torch.noGrad(() => net.call(x).softmax(1)).data()) as ArrayLike<number>);
      const order = [...probs.keys()].sort((a, b) => probs[b] - probs[a]).slice(0, k);
      console.log(`${path}: ${order.map((i) => `${names[i]} ${(probs[i] * 100).toFixed(1)}%`).join(', ')}`);
    }
    return 0;
  },
};
