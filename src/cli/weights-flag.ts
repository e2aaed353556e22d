// `--weights FILE|NAME` for finetune and predict: a checkpoint file, or the name of the model's
// pretrained weights as torchvision spells it (`DEFAULT`, `IMAGENET1K_V1`,
// `MobileNet_V3_Small_Weights.IMAGENET1K_V1`), which is read from torch.hub's cache and downloaded
// there first when absent. An existing file wins over a name, so a file called DEFAULT still works.
import { existsSync } from 'node:fs';
import { CATALOG } from '../models/weights/catalog.js';
import { UsageError } from './command.js';
import { weightsMemberOf } from './preprocess.js';

export type WeightsFlag =
  | { kind: 'file'; path: string }
  | { kind: 'named'; model: string; member: string; label: string };

/** The --weights value checked before anything heavy loads: an existing file or a weights name of `model`. */
export function parseWeightsFlag(model: string, value: string): WeightsFlag {
  if (existsSync(value)) return { kind: 'file', path: value };
  const entry = Object.hasOwn(CATALOG, model) ? CATALOG[model] : undefined;
  const member = entry && !value.includes('/') ? weightsMemberOf(model, value) : undefined;
  if (entry && member) return { kind: 'named', model, member, label: `${entry.enumName}.${member}` };
  const names = entry
    ? ` (not a file, nor weights of ${model}: DEFAULT, ${Object.keys(entry.weights).join(', ')})`
    : '';
  throw new UsageError(`--weights '${value}' does not exist${names}`);
}

type Torch = typeof import('../index.js');

/** The file to read: the path itself, or the named weights' file in the cache (downloaded when absent). */
export async function weightsPath(torch: Torch, w: WeightsFlag): Promise<string> {
  if (w.kind === 'file') return w.path;
  return torch.models.resolveWeights(w.model, w.member)!.fetch();
}
