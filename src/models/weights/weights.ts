// Pretrained weights by name, as torchvision's Weights enums give them: `ResNet18_Weights.IMAGENET1K_V1`
// has `.url`, `.meta` (categories, num_params, min_size, _metrics, recipe — torchvision's keys) and
// `.transforms()`; `DEFAULT` is the enum's best member; `'DEFAULT'`, `'IMAGENET1K_V1'` and
// `'ResNet18_Weights.IMAGENET1K_V1'` name the same things as strings. Every member is built from one
// row of the generated catalog (./catalog.ts), so a model joins by having its row there.
//
// Reading is synchronous from torch.hub's cache (`stateDictSync`, what `models.resnet18({ weights })`
// uses); fetching is the one asynchronous step (`await w.fetch()`), so a model can be built without
// `await` whenever its file is on disk, and a missing file is a typed error that says how to get it.
import { nodeOnly } from '../../platform/node-host.js';
import { ArgumentError } from '../../errors.js';
import { loadPth } from '../../io/pth.js';
import { Tensor } from '../../tensor/tensor.js';
import { CATALOG, BASE_URL } from './catalog.js';
import { IMAGENET_CATEGORIES } from './categories.js';
import {
  checkpointsDir,
  downloadUrlToFile,
  findCached,
  offline,
  urlFor,
  WeightsUnavailableError,
  type DownloadOptions,
} from './hub.js';
import { presetTransform, type ImagePreset } from './preset.js';
import type { CatalogWeights } from './types.js';

export interface WeightsMeta {
  categories: readonly string[];
  num_params: number;
  min_size: readonly number[];
  _metrics: { 'ImageNet-1K': Readonly<Record<string, number>> };
  recipe: string;
}

/** One member of a model's weights enum (torchvision's `WeightsEnum` value). */
export class Weights {
  /** the member's name, e.g. 'IMAGENET1K_V1' */
  readonly name: string;
  /** torchvision's file name, e.g. 'resnet18-f37072fd.pth' (the name in torch.hub's cache) */
  readonly file: string;
  /** the sha256 prefix a downloaded file must have */
  readonly sha256: string;
  readonly meta: WeightsMeta;
  /** the ImageClassification preset these weights were evaluated with */
  readonly preset: ImagePreset;
  private readonly names: readonly string[];

  constructor(
    readonly model: string,
    readonly enumName: string,
    name: string,
    e: CatalogWeights,
  ) {
    this.name = name;
    this.file = e.file;
    this.sha256 = e.sha256;
    this.names = [e.file, ...(e.aliases ?? [])];
    this.meta = Object.freeze({
      categories: IMAGENET_CATEGORIES,
      num_params: e.numParams,
      min_size: Object.freeze([...e.minSize]),
      _metrics: Object.freeze({ 'ImageNet-1K': Object.freeze({ ...e.metrics }) }),
      recipe: e.recipe,
    });
    this.preset = Object.freeze({
      mode: 'RGB',
      resize: e.resize,
      crop: e.crop,
      mean: [...e.mean],
      std: [...e.std],
      interpolation: e.interpolation,
    });
    Object.freeze(this);
  }

  /** torchvision's published URL (FINETORCH_WEIGHTS_URL replaces its base) */
  get url(): string {
    return urlFor(this.file, BASE_URL);
  }

  /** `ResNet18_Weights.IMAGENET1K_V1`, as torchvision's repr */
  toString(): string {
    return `${this.enumName}.${this.name}`;
  }

  /**
   * torchvision's `weights.transforms()`: decoded image → resize (shorter side) → center crop →
   * [0, 1] → normalise, as host data transforms (`data.transforms`) for an ImageFolder or DataLoader.
   */
  transforms(): (raw: import('../../data/image.js').RawImage) => import('../../data/image.js').Image {
    return presetTransform(this.preset);
  }

  /** Where the file is (or will be) in torch.hub's cache. */
  get path(): string {
    return nodeOnly("torch.hub's checkpoint cache").path.join(checkpointsDir(), this.file);
  }

  /** The cached file (torchvision's name or a later torchvision's name for the same bytes), or null. */
  cached(): string | null {
    return findCached(this.names);
  }

  private unavailable(reason: 'offline' | 'not-cached'): WeightsUnavailableError {
    const why =
      reason === 'offline'
        ? 'FINETORCH_OFFLINE is set, so it is not downloaded'
        : `the synchronous builders do not download: run \`await ${this}.fetch()\` (or \`await models.load('${this.model}', { weights: '${this.name}' })\`) once`;
    return new WeightsUnavailableError(
      `${this} needs ${this.file}, which is not in ${checkpointsDir()} (${why}); or download ${this.url} and put it at ${this.path}`,
      this.file,
      this.path,
      this.url,
      reason,
    );
  }

