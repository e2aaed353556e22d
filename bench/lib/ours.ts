// finetorch as the benchmark sees it: the public API (`import * as torch`), loaded once.
export type Torch = typeof import('../../src/index.js');
let mod: Promise<Torch> | null = null;
export function finetorch(): Promise<Torch> {
  mod ??= import('../../src/index.js');
  return mod;
}

/** The names in `names` (dotted paths into the torch module) that do not exist yet. */
export function missing(torch: Torch, names: string[]): string[] {
  return names.filter((path) => {
    let x: unknown = torch;
    for (const part of path.split('.'))
      x =
        (x !== null && typeof x === 'object') || typeof x === 'function'
          ? (x as Record<string, unknown>)[part]
          : undefined;
    return typeof x !== 'function';
  });
}

type Tensor = import('../../src/index.js').Tensor;
type Module = import('../../src/index.js').nn.Module;
type Optimizer = import('../../src/index.js').optim.Optimizer;
type Device = 'webgpu' | 'cpu';

/**
 * The training step every train workload times: in one scope, zeroGrad, forward, cross-entropy,
 * backward, optimizer step; then the loss is read back (so the queued GPU work is inside the step)
 * and freed.
 */
export function trainStep(torch: Torch, model: Module, opt: Optimizer, x: Tensor, y: Tensor): () => Promise<void> {
  return async () => {
    const loss = torch.scope(() => {
      opt.zeroGrad();
      const l = torch.nn.functional.crossEntropy(model.call(x) as Tensor, y);
      l.backward();
      opt.step();
      return l;
    });
    await loss.item();
    loss.dispose();
  };
}

/**
 * Peak live tensor bytes on `device` during one more `run()`: torch.memory()'s peakBytes after
 * resetPeak, so it counts what was live when the step began (parameters, optimizer state, inputs)
 * plus everything the step allocated at its high point. Bytes parked in the buffer pool are not
 * tensors and are not counted.
 */
export async function peakBytes(
  torch: Torch,
  device: Device,
  run: () => Promise<void>,
): Promise<{ peakBytes: number }> {
  torch.resetPeak(device);
  await run();
  return { peakBytes: torch.memory()[device].peakBytes };
}

/**
 * Free a model's parameters, their gradients, its buffers and the optimizer's state (momentum
 * buffers): anything left would still count as live in the next case's peak bytes.
 */
export function disposeModel(model: Module, opt?: Optimizer): void {
  for (const st of opt?.state.values() ?? []) for (const v of Object.values(st)) if (isTensor(v)) v.dispose();
  for (const p of model.parameters()) {
    p.grad?.dispose();
    p.dispose();
  }
  for (const [, b] of model.namedBuffers()) b?.dispose();
}
const isTensor = (v: unknown): v is Tensor =>
  typeof v === 'object' && v !== null && typeof (v as Tensor).dispose === 'function';

/**
 * A model built on `device` (seeded) for an image-classification case: with `head` (a module path) every
 * parameter but the head's is frozen (`finetune.freeze`, BatchNorms kept in eval); random inputs of
 * [batch, 3, size, size] and 1000-class targets, SGD with momentum over the trainable parameters, and a
 * `dispose` that frees all of it.
 */
export function imageCase(
  torch: Torch,
  device: Device,
  build: () => Module,
  p: { head?: string | ((m: Module) => string | null) | null; batch: number; size: number },
) {
  torch.manualSeed(0);
  const initial = torch.defaultDevice();
  torch.setDefaultDevice(device);
  const model = build();
  torch.setDefaultDevice(initial);
  const head = typeof p.head === 'function' ? p.head(model) : p.head;
  if (head) {
    torch.finetune.freeze(model);
    torch.finetune.unfreeze(model, [head]);
  }
  const x = torch.keep(torch.randn([p.batch, 3, p.size, p.size], { device }));
  const y = torch.keep(torch.randint(0, 1000, [p.batch], { device }));
  const opt = new torch.optim.SGD(
    model.parameters().filter((q) => q.requiresGrad),
    { lr: 0.01, momentum: 0.9 },
  );
  const dispose = () => {
    for (const t of [x, y]) t.dispose();
    disposeModel(model, opt);
  };
  return { model, x, y, opt, dispose };
}
