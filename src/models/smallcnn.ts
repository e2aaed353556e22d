// A small CNN for 28×28 grey images (MNIST): three conv/BatchNorm/ReLU/max-pool blocks and a linear
// head on the 64×3×3 map (kept spatial, so a frozen backbone still gives a linear probe enough to work with).
// The demo pretrains it on digits 0–4 and fine-tunes the head for 5–9. Twin in tools/reference/models.py.
import { flatten, relu } from '../autograd/index.js';
import * as nn from '../nn/index.js';
import { maxPool2d } from '../nn/functional/pool.js';
import type { Tensor } from '../tensor/tensor.js';

export class SmallCNN extends nn.Module {
  declare conv1: nn.Conv2d;
  declare bn1: nn.BatchNorm2d;
  declare conv2: nn.Conv2d;
  declare bn2: nn.BatchNorm2d;
  declare conv3: nn.Conv2d;
  declare bn3: nn.BatchNorm2d;
  declare fc: nn.Module;
  constructor(opts: { numClasses?: number } = {}) {
    super();
    this.conv1 = new nn.Conv2d(1, 16, 3, { padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(16);
    this.conv2 = new nn.Conv2d(16, 32, 3, { padding: 1, bias: false });
    this.bn2 = new nn.BatchNorm2d(32);
    this.conv3 = new nn.Conv2d(32, 64, 3, { padding: 1, bias: false });
    this.bn3 = new nn.BatchNorm2d(64);
    this.fc = new nn.Linear(64 * 3 * 3, opts.numClasses ?? 10);
  }
  /** [N, 1, 28, 28] → [N, 576] */
  features(x: Tensor): Tensor {
    x = maxPool2d(relu(this.bn1.call(this.conv1.call(x))), 2);
    x = maxPool2d(relu(this.bn2.call(this.conv2.call(x))), 2);
    return flatten(maxPool2d(relu(this.bn3.call(this.conv3.call(x))), 2), 1);
  }
  override forward(x: Tensor): Tensor {
    return this.fc.call(this.features(x));
  }
}
