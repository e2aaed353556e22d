// Reverse-mode differentiation: topological order from the root, gradients accumulated per node,
// leaves accumulate into `.grad`. Backward closures are ops themselves, so `createGraph` gives
// higher-order gradients.
//
// Memory: every gradient tensor the engine holds has exactly one owner (a node's slot or a leaf).
// A tensor handed to a second owner becomes a view (same storage, new object), so the engine can
// dispose each intermediate gradient as soon as its node has run; each backward closure runs in a
// scope, so its temporaries go too. Tensors a hook sees or returns are the user's.
import { AutogradError, fmtShape, ShapeError } from '../errors.js';
import { keep, scope } from '../tensor/memory.js';
import { peekNextId, type Tensor } from '../tensor/tensor.js';
import { enableGrad, noGrad } from './grad-mode.js';
import type { Node } from './node.js';

export interface BackwardOptions {
  retainGraph?: boolean;
  createGraph?: boolean;
}

interface EngineOps {
  add(a: Tensor, b: Tensor): Tensor;
  onesLike(t: Tensor): Tensor;
  clone(t: Tensor): Tensor;
}
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

type Hooks = ((g: Tensor) => Tensor | void)[];

/** receives each leaf's total gradient; `exclusive`: nothing else views g's storage, so the sink may
 * adopt g instead of cloning it. Returns whether it adopted g (else the engine frees its own g). */
type LeafSink = (leaf: Tensor, g: Tensor, exclusive: boolean) => boolean;
/** called with each graph node's total gradient (after its hooks) before the node runs */
type NodeSink = (node: Node, g: Tensor) => void;

function run(
  root: Tensor,
  gradient: Tensor | null | undefined,
  opts: BackwardOptions,
  sink: LeafSink,
  nodeSink?: NodeSink,
): void {
  const createGraph = !!opts.createGraph;
  const retainGraph = opts.retainGraph ?? createGraph;
  if (!root.requiresGrad) {
    throw new AutogradError('element 0 of tensors does not require grad and does not have a grad_fn');
  }
  if (!gradient) {
    if (root.numel() !== 1) {
      throw new AutogradError(
        `grad can be implicitly created only for scalar outputs (got shape ${fmtShape(root.shape)}); pass a gradient`,
      );
    }
  } else if (gradient.shape.join() !== root.shape.join()) {
    throw new ShapeError(
      `backward: gradient shape ${fmtShape(gradient.shape)} does not match output shape ${fmtShape(root.shape)}`,
    );
  }
  const body = () => {
    const startId = peekNextId(); // tensors created from here on are the engine's own
    const g0 = gradient ?? ops.onesLike(root);
    // tensors a hook was given or returned belong to the user (a hook may keep them)
    const foreign = new Set<Tensor>();
    const owned = (t: Tensor) => t.id >= startId && t.id !== gradient?.id && !createGraph && !foreign.has(t);
    const hooked = (hooks: Hooks, g: Tensor): Tensor => {
      for (const h of hooks) {
        // a view the engine never frees; under createGraph the tensor itself (a view has no graph)
        const seen = createGraph ? g : g._view(g.shape, g.strides, g.offset);
        foreign.add(seen);
        const r = h(seen);
        if (r) {
          if (r.shape.join() !== g.shape.join()) {
            throw new ShapeError(
              `a hook changed the gradient's shape from ${fmtShape(g.shape)} to ${fmtShape(r.shape)}`,
            );
          }
          foreign.add(r);
          if (owned(g)) g.dispose();
          g = r;
        }
      }
      return g;
    };
    // every gradient slot (a node's input gradient or a leaf's total) owns its tensor object.
    // Under createGraph nothing is freed and gradients must keep their graph: no views then.
    const placed = new Set<Tensor>([g0]);
    const place = (t: Tensor) => {
      if (createGraph) return t;
      const mine = owned(t) && !placed.has(t);
      const p = mine ? t : t._view(t.shape, t.strides, t.offset);
      placed.add(p);
      return p;
    };
    const accumulate = <K>(slots: Map<K, Tensor>, key: K, gi: Tensor) => {
      const prev = slots.get(key);
      if (!prev) {
        slots.set(key, place(gi));
        return;
      }
      const sum = ops.add(prev, gi);
      placed.delete(prev);
      if (owned(prev)) prev.dispose();
      slots.set(key, place(sum));
    };
    // leaves are summed over every path first, so their hooks run once on the total (PyTorch)
    const leafGrads = new Map<Tensor, Tensor>();
    const grads = new Map<Node, Tensor>();
    if (root.gradFn) grads.set(root.gradFn as Node, g0);
    else leafGrads.set(root, g0);
    for (const node of root.gradFn ? topoOrder(root.gradFn as Node) : []) {
      const gIn = grads.get(node);
      if (!gIn) continue;
      grads.delete(node);
      placed.delete(gIn);
      const g = hooked(node.hooks, gIn);
      if (node.retainOutput) {
        const out = node.retainOutput;
        const mine = createGraph ? g : ops.clone(g);
        const old = out.grad && !out.grad.isDisposed ? out.grad : null;
        out.grad = keep(old ? ops.add(old, mine) : mine);
        if (old) {
          if (!createGraph) old.dispose();
          if (mine !== g) mine.dispose();
        }
      }
      nodeSink?.(node, g);
      // temporaries a backward closure makes are freed when it returns (its gradients survive);
      // under createGraph they belong to the new graph and stay
      const inGrads = createGraph ? node.apply(g) : scope(() => node.apply(g));
      if (!retainGraph) node.release();
      node.inputs.forEach((t, i) => {
        const gi = inGrads[i];
        if (!t || !gi || !node.needs[i]) return;
        if (gi.shape.join() !== t.shape.join()) {
          throw new ShapeError(
            `${node.name} returned a gradient of shape ${fmtShape(gi.shape)} for an input of shape ${fmtShape(t.shape)}`,
          );
        }
        const child = t.gradFn as Node | null;
        if (child) accumulate(grads, child, gi);
        else if (t.requiresGrad) accumulate(leafGrads, t, gi);
      });
      for (const gi of new Set([gIn, g, ...inGrads])) if (gi && owned(gi) && !placed.has(gi)) gi.dispose();
    }
    for (const [leaf, gl] of leafGrads) {
      placed.delete(gl);
      const g = hooked(leaf._hooks, gl);
      const mine = owned(g);
      if (!sink(leaf, g, mine && g.storage.refs === 1) && mine) g.dispose();
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
    }
    return leaf.grad === g;
  });
}

