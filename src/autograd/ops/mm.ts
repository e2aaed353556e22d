// torch.mm and torch.bmm: the matrix products of fixed rank. torch.matmul broadcasts and accepts
// 1-D operands; these accept exactly 2-D (mm) or 3-D with equal batch (bmm) and fail with PyTorch's
// messages otherwise. The product itself is matmul's (same kernels, same MmBackward0/BmmBackward0).
import { ShapeError, fmtShape } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { matmul } from './linalg.js';

/** `torch.mm(a, b)`: [n, k] @ [k, m] → [n, m]. */
export function mm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2) throw new ShapeError(`mm: self must be a matrix, got shape ${fmtShape(a.shape)}`);
  if (b.ndim !== 2) throw new ShapeError(`mm: mat2 must be a matrix, got shape ${fmtShape(b.shape)}`);
  if (a.shape[1] !== b.shape[0]) {
    throw new ShapeError(
      `mm: mat1 and mat2 shapes cannot be multiplied (${a.shape.join('x')} and ${b.shape.join('x')})`,
    );
  }
  return matmul(a, b);
}

/** `torch.bmm(a, b)`: [B, n, k] @ [B, k, m] → [B, n, m], no broadcasting of B. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3) throw new ShapeError(`bmm: batch1 must be a 3D tensor, got shape ${fmtShape(a.shape)}`);
  if (b.ndim !== 3) throw new ShapeError(`bmm: batch2 must be a 3D tensor, got shape ${fmtShape(b.shape)}`);
  if (b.shape[0] !== a.shape[0] || b.shape[1] !== a.shape[2]) {
    throw new ShapeError(
      `bmm: Expected size for first two dimensions of batch2 tensor to be: [${a.shape[0]}, ${a.shape[2]}] but got: [${b.shape[0]}, ${b.shape[1]}].`,
    );
  }
  return matmul(a, b);
}