  /**
   * The path of the file, downloading it into the cache first when absent (a progress bar on stderr
   * when stderr is a terminal or `progress: true`). FINETORCH_OFFLINE=1 and any network failure give a
   * WeightsUnavailableError naming the file and where to put it.
   */
  async fetch(opts: DownloadOptions = {}): Promise<string> {
    const have = this.cached();
    if (have) return have;
    if (offline()) throw this.unavailable('offline');
    return downloadUrlToFile(urlFor(this.file, BASE_URL, opts.baseUrl), this.path, this.sha256, opts);
  }

  /** The state dict from the cached file (cpu tensors the caller owns); never downloads. */
  stateDictSync(): Record<string, Tensor> {
    const path = this.cached();
    if (!path) throw this.unavailable(offline() ? 'offline' : 'not-cached');
    const obj = loadPth(nodeOnly('reading cached weights').fs.readFileSync(path)) as Record<string, unknown>;
    if (!obj || typeof obj !== 'object' || !Object.values(obj).every((v) => v instanceof Tensor)) {
      throw new WeightsUnavailableError(
        `${path} is not a state dict; delete it and fetch ${this} again`,
        this.file,
        this.path,
        this.url,
        'hash',
      );
    }
    return obj as Record<string, Tensor>;
  }

  /** torchvision's `get_state_dict(progress)`: fetch when needed, then read. */
  async getStateDict(opts: DownloadOptions = {}): Promise<Record<string, Tensor>> {
    await this.fetch(opts);
    return this.stateDictSync();
  }
}

/** A model's weights enum: its members by name, plus DEFAULT (the same object as the default member). */
export type WeightsEnum = Readonly<Record<string, Weights>> & { readonly DEFAULT: Weights };

const enums = new Map<string, WeightsEnum>();
const enumNames = new Map<string, string>();
for (const [model, m] of Object.entries(CATALOG)) {
  const members: Record<string, Weights> = {};
  for (const [name, e] of Object.entries(m.weights)) members[name] = new Weights(model, m.enumName, name, e);
  members.DEFAULT = members[m.default];
  Object.defineProperty(members, 'toString', { value: () => m.enumName });
  enums.set(model, Object.freeze(members) as WeightsEnum);
  enumNames.set(m.enumName, model);
}

/** torchvision's `get_model_weights(name)`: the weights enum of a model ('resnet18' → ResNet18_Weights). */
export function getModelWeights(model: string): WeightsEnum {
  const e = enums.get(model);
  if (!e)
    throw new ArgumentError(
      `no pretrained weights for '${model}' (models with weights: ${[...enums.keys()].join(', ')})`,
    );
  return e;
}

/** Models that have pretrained weights, in catalog order. */
export const modelsWithWeights = (): string[] => [...enums.keys()];

/** Members of a model's enum, without the DEFAULT alias ([] for a model without weights). */
export function weightsOf(model: string): Weights[] {
  const e = enums.get(model);
  return e
    ? Object.keys(e)
        .filter((k) => k !== 'DEFAULT')
        .map((k) => e[k])
    : [];
}

/** torchvision's `get_weight('ResNet50_Weights.IMAGENET1K_V2')`. */
export function getWeight(fullName: string): Weights {
  const [enumName, member, ...rest] = fullName.split('.');
  const model = enumNames.get(enumName);
  if (!model || member === undefined || rest.length)
    throw new ArgumentError(
      `getWeight: '${fullName}' is not a weights name like 'ResNet50_Weights.IMAGENET1K_V2' (enums: ${[...enumNames.keys()].join(', ')})`,
    );
  return resolveWeights(model, member)!;
}

export type WeightsSpec = Weights | string | null | undefined;

/**
 * The weights `spec` names for `model`: a member ('IMAGENET1K_V1'), 'DEFAULT', the full name
 * ('ResNet18_Weights.IMAGENET1K_V1') or a Weights object of that model; null/undefined → null.
 */
export function resolveWeights(model: string, spec: WeightsSpec): Weights | null {
  if (spec === null || spec === undefined) return null;
  const e = enums.get(model);
  if (spec instanceof Weights) {
    if (spec.model !== model)
      throw new ArgumentError(`weights ${spec} are for ${spec.model}, not ${model}${e ? ` (expected ${e})` : ''}`);
    return spec;
  }
  if (typeof spec !== 'string')
    throw new ArgumentError(`weights for ${model} must be a name or a Weights object, got ${typeof spec}`);
  if (!e)
    throw new ArgumentError(
      `${model} has no pretrained weights (weights: '${spec}'); models with weights: ${[...enums.keys()].join(', ')}`,
    );
  const member = spec.startsWith(`${e}.`) ? spec.slice(String(e).length + 1) : spec;
  if (!Object.hasOwn(e, member))
    throw new ArgumentError(
      `unknown weights '${spec}' for ${model} (expected one of ${Object.keys(e)
        .map((k) => `'${k}'`)
        .join(', ')})`,
    );
  return e[member];
}

/** True when `spec` is a name of `model`'s weights (the CLI tells names from file paths with it). */
export function isWeightsName(model: string, spec: string): boolean {
  const e = enums.get(model);
  if (!e) return false;
  const member = spec.startsWith(`${e}.`) ? spec.slice(String(e).length + 1) : spec;
  return Object.hasOwn(e, member);
}
