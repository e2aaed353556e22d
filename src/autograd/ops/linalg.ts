// matmul with torch.matmul's shape rules, and F.linear with the bias fused into the kernel.
// Transposed operands (strides of a transpose of a dense matrix) go to the kernel as flags, so
// `x @ w.t()` and the backward products never copy a transpose.
import { fmtShape, ShapeError } from '../../errors.js';
import { broadcastShapes, numel } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { record } from '../node.js';
import { expand, sum, sumTo } from './broadcast.js';
import { reshape, squeeze, transpose, unsqueeze } from './shape.js';
import { dense, requireFloat, sameDevice, wrap } from './util.js';

interface Operand {
  t: Tensor;
  trans: boolean;
  batchStride: number;
  tmp: boolean;
}

/** How the kernel can read a [batch, r, c] operand: as stored, transposed, or after a copy. */
function operand(x: Tensor, batch: number): Operand {
  const nd = x.ndim;
  const r = x.shape[nd - 2],
    c = x.shape[nd - 1];
  const sr = x.strides[nd - 2],
    sc = x.strides[nd - 1];
  const bs = nd === 3 ? x.strides[0] : 0;
  const batchOk = nd === 2 || x.shape[0] === 1 || bs === r * c || (bs === 0 && batch > 1);
  const bStride = nd === 2 || x.shape[0] === 1 || bs === 0 ? 0 : r * c;
  if (batchOk && (sc === 1 || c === 1) && (sr === c || r === 1))
    return { t: x, trans: false, batchStride: bStride, tmp: false };
  if (batchOk && (sr === 1 || r === 1) && (sc === r || c === 1))
    return { t: x, trans: true, batchStride: bStride, tmp: false };
  const d = x._contiguousRaw();
  return { t: d, trans: false, batchStride: nd === 2 || x.shape[0] === 1 ? 0 : r * c, tmp: true };
}

/** [B|1, m, k] @ [B|1, k, n] → [B, m, n] (3-D or 2-D operands), optional bias [n]. */
function mmRaw(a: Tensor, b: Tensor, bias: Tensor | null): Tensor {
  const m = a.shape[a.ndim - 2],
    k = a.shape[a.ndim - 1],
    n = b.shape[b.ndim - 1];
  const batch = Math.max(a.ndim === 3 ? a.shape[0] : 1, b.ndim === 3 ? b.shape[0] : 1);
  const A = operand(a, batch),
    B = operand(b, batch);
  const s = a.backend.matmul(A.t, B.t, {
    batch,
    m,
    n,
    k,
    transA: A.trans,
    transB: B.trans,
    strideA: A.batchStride,
    strideB: B.batchStride,
    bias: bias ?? undefined,
  });
  if (A.tmp) A.t.dispose();
  if (B.tmp) B.t.dispose();
  return wrap(s, a.ndim === 3 || b.ndim === 3 ? [batch, m, n] : [m, n]);
}

/** Batched product of ≥2-D operands with broadcast batch dims. */
function bmm(a: Tensor, b: Tensor): Tensor {
  const k = a.shape[a.ndim - 1];
  if (b.shape[b.ndim - 2] !== k) {
    throw new ShapeError(
      `matmul: mat1 and mat2 shapes cannot be multiplied (${fmtShape(a.shape)} and ${fmtShape(b.shape)})`,
    );
  }
  const m = a.shape[a.ndim - 2],
    n = b.shape[b.ndim - 1];
  const ba = a.shape.slice(0, -2),
    bb = b.shape.slice(0, -2);
  const batchShape = broadcastShapes(ba, bb, 'matmul');
  const B = numel(batchShape);
  // fold a's batch into rows when b is a single matrix (the linear-layer case)
  if (b.ndim === 2 && a.ndim > 2) {
    const out = mm(reshape(a, [numel(batchShape) * m, k]), b); // explicit rows: [-1, 0] cannot be inferred when k = 0
    return reshape(out, [...batchShape, m, n]);
  }
  const as3 = numel(ba) === 1 ? reshape(a, [1, m, k]) : reshape(expand(a, [...batchShape, m, k]), [B, m, k]);
  const bs3 = numel(bb) === 1 ? reshape(b, [1, k, n]) : reshape(expand(b, [...batchShape, k, n]), [B, k, n]);
  if (batchShape.length === 0) return mm(a, b);
  return reshape(mm3(as3, bs3), [...batchShape, m, n]);
}

