// Reverse-mode differentiation: topological order from the root, gradients accumulated per node,
// leaves accumulate into `.grad`. Backward closures are ops themselves, so `createGraph` gives
// higher-order gradients.
//
// Memory: every gradient tensor the engine holds has exactly one owner (a node's slot or a leaf).
// A tensor handed to a second owner becomes a view (same storage, new object), so the engine can
// dispose each intermediate gradient as soon as its node has run.
import { AutogradError, fmtShape, ShapeError } from '../errors.js';
import { keep } from '../tensor/memory.js';
import { peekNextId, type Tensor } from '../tensor/tensor.js';
import { enableGrad, noGrad } from './grad-mode.js';
import type { Node } from './node.js';

export interface BackwardOptions { retainGraph?: boolean; createGraph?: boolean }

interface EngineOps { add(a: Tensor, b: Tensor): Tensor; onesLike(t: Tensor): Tensor; clone(t: Tensor): Tensor }
let ops: EngineOps;
/** The op layer provides the few ops the engine needs (it sits below the ops). */
export function setEngineOps(o: EngineOps) {
  ops = o;
}

function topoOrder(root: Node): Node[] {
  // iterative DFS post-order, so very deep graphs do not overflow the stack
  const order: Node[] = [];
  const seen = new Set<Node>([root]);
  const stack: [Node, number][] = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const node = top[0];
    if (top[1] < node.inputs.length) {
      const child = node.inputs[top[1]++]?.gradFn as Node | null | undefined;
      if (child && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      order.push(node);
      stack.pop();
    }
  }
  return order.reverse();
}

function runHooks(hooks: ((g: Tensor) => Tensor | void)[], g: Tensor): Tensor {
  for (const h of hooks) {
    const r = h(g);
    if (r) g = r;
  }
  return g;
}

type LeafSink = (leaf: Tensor, g: Tensor, exclusive: boolean) => void;

function run(root: Tensor, gradient: Tensor | null | undefined, opts: BackwardOptions, sink: LeafSink): void {
  const createGraph = !!opts.createGraph;
  const retainGraph = opts.retainGraph ?? createGraph;
  if (!root.requiresGrad) {
    throw new AutogradError('element 0 of tensors does not require grad and does not have a grad_fn');
  }
  if (!gradient) {
    if (root.numel() !== 1) {
      throw new AutogradError(`grad can be implicitly created only for scalar outputs (got shape ${fmtShape(root.shape)}); pass a gradient`);
    }
  } else if (gradient.shape.join() !== root.shape.join()) {
    throw new ShapeError(`backward: gradient shape ${fmtShape(gradient.shape)} does not match output shape ${fmtShape(root.shape)}`);
  }
  const body = () => {
    const startId = peekNextId(); // tensors created from here on are the engine's own
    const g0 = gradient ?? ops.onesLike(root);
    const owned = (t: Tensor) => t.id >= startId && t.id !== gradient?.id && !createGraph;
    if (!root.gradFn) {
      sink(root, runHooks(root._hooks, g0), owned(g0));
      return;
    }
    const grads = new Map<Node, Tensor>([[root.gradFn as Node, g0]]);
    const placed = new Set<Tensor>([g0]);
    const place = (t: Tensor) => {
      const mine = owned(t) && !placed.has(t);
      const p = mine ? t : t._view(t.shape, t.strides, t.offset);
      placed.add(p);
      return p;
    };
    for (const node of topoOrder(root.gradFn as Node)) {
      const gIn = grads.get(node);
      if (!gIn) continue;
      grads.delete(node);
      placed.delete(gIn);
      const g = runHooks(node.hooks, gIn);
      if (node.retainOutput) node.retainOutput.grad = keep(createGraph ? g : ops.clone(g));
      const inGrads = node.apply(g);
      if (!retainGraph) node.release();
      node.inputs.forEach((t, i) => {
        const gi = inGrads[i];
        if (!t || !gi || !node.needs[i]) return;
        if (gi.shape.join() !== t.shape.join()) {
          throw new ShapeError(`${node.name} returned a gradient of shape ${fmtShape(gi.shape)} for an input of shape ${fmtShape(t.shape)}`);
        }
        const child = t.gradFn as Node | null;
        if (child) {
          const prev = grads.get(child);
          if (prev) {
            const sum = ops.add(prev, gi);
            placed.delete(prev);
            if (owned(prev)) prev.dispose();
            grads.set(child, place(sum));
          } else grads.set(child, place(gi));
        } else if (t.requiresGrad) {
          const exclusive = owned(gi) && !placed.has(gi) && inGrads.indexOf(gi) === inGrads.lastIndexOf(gi);
          if (exclusive) placed.add(gi);
          sink(t, runHooks(t._hooks, gi), exclusive);
        }
      });
      for (const gi of [gIn, g]) if (owned(gi) && !placed.has(gi)) gi.dispose();
    }
  };
  if (createGraph) enableGrad(body);
  else noGrad(body);
}

/** `t.backward()`: accumulate d(root)/d(leaf) into every leaf's `.grad`. */
export function backward(root: Tensor, gradient?: Tensor | null, opts: BackwardOptions = {}): void {
  run(root, gradient, opts, (leaf, g, exclusive) => {
    const old = leaf.grad && !leaf.grad.isDisposed ? leaf.grad : null;
    if (!old) {
      leaf.grad = keep(exclusive && g.isContiguous() && g.offset === 0 ? g : ops.clone(g));
    } else {
      leaf.grad = keep(ops.add(old, g));
      if (!opts.createGraph) old.dispose();
      if (exclusive) g.dispose();
    }
  });
}

/** `torch.autograd.grad`: gradients of `output` with respect to leaf `inputs`, leaving `.grad` alone. */
export function grad(output: Tensor, inputs: Tensor[], gradOutput?: Tensor | null, opts: BackwardOptions = {}): (Tensor | null)[] {
  for (const t of inputs) {
    if (!t.isLeaf) throw new AutogradError('autograd.grad: inputs must be leaf tensors');
  }
  const found = new Map<Tensor, Tensor>();
  run(output, gradOutput, opts, (leaf, g, exclusive) => {
    if (!inputs.includes(leaf)) {
      if (exclusive) g.dispose();
      return;
    }
    const prev = found.get(leaf);
    const mine = exclusive ? g : ops.clone(g);
    found.set(leaf, prev ? ops.add(prev, mine) : mine);
  });
  return inputs.map((t) => found.get(t) ?? null);
}
