// Small models and synthetic data for the finetune tests: a ResNet-shaped net (conv/BatchNorm stem,
// two stages of residual blocks, a Linear head) that runs in milliseconds on both devices.
import { torch, type Device } from '../harness.js';

const { nn } = torch;
const F = nn.functional;

export class Block extends nn.Module {
  declare conv1: torch.nn.Conv2d;
  declare bn1: torch.nn.BatchNorm2d;
  declare conv2: torch.nn.Conv2d;
  declare bn2: torch.nn.BatchNorm2d;
  constructor(c: number, device: Device) {
    super();
    this.conv1 = new nn.Conv2d(c, c, 3, { padding: 1, bias: false, device });
    this.bn1 = new nn.BatchNorm2d(c, { device });
    this.conv2 = new nn.Conv2d(c, c, 3, { padding: 1, bias: false, device });
    this.bn2 = new nn.BatchNorm2d(c, { device });
  }
  override forward(x: torch.Tensor): torch.Tensor {
    const out = this.bn2.call(this.conv2.call(this.bn1.call(this.conv1.call(x)).relu()));
    return out.add(x).relu();
  }
}

/** conv1/bn1 stem, layer1 and layer2 (Sequential of Blocks), fc: the key layout of a ResNet. */
export class TinyResNet extends nn.Module {
  declare conv1: torch.nn.Conv2d;
  declare bn1: torch.nn.BatchNorm2d;
  declare layer1: torch.nn.Sequential;
  declare layer2: torch.nn.Sequential;
  declare fc: torch.nn.Module;
  constructor(numClasses: number, device: Device, width = 4) {
    super();
    this.conv1 = new nn.Conv2d(3, width, 3, { padding: 1, bias: false, device });
    this.bn1 = new nn.BatchNorm2d(width, { device });
    this.layer1 = new nn.Sequential(new Block(width, device));
    this.layer2 = new nn.Sequential(new Block(width, device), new Block(width, device));
    this.fc = new nn.Linear(width, numClasses, { device });
  }
  override forward(x: torch.Tensor): torch.Tensor {
    x = this.bn1.call(this.conv1.call(x)).relu();
    x = this.layer2.call(this.layer1.call(x));
    return this.fc.call(F.adaptiveAvgPool2d(x, 1).flatten(1));
  }
}

/** A two-layer MLP: `0` Linear, `1` ReLU, `2` Linear (keys 0.weight ... 2.bias). */
export function mlp(inF: number, hidden: number, out: number, device: Device): torch.nn.Sequential {
  return new nn.Sequential(
    new nn.Linear(inF, hidden, { device }),
    new nn.ReLU(),
    new nn.Linear(hidden, out, { device }),
  );
}

/**
 * A linearly separable classification set on the host: n samples of `dim` features, `classes` labels
 * (label = argmax of a fixed projection), as a TensorDataset.
 */
export function blobs(n: number, dim: number, classes: number, seed = 0): torch.data.TensorDataset {
  const g = new torch.Generator(seed);
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = -Infinity;
    for (let d = 0; d < dim; d++) x[i * dim + d] = g.normal();
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += x[i * dim + d] * Math.cos(1 + c * 2.1 + d * 0.7);
      if (s > best) {
        best = s;
        y[i] = c;
      }
    }
  }
  return new torch.data.TensorDataset({ data: x, shape: [n, dim] }, { data: y, shape: [n] });
}

/** Images [n, 3, h, w] with labels in [0, classes). */
export function images(n: number, size: number, classes: number, seed = 0): torch.data.TensorDataset {
  const g = new torch.Generator(seed);
  const x = new Float32Array(n * 3 * size * size);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    for (let k = 0; k < 3 * size * size; k++) x[i * 3 * size * size + k] = g.normal() + (k % 3 === y[i] % 3 ? 0.5 : 0);
  }
  return new torch.data.TensorDataset({ data: x, shape: [n, 3, size, size] }, { data: y, shape: [n] });
}

/** Host copies of every state-dict entry (for bitwise before/after comparisons). */
export async function snapshot(m: torch.nn.Module): Promise<Map<string, Float32Array | Int32Array | Uint8Array>> {
  const out = new Map<string, Float32Array | Int32Array | Uint8Array>();
  for (const [k, t] of Object.entries(m.stateDict())) {
    out.set(k, await t.data());
    t.dispose();
  }
  return out;
}

export const bitwiseEqual = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

/**
 * Run a full garbage collection and let the FinalizationRegistry callbacks run, so tensors that
 * earlier tests dropped without disposing are released now and not in the middle of a measurement.
 */
export async function collectGarbage(): Promise<void> {
  const v8 = await import('node:v8');
  const vm = await import('node:vm');
  v8.setFlagsFromString('--expose_gc');
  const gc = vm.runInNewContext('gc') as () => void;
  for (let i = 0; i < 2; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 0));
  }
}
