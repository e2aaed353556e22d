// One epoch of `npm run demo`'s fine-tuning, built by the demo's own code (examples/demo.ts:
// fewShot, fineTuneSetup, trainLoader, then finetune.fit as the demo calls it): the SmallCNN
// backbone pretrained on digits 0–4, a new 5-way head, everything but the head frozen (BatchNorm in
// eval), SGD with momentum over the head, 50 real MNIST images of each digit 5–9 in shuffled
// batches of 25. Milliseconds per epoch; "+ validation" adds the pass over 250 held-out images that
// fit runs after each of the demo's epochs (the demo's checkpoint files are left out).
import { fewShot, fineTuneSetup, RECIPE, trainLoader } from '../../examples/demo.js';
import type { BenchCase, Workload } from '../lib/harness.js';
import { na } from '../lib/harness.js';
import { disposeModel, finetorch, missing } from '../lib/ours.js';

const VAL_SIZE = 250; // the demo's validation set outside --quick
// params: what PyTorch's twin (bench/pytorch_bench.py demo_epoch) builds, from the demo's recipe
const P = { ...RECIPE, classes: 5, valSize: VAL_SIZE };
const cases: BenchCase[] = [
  { id: 'train', label: 'training epoch (250 images, 10 steps)', params: { ...P, val: false } },
  { id: 'train_val', label: 'training epoch + validation (250 images)', params: { ...P, val: true } },
];

export const workload: Workload = {
  name: 'demo-epoch',
  title: "One epoch of the demo's fine-tuning (SmallCNN, frozen backbone, digits 5–9)",
  metric: 'ms',
  note:
    "An epoch = finetune.fit({ epochs: 1 }) over the demo's 250 labelled images (batches of 25 from its shuffled " +
    'DataLoader, pixels normalised on the fly): forward, cross-entropy, backward through the head only, SGD (lr 0.05, ' +
    'momentum 0.9), loss and accuracy summed on the device and read back at the end; "+ validation": fit\'s eval pass over ' +
    "250 more images in one batch. PyTorch: tools/reference/models.py's SmallCNN with the same pretrained backbone, new " +
    'head, frozen parameters and BatchNorm, optimizer and loop, over random tensors of the same shapes (balanced labels) ' +
    'in a TensorDataset + DataLoader (shuffle, batch 25) — the images differ, the work does not.',
  cases,
  pytorch: 'demo_epoch',

  async ours(device, c) {
    const torch = await finetorch();
    const lacking = missing(torch, ['models.SmallCNN', 'finetune.fit', 'finetune.loadPretrained', 'data.DataLoader']);
    if (lacking.length) return na(`needs ${lacking.join(', ')}`);
    torch.manualSeed(0);
    const { train, val } = fewShot(RECIPE.perClass, VAL_SIZE);
    const { model, optimizer } = await fineTuneSetup(device);
    const valLoader = c.params.val ? new torch.data.DataLoader(val, { batchSize: VAL_SIZE, device }) : undefined;
    return {
      run: async () => {
        // as runDemo calls it, minus checkpointDir (files) and the progress lines
        await torch.finetune.fit(model, {
          train: trainLoader(train, device),
          val: valLoader,
          optimizer,
          epochs: 1,
          log: false,
          handleSigint: false,
        });
      },
      dispose: () => {
        disposeModel(model, optimizer);
      },
    };
  },

  async tfjs() {
    return na(
      "no TF.js twin: tfjs-core's node bundle registers no gradients and has no pretrained SmallCNN or data pipeline",
    );
  },
};
