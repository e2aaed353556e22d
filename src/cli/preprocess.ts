// The image preprocessing of a run, defined once: `finetorch finetune` builds its transform from it
// and writes it beside the weights (DIR/preprocess.json), `finetorch predict` reads that file back,
// so a prediction sees exactly what training saw. Without the file (weights from elsewhere) predict
// uses the model's default preset — the one finetune would have used.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CheckpointError } from '../errors.js';
import type { ColorMode, Image, RawImage } from '../data/image.js';
import { CATALOG } from '../models/weights/catalog.js';
import { presetTransform } from '../models/weights/preset.js';
import type { Interpolation } from '../models/weights/types.js';

/** decode to `mode`, resize the shorter side to `resize`, center-crop `crop`×`crop`, normalise per channel */
export interface Preprocess {
  model: string;
  mode: ColorMode;
  resize: number;
  crop: number;
  mean: number[];
  std: number[];
  /** the resize's interpolation; absent means bilinear (files written before the field existed) */
  interpolation?: Interpolation;
}

export const PREPROCESS_FILE = 'preprocess.json';
export const MNIST_STATS = { mean: [0.1307], std: [0.3081] };
export const IMAGENET_STATS = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/**
 * The preset of an image model: SmallCNN grey 28×28 with MNIST statistics; a model with pretrained
 * weights the transforms of `weights` (a member name, default its DEFAULT weights: torchvision's
 * ImageClassification preset — resize, crop, interpolation, ImageNet statistics); otherwise resize
 * 256, crop 224. `imageSize` sets the crop, and the resize keeps the preset's resize/crop ratio.
 */
export function defaultPreprocess(model: string, imageSize?: number, weights?: string): Preprocess {
  if (model === 'smallcnn') {
    const s = imageSize ?? 28;
    return { model, mode: 'L', resize: s, crop: s, ...MNIST_STATS };
  }
  const entry = Object.hasOwn(CATALOG, model) ? CATALOG[model] : undefined;
  const w = entry?.weights[weights && weights !== 'DEFAULT' ? weights : entry.default];
  const base = w
    ? { resize: w.resize, crop: w.crop, mean: w.mean, std: w.std, interpolation: w.interpolation }
    : { resize: 256, crop: 224, ...IMAGENET_STATS, interpolation: 'bilinear' as const };
  const crop = imageSize ?? base.crop;
  return { model, mode: 'RGB', ...base, resize: Math.round((crop * base.resize) / base.crop), crop };
}

/**
 * The member of `model`'s weights that `spec` names: a member ('IMAGENET1K_V1', 'DEFAULT'), the full
 * name ('ResNet18_Weights.IMAGENET1K_V1'), or a path whose file name is one of torchvision's (a
 * torchvision checkpoint used as it is); undefined otherwise.
 */
export function weightsMemberOf(model: string, spec: string): string | undefined {
  const entry = Object.hasOwn(CATALOG, model) ? CATALOG[model] : undefined;
  if (!entry) return undefined;
  const name = spec.startsWith(`${entry.enumName}.`) ? spec.slice(entry.enumName.length + 1) : spec;
  if (name === 'DEFAULT') return entry.default;
  if (Object.hasOwn(entry.weights, name)) return name;
  const file = basename(spec);
  return Object.entries(entry.weights).find(([, w]) => w.file === file || w.aliases?.includes(file))?.[0];
}

/** The host transform of a preset: decoded image → normalised CHW float32 image (the weights' own, models/weights/preset.ts). */
export function transformOf(p: Preprocess): (raw: RawImage) => Image {
  return presetTransform(p);
}

export function writePreprocess(dir: string, p: Preprocess): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, PREPROCESS_FILE);
  writeFileSync(file, `${JSON.stringify(p, null, 1)}\n`);
  return file;
}

/** The preset saved beside `weights` (checked field by field), else the default of `model`. */
export function readPreprocess(weights: string, model: string): { preprocess: Preprocess; file: string | null } {
  const file = join(dirname(weights), PREPROCESS_FILE);
  if (!existsSync(file))
    return { preprocess: defaultPreprocess(model, undefined, weightsMemberOf(model, weights)), file: null };
  const bad = (why: string) => new CheckpointError(`'${file}' (the preprocessing saved with the weights) ${why}`);
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw bad(`is not valid JSON: ${(e as Error).message}`);
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw bad('is not a JSON object');
  const o = j as Record<string, unknown>;
  if (o.model !== model) throw bad(`was written for --model ${JSON.stringify(o.model)}, not ${model}`);
  if (o.mode !== 'RGB' && o.mode !== 'L') throw bad(`has mode ${JSON.stringify(o.mode)} (expected "RGB" or "L")`);
  for (const k of ['resize', 'crop'] as const) {
    if (!Number.isInteger(o[k]) || (o[k] as number) <= 0)
      throw bad(`has ${k} ${JSON.stringify(o[k])} (expected a positive integer)`);
  }
  const channels = o.mode === 'L' ? 1 : 3;
  for (const k of ['mean', 'std'] as const) {
    const v = o[k];
    if (
      !Array.isArray(v) ||
      v.length !== channels ||
      !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (k === 'mean' || x > 0))
    ) {
      throw bad(
        `has ${k} ${JSON.stringify(v)} (expected ${channels} ${k === 'std' ? 'positive ' : ''}number${channels > 1 ? 's' : ''} for mode ${o.mode})`,
      );
    }
  }
  if (o.interpolation !== undefined && o.interpolation !== 'bilinear' && o.interpolation !== 'bicubic')
    throw bad(`has interpolation ${JSON.stringify(o.interpolation)} (expected "bilinear" or "bicubic")`);
  const interpolation = o.interpolation === undefined ? {} : { interpolation: o.interpolation as Interpolation };
  return {
    preprocess: {
      model,
      mode: o.mode,
      resize: o.resize as number,
      crop: o.crop as number,
      mean: o.mean as number[],
      std: o.std as number[],
      ...interpolation,
    },
    file,
  };
}
