// torchvision.ops.misc.Permute and ConvNeXt's LayerNorm2d: ConvNeXt normalises over channels,
// either inside its blocks (Permute to channels-last, nn.LayerNorm, Permute back) or with
// LayerNorm2d (the same permutes inside one module, keys `weight`/`bias` of an nn.LayerNorm).
import { permute } from '../../autograd/index.js';
import { ShapeError, fmtShape } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { layerNorm } from '../functional/norm.js';
import { Module } from '../module.js';
import { LayerNorm } from './norm.js';

/** returns a view of the input with its dims permuted; prints `Permute()` as torchvision does */
export class Permute extends Module {
  dims: number[];
  constructor(dims: readonly number[]) {
    super();
    this.dims = [...dims];
  }
  override forward(x: Tensor): Tensor {
    return permute(x, this.dims);
  }
}

/** nn.LayerNorm over the channels of an NCHW input (normalizedShape = [C]) */
export class LayerNorm2d extends LayerNorm {
  override forward(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new ShapeError(`LayerNorm2d: expected a 4-D [N, C, H, W] input, got ${fmtShape(x.shape)}`);
    const y = layerNorm(permute(x, [0, 2, 3, 1]), this.normalizedShape, {
      weight: this.weight,
      bias: this.bias,
      eps: this.eps,
    });
    return permute(y, [0, 3, 1, 2]);
  }
}
