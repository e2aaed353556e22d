// Batch norm on the fused kernels, and its eval-mode fusion with what follows it in a ResNet
// (bn → relu, bn → + identity → relu). Internal: `F.batchNorm` (norm.ts) runs on it, and
// torchvision-structured models call `evalBatchNormReLU` when their modules allow (src/models/resnet.ts).
// Not re-exported by torch.nn.functional, which keeps PyTorch's names only.
//
// Gradients: one recorded op of (x, weight, bias[, residual]). With the relu epilogue the incoming
// gradient is first masked by the saved output (g · [y > 0], ReLU's own backward), then it is batch
// norm's backward (dx = w·rstd·(g − Σg/M − x̂·Σ(g·x̂)/M) under batch statistics, w·rstd·g under running
// ones; dw = Σ(g·x̂), db = Σg) on the fused backward kernels; the residual's gradient is the masked
// gradient itself. Under createGraph (a double backward) the same closed form is built from
// differentiable ops instead, with the statistics recomputed from x, so higher derivatives are exact
// too (the relu mask is piecewise constant: its own derivative is zero).
import { add, isGradEnabled, mean, mul, record, reluBackward, reshape, rsqrt, sub, sum } from '../../autograd/index.js';
import { dense, dropTemp, wrap } from '../../autograd/ops/util.js';
import type { NormArgs } from '../../kernels/backend.js';
import type { Tensor } from '../../tensor/tensor.js';

export const perChannelShape = (x: Tensor) => x.shape.map((s, i) => (i === 1 ? s : 1));
export const statDims = (x: Tensor) => x.shape.map((_, i) => i).filter((i) => i !== 1);

/**
 * The fused kernels take dense float32 per-channel vectors; running statistics are updated in place
 * by the statistics kernel, so they must be dense, both present, and not share storage with x.
 */
export function fusable(
  x: Tensor,
  rm: Tensor | null,
  rv: Tensor | null,
  w: Tensor | null,
  b: Tensor | null,
  training: boolean,
): boolean {
  if (x.numel() === 0 || x.shape[1] > 65535) return false; // one workgroup per channel
  for (const t of [rm, rv, w, b]) if (t && (t.dtype !== 'float32' || !t.isContiguous())) return false;
  if (training && (rm || rv)) {
    if (!rm || !rv) return false;
    if (rm.storage === rv.storage || rm.storage === x.storage || rv.storage === x.storage) return false;
  }
  return true;
}

/** what runs after the affine in the same pass: `+ residual` (x's shape), then relu */
export interface Epilogue {
  residual?: Tensor | null;
  relu?: boolean;
}

/** Batch norm (then the epilogue) on the fused kernels; the arguments are checked by the caller. */
export function fusedBatchNorm(
  x: Tensor,
  rm: Tensor | null,
  rv: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  training: boolean,
  momentum: number,
  eps: number,
  epilogue: Epilogue = {},
): Tensor {
  const c = x.shape[1];
  const a: NormArgs = { outer: x.shape[0], c, inner: x.numel() / (x.shape[0] * c), eps };
  const be = x.backend;
  const xd = dense(x);
  const res = epilogue.residual ?? null,
    relu = !!epilogue.relu;
  const rd = res && dense(res);
  let mu: Tensor, vr: Tensor;
  if (training) {
    const running = rm && rv ? { mean: rm, var: rv, momentum } : null;
    const stats = wrap(be.batchNormStats(xd, a, running), [2, c]);
    mu = stats._view([c], [1], 0);
    vr = stats._view([c], [1], c);
  } else {
    // the backward reads the running statistics again: as in PyTorch (which refuses), they must not
    // change between this forward and its backward
    mu = rm!;
    vr = rv!;
  }
  const y = wrap(be.batchNormForward(xd, mu, vr, weight, bias, a, { residual: rd, relu }), x.shape);
  dropTemp(xd, x);
  if (rd) dropTemp(rd, res!);
  return record(
    relu ? 'NativeBatchNormReluBackward' : 'NativeBatchNormBackward0',
    y,
    res ? [x, weight, bias, res] : [x, weight, bias],
    (g, needs) => {
      // ReLU's backward on the saved output: the gradient that reaches the sum (bn + residual)
      const gm = relu ? reluBackward(g, y.detach()) : g;
      const withRes = (grads: (Tensor | null)[]) => (res ? [...grads, needs[3] ? gm : null] : grads);
      if (isGradEnabled())
        return withRes(composedBackward(gm, x, training ? null : { mean: rm!, var: rv! }, weight, eps, needs));
      const gd = dense(gm);
      const xs = dense(x);
      // the per-channel sums serve dw and db, and the input gradient under batch statistics
      const sums =
        needs[1] || needs[2] || (training && needs[0])
          ? wrap(be.batchNormBackwardSums(gd, xs, mu, vr, a), [2, c])
          : null;
      const s = training ? sums : null;
      const dx = needs[0]
        ? wrap(be.batchNormBackwardInput(gd, training ? xs : null, training ? mu : null, vr, weight, s, a), x.shape)
        : null;
      dropTemp(gd, gm);
      dropTemp(xs, x);
      return withRes([dx, needs[1] ? sums!._view([c], [1], c) : null, needs[2] ? sums!._view([c], [1], 0) : null]);
    },
  );
}

