// replaceHead: the seed's `resnet.fc = nn.Linear(512, 2)` without having to know the 512.
import { ArgumentError } from '../errors.js';
import { Linear } from '../nn/layers/linear.js';
import { Module } from '../nn/module.js';

/**
 * Replace the module at `path` (`'fc'`, `'classifier.1'`, `'heads.cls'`) with a new `nn.Linear`
 * from the old head's `inFeatures` to `numClasses` (same bias setting and device), or with the given
 * module. Returns the new head; its parameters are fresh and trainable. The old head is detached
 * from the model but not disposed (something may still hold it).
 */
export function replaceHead<M extends Module = Linear>(model: Module, path: string, head: number | M): M | Linear {
  if (typeof path !== 'string' || path === '') throw new ArgumentError(`replaceHead: path must name a submodule ('fc', 'classifier.1'), got ${JSON.stringify(path)}`);
  const dot = path.lastIndexOf('.');
  const parentPath = dot < 0 ? '' : path.slice(0, dot);
  const attr = path.slice(dot + 1);
  const parent = model.getSubmodule(parentPath);
  if (!parent._modules.has(attr) || !parent._modules.get(attr)) {
    const kids = [...parent._modules.keys()].join(', ') || 'none';
    throw new ArgumentError(`replaceHead: ${parentPath ? `'${parentPath}'` : 'the model'} has no submodule '${attr}' (children: ${kids})`);
  }
  const old = parent._modules.get(attr)!;
  let next: Module;
  if (typeof head === 'number') {
    if (!Number.isInteger(head) || head < 1) throw new ArgumentError(`replaceHead: numClasses must be a positive integer, got ${head}`);
    if (!(old instanceof Linear)) {
      const inner = old.namedModules().filter(([, m]) => m instanceof Linear).map(([n]) => `${path}.${n}`);
      throw new ArgumentError(`replaceHead: '${path}' is a ${old._getName()}, not a Linear, so its input width is unknown${inner.length ? ` (its last Linear is '${inner[inner.length - 1]}')` : '; pass the new module instead of a class count'}`);
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
