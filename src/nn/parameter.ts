// nn.Parameter: a leaf tensor that a Module registers as trainable state. It shares the storage of
// the tensor it wraps (as PyTorch's Parameter(data) does), requires grad unless told otherwise, and
// is kept out of memory scopes: parameters live until disposed, whatever scope made them.
import { empty } from '../tensor/creation.js';
import { keep } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';

export class Parameter extends Tensor {
  /**
   * `new nn.Parameter(data, requiresGrad = true)`. `data` keeps its own reference to the storage;
   * dispose it if it was a temporary. Setting `p.requiresGrad = false` freezes the parameter.
   */
  constructor(data?: Tensor, requiresGrad = true) {
    const d = data ?? empty([0], { device: 'cpu' });
    super(d.storage, d.shape, d.strides, d.offset);
    if (!data) d.dispose();
    this._isParameter = true;
    this.requiresGrad = requiresGrad; // an int32 Parameter must pass false, as in PyTorch
    keep(this);
  }

  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}

/** True for a Parameter (an instance, or a tensor flagged as one by another realm of this library). */
export function isParameter(v: unknown): v is Parameter {
  return v instanceof Parameter || (v instanceof Tensor && v._isParameter);
}