/** The closed-form gradients from differentiable ops (double backward); `fixed`: eval statistics. */
function composedBackward(
  g: Tensor,
  x: Tensor,
  fixed: { mean: Tensor; var: Tensor } | null,
  weight: Tensor | null,
  eps: number,
  needs: readonly boolean[],
): (Tensor | null)[] {
  const dims = statDims(x);
  const pc = (t: Tensor) => reshape(t, perChannelShape(x));
  let xhat: Tensor, rstd: Tensor;
  if (fixed) {
    rstd = pc(rsqrt(add(fixed.var, eps)));
    xhat = mul(sub(x, pc(fixed.mean)), rstd);
  } else {
    const d = sub(x, mean(x, dims, { keepdim: true }));
    rstd = rsqrt(add(mean(mul(d, d), dims, { keepdim: true }), eps));
    xhat = mul(d, rstd);
  }
  let dx: Tensor | null = null;
  if (needs[0]) {
    const gw = weight ? mul(g, pc(weight)) : g;
    dx = fixed
      ? mul(gw, rstd)
      : mul(
          sub(sub(gw, mean(gw, dims, { keepdim: true })), mul(xhat, mean(mul(gw, xhat), dims, { keepdim: true }))),
          rstd,
        );
  }
  return [dx, needs[1] ? sum(mul(g, xhat), dims) : null, needs[2] ? sum(g, dims) : null];
}

export interface EvalBatchNormReLUOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
  residual?: Tensor | null;
}

/**
 * relu(batchNorm(x, running statistics) [+ residual]) in one kernel pass, or null when the arguments
 * are not the plain case the fused kernel takes (then the caller runs the unfused modules, which also
 * raise the usual errors): x [N, C, H, W] float32, running statistics and affine parameters dense
 * float32 [C] on x's device, a residual of x's shape.
 */
export function evalBatchNormReLU(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  opts: EvalBatchNormReLUOptions = {},
): Tensor | null {
  const { weight = null, bias = null, eps = 1e-5, residual = null } = opts;
  if (!runningMean || !runningVar || x.ndim !== 4 || x.dtype !== 'float32') return null;
  const c = x.shape[1];
  for (const t of [runningMean, runningVar, weight, bias]) {
    if (t && (t.device !== x.device || t.ndim !== 1 || t.shape[0] !== c)) return null;
  }
  if (
    residual &&
    (residual.device !== x.device || residual.dtype !== 'float32' || residual.shape.join() !== x.shape.join())
  )
    return null;
  if (!fusable(x, runningMean, runningVar, weight, bias, false)) return null;
  return fusedBatchNorm(x, runningMean, runningVar, weight, bias, false, 0, eps, { residual, relu: true });
}
