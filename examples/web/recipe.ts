// The page's fine-tuning recipe, written once against a `torch` namespace so the Web Worker (with the
// browser bundle) and the Node test (with src/index.ts) run the very same steps — which is what lets
// the browser test compare a training step's loss with Node's. It is the demo's recipe
// (examples/demo.ts: SmallCNN pretrained on digits 0–4, new 5-way head, all but the head frozen, SGD)
// on the digits of digits.bin, with bytes instead of file paths.
import type * as Finetorch from '../../src/index.js';
import { type DigitSplit, PIXELS, SIDE } from './digits.js';

export type Torch = typeof Finetorch;
type Device = Finetorch.Device;
type Module = Finetorch.nn.Module;

/** examples/pretrain.ts's normalisation and examples/demo.ts's RECIPE (kept equal by test/browser/recipe.test.ts) */
export const MNIST_MEAN = 0.1307,
  MNIST_STD = 0.3081;
export const RECIPE = { batchSize: 25, lr: 0.05, momentum: 0.9, epochs: 6 } as const;
/** the new task: digits 5–9, labelled 0–4 */
export const FIRST_DIGIT = 5;
export const CLASSES = 5;

/** A split as a dataset of normalised [1, 28, 28] images and labels 0–4. */
export function toDataset(torch: Torch, split: DigitSplit): Finetorch.data.TensorDataset {
  const n = split.digits.length;
  const x = Float32Array.from(split.images, (v) => (v - MNIST_MEAN) / MNIST_STD);
  const y = Int32Array.from(split.digits, (d) => d - FIRST_DIGIT);
  return new torch.data.TensorDataset({ data: x, shape: [n, 1, SIDE, SIDE] }, { data: y, shape: [n], dtype: 'int32' });
}

/** One 28x28 image (values in [0, 1]) as a normalised [1, 1, 28, 28] batch on `device`. */
export function toInput(torch: Torch, pixels: Float32Array, device: Device): Finetorch.Tensor {
  if (pixels.length !== PIXELS) throw new Error(`expected ${PIXELS} pixels, got ${pixels.length}`);
  return torch
    .tensor(
      Float32Array.from(pixels, (v) => (v - MNIST_MEAN) / MNIST_STD),
      { device },
    )
    .reshape([1, 1, SIDE, SIDE]);
}

/**
 * Steps 1–2 of the seed: the pretrained SmallCNN on `device` without its old head (digits 0–4), and
 * a new 5-way head — seeded, so every environment draws the same head.
 */
export async function pretrainedModel(torch: Torch, weights: Uint8Array, device: Device) {
  torch.manualSeed(0);
  const model = await new torch.models.SmallCNN({ numClasses: CLASSES }).toAsync(device);
  const report = await torch.finetune.loadPretrained(model, weights, { filter: (key) => !key.startsWith('fc.') });
  model.fc = new torch.nn.Linear(576, CLASSES, { device });
  return { model, report };
}

/** Step 3: everything but the head frozen (BatchNorm statistics too). */
export function freezeBackbone(torch: Torch, model: Module): void {
  torch.finetune.freeze(model);
  torch.finetune.unfreeze(model, ['fc']);
}

/** Step 5: SGD over the trainable parameters only. */
export function optimizerFor(torch: Torch, model: Module): Finetorch.optim.SGD {
  return new torch.optim.SGD(
    model.parameters().filter((p) => p.requiresGrad),
    { lr: RECIPE.lr, momentum: RECIPE.momentum },
  );
}

/**
 * The losses of the first `steps` optimizer steps of the recipe on the training split in order (no
 * shuffling): step 1's loss checks the forward pass, the later ones the backward pass and the update.
 */
export async function firstLosses(
  torch: Torch,
  weights: Uint8Array,
  train: DigitSplit,
  device: Device,
  steps: number,
): Promise<number[]> {
  const { model } = await pretrainedModel(torch, weights, device);
  freezeBackbone(torch, model);
  const optimizer = optimizerFor(torch, model);
  const loader = new torch.data.DataLoader(toDataset(torch, train), { batchSize: RECIPE.batchSize, device });
  const losses: number[] = [];
  for await (const [x, y] of loader as AsyncIterable<Finetorch.Tensor[]>) {
    if (losses.length === steps) {
      x.dispose();
      y.dispose();
      break;
    }
    const loss = torch.scope(() => {
      optimizer.zeroGrad();
      const l = torch.nn.functional.crossEntropy(model.call(x), y);
      l.backward();
      optimizer.step();
      return l;
    });
    losses.push(await loss.item());
    loss.dispose();
    x.dispose();
    y.dispose();
  }
  return losses;
}

/** Top-k classes of a [1, 5] logit row, as digits with softmax probabilities. */
export async function topK(logits: Finetorch.Tensor, k: number): Promise<{ digit: number; p: number }[]> {
  const z = Array.from((await logits.data()) as Float32Array);
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e
    .map((v, i) => ({ digit: i + FIRST_DIGIT, p: v / s }))
    .sort((a, b) => b.p - a.p)
    .slice(0, k);
}