export interface GradOptions extends BackwardOptions {
  /** an input the output does not depend on gets null instead of an error */
  allowUnused?: boolean;
}

/**
 * `torch.autograd.grad`: the gradients of `output` with respect to `inputs` (leaves or
 * intermediate tensors), leaving every `.grad` alone.
 */
export function grad(
  output: Tensor,
  inputs: Tensor[],
  gradOutput?: Tensor | null,
  opts: GradOptions = {},
): (Tensor | null)[] {
  inputs.forEach((t, i) => {
    if (!t.requiresGrad) throw new AutogradError(`grad: input ${i} (shape ${fmtShape(t.shape)}) does not require grad`);
  });
  const found = new Map<Tensor, Tensor>();
  const byNode = new Map<Node, Tensor[]>();
  for (const t of inputs) if (t.gradFn) byNode.set(t.gradFn as Node, [...(byNode.get(t.gradFn as Node) ?? []), t]);
  run(
    output,
    gradOutput,
    opts,
    (leaf, g, exclusive) => {
      if (!inputs.includes(leaf)) return false;
      found.set(leaf, exclusive ? g : ops.clone(g));
      return exclusive;
    },
    (node, g) => {
      // an intermediate input: its gradient is its node's total incoming gradient
      for (const t of byNode.get(node) ?? []) found.set(t, opts.createGraph ? g : ops.clone(g));
    },
  );
  return inputs.map((t, i) => {
    const g = found.get(t) ?? null;
    if (!g && !opts.allowUnused) {
      throw new AutogradError(
        `grad: input ${i} (shape ${fmtShape(t.shape)}) was not used to compute the output; pass allowUnused: true if that is intended`,
      );
    }
    return g;
  });
}
