// Reproduces examples/assets/smallcnn-mnist04.safetensors: the demo's "pretrained" backbone, a
// SmallCNN trained by finetorch itself on MNIST digits 0–4 (a 5-way head). `npm run pretrain`.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/index.js';

const { nn, optim, models, data } = torch;
const F = nn.functional;
const here = dirname(fileURLToPath(import.meta.url));
export const PRETRAINED = join(here, 'assets', 'smallcnn-mnist04.safetensors');
export const MNIST_MEAN = 0.1307,
  MNIST_STD = 0.3081;
const normalize = data.transforms.normalize([MNIST_MEAN], [MNIST_STD]);

async function main() {
  const epochs = Number(process.env.EPOCHS ?? 6);
  torch.manualSeed(0);
  const train = data.MNIST({ digits: [0, 1, 2, 3, 4], train: true, transform: normalize });
  const test = data.MNIST({ digits: [0, 1, 2, 3, 4], train: false, transform: normalize });
  const model = new models.SmallCNN({ numClasses: 5 });
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
  const loader = new data.DataLoader(train, { batchSize: 64, shuffle: true });
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    const t0 = performance.now();
    let seen = 0,
      lossSum = 0;
    for await (const [x, y] of loader) {
      const loss = torch.scope(() => {
        optimizer.zeroGrad();
        const l = F.crossEntropy(model.call(x), y);
        l.backward();
        optimizer.step();
        return l;
      });
      lossSum += (await loss.item()) * y.shape[0];
      seen += y.shape[0];
      loss.dispose();
      x.dispose();
      y.dispose();
    }
    const acc = await accuracy(model, test);
    console.log(
      `epoch ${epoch}: train loss ${(lossSum / seen).toFixed(4)}, test accuracy ${(acc * 100).toFixed(2)}% (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
  mkdirSync(dirname(PRETRAINED), { recursive: true });
  await torch.save(model.stateDict(), PRETRAINED);
  console.log(`wrote ${PRETRAINED}`);
}

export async function accuracy(model: torch.nn.Module, ds: torch.data.Dataset<unknown>): Promise<number> {
  model.eval();
  let correct = 0,
    total = 0;
  for await (const [x, y] of new torch.data.DataLoader(ds, { batchSize: 256 }) as AsyncIterable<torch.Tensor[]>) {
    const hits = torch.noGrad(() => torch.scope(() => model.call(x).argmax(1).eq(y).sum()));
    correct += await hits.item();
    total += y.shape[0];
    hits.dispose();
    x.dispose();
    y.dispose();
  }
  return correct / total;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
  torch.webgpu.release();
}
