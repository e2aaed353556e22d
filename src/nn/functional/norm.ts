// Normalisation: batchNorm, layerNorm, groupNorm. layerNorm and groupNorm are composed from
// differentiable ops (mean, sub, mul, rsqrt), so every gradient, including double backward, is exact
// by construction. batchNorm runs fused kernels (one statistics pass, one normalise pass; backward:
// one pass of per-channel sums, one input-gradient pass): see batch-norm-fused.ts for how its
// gradients stay exact to every order.
import { add, mean, mul, noGrad, reshape, rsqrt, sub } from '../../autograd/index.js';
import { requireFloat, sameDevice } from '../../autograd/ops/util.js';
import { ArgumentError, fmtShape, ShapeError } from '../../errors.js';
import { fusable, fusedBatchNorm, perChannelShape, statDims } from './batch-norm-fused.js';
import { scope } from '../../tensor/memory.js';
import type { Tensor } from '../../tensor/tensor.js';

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** batch statistics (and a running-stat update) when true; running statistics when false */
  training?: boolean;
  momentum?: number;
  eps?: number;
}
export interface AffineNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
}

function checkParam(op: string, name: string, t: Tensor | null | undefined, shape: readonly number[], x: Tensor) {
  if (t && t.shape.join() !== shape.join()) {
    throw new ShapeError(
      `${op}: expected ${name} of shape ${fmtShape(shape)} for input of shape ${fmtShape(x.shape)}, got ${fmtShape(t.shape)}`,
    );
  }
}

/** (x - mean) / sqrt(var + eps) over `dims`, with the biased variance; also returns mean and var. */
function standardize(x: Tensor, dims: number[], eps: number): { y: Tensor; mu: Tensor; v: Tensor } {
  const mu = mean(x, dims, { keepdim: true });
  const d = sub(x, mu);
  const v = mean(mul(d, d), dims, { keepdim: true });
  return { y: mul(d, rsqrt(add(v, eps))), mu, v };
}

/**
 * `F.batchNorm(x [N, C], [N, C, L] or [N, C, H, W], runningMean, runningVar, { weight, bias, training, momentum, eps })`.
 * Training normalises with the batch statistics and, when running stats are given, updates them in
 * place: running = (1 - momentum) * running + momentum * batch, with the unbiased batch variance,
 * exactly as PyTorch. Eval normalises with the running statistics.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  opts: BatchNormOptions = {},
): Tensor {
  const op = 'batchNorm';
  const { weight = null, bias = null, training = false, momentum = 0.1, eps = 1e-5 } = opts;
  sameDevice(op, x, runningMean, runningVar, weight, bias);
  requireFloat(x, op);
  if (x.ndim < 2)
    throw new ShapeError(`${op}: expected an input of at least 2 dims [N, C, ...], got ${fmtShape(x.shape)}`);
  const c = x.shape[1];
  for (const [name, t] of [
    ['runningMean', runningMean],
    ['runningVar', runningVar],
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    checkParam(op, name, t, [c], x);
  }
  if (!training && (!runningMean || !runningVar))
    throw new ArgumentError(
      `${op}: runningMean and runningVar must be defined in evaluation mode (training: false), input ${fmtShape(x.shape)}`,
    );
  if (training && x.numel() / c <= 1)
    throw new ArgumentError(
      `Expected more than 1 value per channel when training, got input size ${fmtShape(x.shape)}`,
    );
  if (fusable(x, runningMean, runningVar, weight, bias, training))
    return fusedBatchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps);
  return composedBatchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps);
}

/** Batch norm composed from differentiable ops: the layouts the fused kernels do not take. */
function composedBatchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  training: boolean,
  momentum: number,
  eps: number,
): Tensor {
  const c = x.shape[1];
  const perChannel = (t: Tensor) => reshape(t, perChannelShape(x));
  let y: Tensor;
  if (training) {
    const n = x.numel() / c;
    const s = standardize(x, statDims(x), eps);
    y = s.y;
    if (runningMean || runningVar) {
      noGrad(() =>
        scope(() => {
          if (runningMean)
            runningMean.copy_(add(mul(runningMean.detach(), 1 - momentum), mul(reshape(s.mu.detach(), [c]), momentum)));
          if (runningVar)
            runningVar.copy_(
              add(mul(runningVar.detach(), 1 - momentum), mul(reshape(s.v.detach(), [c]), (momentum * n) / (n - 1))),
            );
        }),
      );
    }
  } else {
    // folded into one scale and shift per channel, as PyTorch's eval kernel does
    let scale = rsqrt(add(runningVar!, eps));
    if (weight) scale = mul(scale, weight);
    let shift = mul(runningMean!, scale);
    shift = bias ? sub(bias, shift) : mul(shift, -1);
    return add(mul(x, perChannel(scale)), perChannel(shift));
  }
  if (weight) y = mul(y, perChannel(weight));
  if (bias) y = add(y, perChannel(bias));
  return y;
}

/** `F.layerNorm(x, normalizedShape, { weight, bias, eps })`: normalises over the trailing `normalizedShape` dims. */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  opts: AffineNormOptions = {},
): Tensor {
  const op = 'layerNorm';
  const { weight = null, bias = null, eps = 1e-5 } = opts;
  sameDevice(op, x, weight, bias);
  requireFloat(x, op);
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const k = ns.length;
  if (!k || x.ndim < k || ns.some((s, i) => s !== x.shape[x.ndim - k + i])) {
    throw new ShapeError(
      `Given normalized_shape=${fmtShape(ns)}, expected input with shape [*, ${ns.join(', ')}], but got input of size ${fmtShape(x.shape)}`,
    );
  }
  checkParam(op, 'weight', weight, ns, x);
  checkParam(op, 'bias', bias, ns, x);
  let y = standardize(
    x,
    ns.map((_, i) => x.ndim - k + i),
    eps,
  ).y;
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}

/** `F.groupNorm(x [N, C, *], numGroups, { weight, bias, eps })`: normalises each group of C/numGroups channels. */
export function groupNorm(x: Tensor, numGroups: number, opts: AffineNormOptions = {}): Tensor {
  const op = 'groupNorm';
  const { weight = null, bias = null, eps = 1e-5 } = opts;
  sameDevice(op, x, weight, bias);
  requireFloat(x, op);
  if (x.ndim < 2)
    throw new ShapeError(`${op}: expected an input of at least 2 dims [N, C, *], got ${fmtShape(x.shape)}`);
  const [n, c] = x.shape;
  if (!Number.isInteger(numGroups) || numGroups < 1 || c % numGroups !== 0) {
    throw new ShapeError(
      `Expected number of channels in input to be divisible by num_groups, but got input of shape ${fmtShape(x.shape)} and num_groups=${numGroups}`,
    );
  }
  checkParam(op, 'weight', weight, [c], x);
  checkParam(op, 'bias', bias, [c], x);
  const grouped = reshape(x, [n, numGroups, -1]);
  let y = reshape(standardize(grouped, [2], eps).y, x.shape);
  const cshape = x.shape.map((s, i) => (i === 1 ? s : 1));
  if (weight) y = mul(y, reshape(weight, cshape));
  if (bias) y = add(y, reshape(bias, cshape));
  return y;
}
