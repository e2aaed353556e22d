// nn.Flatten and nn.Unflatten: reshapes as modules (views where the input allows).
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { py } from '../repr.js';

/** Flattens dims startDim..endDim (default: all but the batch dim). */
export class Flatten extends Module {
  startDim: number;
  endDim: number;
  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }
  override forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Splits dim `dim` into `unflattenedSize`. */
export class Unflatten extends Module {
  dim: number;
  unflattenedSize: number[];
  constructor(dim: number, unflattenedSize: readonly number[]) {
    super();
    this.dim = dim;
    this.unflattenedSize = [...unflattenedSize];
  }
  override forward(x: Tensor): Tensor {
    return x.unflatten(this.dim, this.unflattenedSize);
  }
  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=${py(this.unflattenedSize)}`;
  }
}
