// The piecewise-linear activations of the mobile networks (MobileNetV2's relu6, MobileNetV3's
// hardswish and hardsigmoid) and torchvision.ops.stochastic_depth (EfficientNet, ConvNeXt).
//
// The activations are composed from existing kernels (affine, clamp, mul) rather than new ones, but
// each is recorded as ONE autograd node with PyTorch 1.13's own backward formula, so the gradients
// at the corners ±3 are PyTorch's, not whatever the composition's subgradients would give:
//   hardswish'(x)   = 0 for x < -3, x/3 + 1/2 for -3 <= x <= 3, 1 for x > 3   (-1/2 at -3, 3/2 at 3)
//   hardsigmoid'(x) = 1/6 for -3 < x < 3, else 0                              (0 at both corners)
//   relu6 is hardtanh(x, 0, 6), as in PyTorch: no gradient at 0 or 6.
import { affine, clamp, hardtanh, le, lt, gt, logicalAnd, mul, noGrad, record, where } from '../../autograd/index.js';
import { requireFloat } from '../../autograd/ops/util.js';
import { ArgumentError } from '../../errors.js';
import { ones } from '../../tensor/creation.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { dropout } from './misc.js';

/** `F.relu6(x)` = min(max(x, 0), 6); the gradient is PyTorch's hardtanh one (zero on the bounds). */
export function relu6(x: Tensor): Tensor {
  return hardtanh(x, 0, 6);
}

/** clamp(x/6 + 1/2, 0, 1), i.e. PyTorch's min(max(x + 3, 0), 6) / 6, without a graph */
const hardsigmoidRaw = (x: Tensor) => clamp(affine(x, 1 / 6, 0.5), { min: 0, max: 1 });

/** `F.hardsigmoid(x)` = relu6(x + 3) / 6 */
export function hardsigmoid(x: Tensor): Tensor {
  requireFloat(x, 'hardsigmoid');
  const y = noGrad(() => hardsigmoidRaw(x));
  return record('HardsigmoidBackward0', y, [x], (g) => [where(logicalAnd(gt(x, -3), lt(x, 3)), mul(g, 1 / 6), 0)]);
}

/** `F.hardswish(x)` = x · relu6(x + 3) / 6 */
export function hardswish(x: Tensor): Tensor {
  requireFloat(x, 'hardswish');
  const y = noGrad(() => mul(x, hardsigmoidRaw(x)));
  // written with differentiable ops, so a second derivative (createGraph) follows from it
  return record('HardswishBackward0', y, [x], (g) => [
    where(lt(x, -3), 0, where(le(x, 3), mul(g, affine(x, 1 / 3, 0.5)), g)),
  ]);
}

export type StochasticDepthMode = 'row' | 'batch';

/**
 * torchvision.ops.stochastic_depth(input, p, mode, training): in training, zero the whole input
 * (`'batch'`) or each sample of the batch (`'row'`, dim 0) with probability p and scale the survivors
 * by 1/(1-p); the identity when not training or p = 0. The mask is drawn on the host from the seeded
 * generator (as F.dropout's), so a seed gives the same mask on every device.
 */
export function stochasticDepth(
  x: Tensor,
  p: number,
  mode: StochasticDepthMode,
  opts: { training?: boolean; generator?: Generator } = {},
): Tensor {
  if (!(p >= 0 && p <= 1))
    throw new ArgumentError(`stochastic_depth: drop probability has to be between 0 and 1, but got ${p}`);
  if (mode !== 'row' && mode !== 'batch')
    throw new ArgumentError(`stochastic_depth: mode has to be either 'batch' or 'row', but got ${mode}`);
  const training = opts.training ?? true;
  if (!training || p === 0) return x;
  requireFloat(x, 'stochastic_depth');
  const size = x.shape.map((s, i) => (mode === 'row' && i === 0 ? s : 1));
  // dropout of a ones tensor is exactly the noise torchvision draws: 0 w.p. p, else 1/(1-p)
  const noise = dropout(ones(size, { device: x.device }), { p, generator: opts.generator });
  return mul(x, noise);
}
