// `finetorch predict`: what a user does after fine-tuning — top-k classes with probabilities for
// each image, preprocessed as in training (SmallCNN: grey 28×28 with MNIST statistics; ResNet:
// RGB, resize 256, center crop 224, ImageNet statistics). The class count comes from the weights.
import { readFileSync } from 'node:fs';
import type { Command } from '../main.js';
import { UsageError } from '../main.js';
import { parseFlags } from '../flags.js';

const usage = 'finetorch predict --model resnet18|resnet34|resnet50|smallcnn --weights W [--classes names.json] [--top-k K] [--device cpu|webgpu] IMAGE...';

export const MNIST_STATS = { mean: [0.1307], std: [0.3081] };
export const IMAGENET_STATS = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

export const command: Command = {
  summary: 'top-k classes with probabilities for PNG/JPEG images',
  usage,
  async run(args) {
    const f = parseFlags(args, { model: 'string', weights: 'string', classes: 'string', 'top-k': 'int', device: 'string' });
    if (!f.model || !f.weights) throw new UsageError('--model and --weights are required');
    if (!f._.length) throw new UsageError('give at least one image');
    const torch = await import('../../index.js');
    const { data, models } = torch;
    const sd = (await torch.load(f.weights as string)) as Record<string, InstanceType<typeof torch.Tensor>>;
    const head = sd['fc.weight'];
    if (!head || head.ndim !== 2) throw new UsageError(`${f.weights} has no 2-D 'fc.weight': not weights for ${f.model}`);
    const numClasses = head.shape[0];
    let names: string[] = Array.from({ length: numClasses }, (_, i) => String(i));
    if (f.classes) {
      const parsed = JSON.parse(readFileSync(f.classes as string, 'utf8')) as unknown;
      const list = Array.isArray(parsed) ? parsed.map(String) : Object.keys(parsed as object);
      if (list.length !== numClasses) throw new UsageError(`${f.classes} names ${list.length} classes but the weights have ${numClasses}`);
      names = list;
    }
    const device = (f.device as string | undefined) ?? torch.defaultDevice();
    if (device !== 'cpu' && device !== 'webgpu') throw new UsageError(`--device must be cpu or webgpu, got '${device}'`);
    torch.setDefaultDevice('cpu');
    const model = models.create(f.model as string, { numClasses });
    model.loadStateDict(sd, { strict: true });
    model.to(device).eval();
    const T = data.transforms;
    const grey = f.model === 'smallcnn';
    const prep = grey
      ? T.compose([T.toTensor(), T.resize([28, 28]), T.normalize(MNIST_STATS.mean, MNIST_STATS.std)])
      : T.compose([T.toTensor(), T.resize(256), T.centerCrop(224), T.normalize(IMAGENET_STATS.mean, IMAGENET_STATS.std)]);
    const k = Math.min((f['top-k'] as number | undefined) ?? 3, numClasses);
    for (const path of f._) {
      const img = prep(data.decodeImage(readFileSync(path), path, grey ? 'L' : 'RGB')) as { data: Float32Array; channels: number; height: number; width: number };
      const x = torch.tensor(img.data, { device }).reshape([1, img.channels, img.height, img.width]);
      const probs = Array.from((await torch.noGrad(() => model.call(x).softmax(1)).data()) as ArrayLike<number>);
      const order = [...probs.keys()].sort((a, b) => probs[b] - probs[a]).slice(0, k);
      console.log(`${path}: ${order.map((i) => `${names[i]} ${(probs[i] * 100).toFixed(1)}%`).join(', ')}`);
    }
    return 0;
  },
};
