// replaceHead: the seed's `resnet.fc = nn.Linear(512, 2)` without having to know the 512 — or,
// for the zoo's models, where the head is (`fc`, `classifier.1`, `classifier.3`, `classifier.2`).
import { ArgumentError } from '../errors.js';
import { ConvNeXt } from '../models/convnext.js';
import { EfficientNet } from '../models/efficientnet.js';
import { MobileNetV2 } from '../models/mobilenetv2.js';
import { MobileNetV3 } from '../models/mobilenetv3.js';
import { ResNet } from '../models/resnet.js';
import { SmallCNN } from '../models/smallcnn.js';
import { Linear } from '../nn/layers/linear.js';
import { Module } from '../nn/module.js';

/** torchvision's head for each model family (subclasses included) */
const HEADS: [abstract new (...a: never[]) => Module, string][] = [
  [ResNet, 'fc'],
  [SmallCNN, 'fc'],
  [MobileNetV2, 'classifier.1'],
  [EfficientNet, 'classifier.1'],
  [MobileNetV3, 'classifier.3'],
  [ConvNeXt, 'classifier.2'],
];

/** Where `model`'s classification head is, for the models in `torch.models`; null for any other model. */
export function headPath(model: Module): string | null {
  for (const [cls, path] of HEADS) if (model instanceof cls) return path;
  return null;
}

/**
 * Replace the module at `path` (`'fc'`, `'classifier.1'`, `'heads.cls'`) with a new `nn.Linear`
 * from the old head's `inFeatures` to `numClasses` (same bias setting and device), or with the given
 * module. Returns the new head; its parameters are fresh and trainable. The old head is detached
 * from the model but not disposed (something may still hold it). Without a path, the head of a
 * `torch.models` model is found by `headPath` (`replaceHead(mobilenet, 10)`).
 */
export function replaceHead(model: Module, numClasses: number): Linear;
export function replaceHead<M extends Module>(model: Module, head: M): M;
export function replaceHead(model: Module, path: string, numClasses: number): Linear;
export function replaceHead<M extends Module>(model: Module, path: string, head: M): M;
export function replaceHead<M extends Module = Linear>(model: Module, path: string, head: number | M): M | Linear;
export function replaceHead<M extends Module = Linear>(
  model: Module,
  pathOrHead: string | number | M,
  maybeHead?: number | M,
): M | Linear {
  let path: string, head: number | M;
  if (typeof pathOrHead === 'string' || maybeHead !== undefined) {
    path = pathOrHead as string;
    head = maybeHead as number | M;
  } else {
    const known = headPath(model);
    if (known === null)
      throw new ArgumentError(
        `replaceHead: no known head for a ${model._getName()}; pass its path, e.g. replaceHead(model, 'fc', ${typeof pathOrHead === 'number' ? pathOrHead : 'newHead'})`,
      );
    path = known;
    head = pathOrHead;
  }
  if (typeof path !== 'string' || path === '')
    throw new ArgumentError(
      `replaceHead: path must name a submodule ('fc', 'classifier.1'), got ${JSON.stringify(path)}`,
    );
  const dot = path.lastIndexOf('.');
  const parentPath = dot < 0 ? '' : path.slice(0, dot);
  const attr = path.slice(dot + 1);
  const parent = model.getSubmodule(parentPath);
  if (!parent._modules.has(attr) || !parent._modules.get(attr)) {
    const kids = [...parent._modules.keys()].join(', ') || 'none';
    throw new ArgumentError(
      `replaceHead: ${parentPath ? `'${parentPath}'` : 'the model'} has no submodule '${attr}' (children: ${kids})`,
    );
  }
  const old = parent._modules.get(attr)!;
  let next: Module;
  if (typeof head === 'number') {
    if (!Number.isInteger(head) || head < 1)
      throw new ArgumentError(`replaceHead: numClasses must be a positive integer, got ${head}`);
    if (!(old instanceof Linear)) {
      const inner = old
        .namedModules()
        .filter(([, m]) => m instanceof Linear)
        .map(([n]) => `${path}.${n}`);
      throw new ArgumentError(
        `replaceHead: '${path}' is a ${old._getName()}, not a Linear, so its input width is unknown${inner.length ? ` (its last Linear is '${inner[inner.length - 1]}')` : '; pass the new module instead of a class count'}`,
      );
    }
    next = new Linear(old.inFeatures, head, { bias: old.bias !== null, device: old.weight.device });
  } else if (head instanceof Module) {
    next = head;
  } else {
    throw new ArgumentError(`replaceHead: expected a class count or a Module, got ${typeof head}`);
  }
  (parent as unknown as Record<string, Module>)[attr] = next; // registration by assignment
  return next as M | Linear;
}