/** 2-D @ 2-D */
function mm(a: Tensor, b: Tensor): Tensor {
  const out = mmRaw(a, b, null);
  return record('MmBackward0', out, [a, b], (g, need) => [
    need[0] ? matmul(g, transpose(b, 0, 1)) : null,
    need[1] ? matmul(transpose(a, 0, 1), g) : null,
  ]);
}
/** [B|1, m, k] @ [B|1, k, n] */
function mm3(a: Tensor, b: Tensor): Tensor {
  const out = mmRaw(a, b, null);
  return record('BmmBackward0', out, [a, b], (g, need) => [
    need[0] ? sumTo(matmul(g, transpose(b, 1, 2)), a.shape) : null,
    need[1] ? sumTo(matmul(transpose(a, 1, 2), g), b.shape) : null,
  ]);
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  sameDevice('matmul', a, b);
  requireFloat(a, 'matmul');
  requireFloat(b, 'matmul');
  if (a.ndim === 0 || b.ndim === 0)
    throw new ShapeError(
      `matmul: both arguments need at least 1 dimension (got ${fmtShape(a.shape)} and ${fmtShape(b.shape)})`,
    );
  if (a.ndim === 1 && b.ndim === 1) {
    if (a.shape[0] !== b.shape[0])
      throw new ShapeError(
        `dot: inconsistent tensor size, expected tensors of shape ${fmtShape(a.shape)} and ${fmtShape(b.shape)} to have the same number of elements`,
      );
    return reshape(bmm(unsqueeze(a, 0), unsqueeze(b, 1)), []);
  }
  if (a.ndim === 1) return squeeze(bmm(unsqueeze(a, 0), b), -2);
  if (b.ndim === 1) return squeeze(bmm(a, unsqueeze(b, 1)), -1);
  return bmm(a, b);
}
export const mmOp = (a: Tensor, b: Tensor) => {
  if (a.ndim !== 2 || b.ndim !== 2)
    throw new ShapeError(`mm: expected 2-D tensors, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return matmul(a, b);
};

/** y = x Wᵀ + b, x [..., in], W [out, in]; the bias is added inside the matmul kernel. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  sameDevice('linear', x, weight, bias);
  const inF = weight.shape[1],
    outF = weight.shape[0];
  if (weight.ndim !== 2 || x.shape[x.ndim - 1] !== inF) {
    throw new ShapeError(
      `linear: input shape ${fmtShape(x.shape)} and weight shape ${fmtShape(weight.shape)} cannot be multiplied (expected input [..., ${inF}])`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outF))
    throw new ShapeError(`linear: bias shape ${fmtShape(bias.shape)} does not match out_features ${outF}`);
  if (x.ndim === 1) return squeeze(linear(unsqueeze(x, 0), weight, bias), 0);
  const lead = x.shape.slice(0, -1);
  const x2 = x.ndim === 2 ? x : reshape(x, [numel(lead), inF]); // explicit rows: [-1, 0] cannot be inferred
  const wt = weight._view([inF, outF], [weight.strides[1], weight.strides[0]], weight.offset);
  const bd = bias ? dense(bias) : null; // the kernels read the bias densely (an expanded one has stride 0)
  const out = mmRaw(x2, wt, bd);
  wt.dispose();
  if (bias && bd !== bias) bd!.dispose();
  const y = record('AddmmBackward0', out, [x2, weight, bias ?? null], (g, need) => [
    need[0] ? matmul(g, weight) : null,
    need[1] ? matmul(transpose(g, 0, 1), x2) : null,
    need[2] ? sum(g, 0) : null,
  ]);
  return x.ndim === 2 ? y : reshape(y, [...lead, outF]);
}
