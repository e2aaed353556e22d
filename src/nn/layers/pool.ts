// Pooling modules: MaxPool1d/2d (with returnIndices: [output, indices]), MaxUnpool1d/2d, AvgPool1d/2d,
// AdaptiveAvgPool1d/2d, AdaptiveMaxPool1d/2d.
// Arguments are kept as given (an int or a list) and printed as PyTorch prints them.
import type { Tensor } from '../../tensor/tensor.js';
import {
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  adaptiveMaxPool1d,
  adaptiveMaxPool2d,
  avgPool1d,
  avgPool2d,
  maxPool1d,
  maxPool2d,
  type AdaptiveSize,
} from '../functional/pool.js';
import { maxUnpool1d, maxUnpool2d } from '../functional/unpool.js';
import { Module } from '../module.js';
import { py } from '../repr.js';

type IntOrList = number | readonly number[];
export interface MaxPoolModuleOptions<R extends boolean = boolean> {
  stride?: IntOrList | null;
  padding?: IntOrList;
  dilation?: IntOrList;
  ceilMode?: boolean;
  /** forward returns [output, indices] (flat per plane, int32), the input of MaxUnpool */
  returnIndices?: R;
}
/** what a max pool's forward returns */
export type MaxPoolOutput<R extends boolean> = R extends true ? [Tensor, Tensor] : Tensor;
export interface AvgPoolModuleOptions {
  stride?: IntOrList | null;
  padding?: IntOrList;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

abstract class MaxPoolNd<R extends boolean> extends Module {
  kernelSize: IntOrList;
  stride: IntOrList;
  padding: IntOrList;
  dilation: IntOrList;
  ceilMode: boolean;
  returnIndices: R;
  constructor(kernelSize: IntOrList, opts: MaxPoolModuleOptions<R>) {
    super();
    this.kernelSize = kernelSize;
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.ceilMode = opts.ceilMode ?? false;
    this.returnIndices = (opts.returnIndices ?? false) as R;
  }
  protected opts() {
    return {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
      returnIndices: this.returnIndices,
    };
  }
  override extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}, dilation=${py(this.dilation)}, ceil_mode=${py(this.ceilMode)}`;
  }
}
export class MaxPool1d<R extends boolean = false> extends MaxPoolNd<R> {
  constructor(kernelSize: IntOrList, opts: MaxPoolModuleOptions<R> = {}) {
    super(kernelSize, opts);
  }
  override forward(x: Tensor): MaxPoolOutput<R> {
    return maxPool1d(x, this.kernelSize, this.opts()) as MaxPoolOutput<R>;
  }
}
export class MaxPool2d<R extends boolean = false> extends MaxPoolNd<R> {
  constructor(kernelSize: IntOrList, opts: MaxPoolModuleOptions<R> = {}) {
    super(kernelSize, opts);
  }
  override forward(x: Tensor): MaxPoolOutput<R> {
    return maxPool2d(x, this.kernelSize, this.opts()) as MaxPoolOutput<R>;
  }
}

/** MaxUnpool1d/2d: kernel, stride and padding stored as tuples, as PyTorch's `_single`/`_pair` do. */
abstract class MaxUnpoolNd extends Module {
  kernelSize: number[];
  stride: number[];
  padding: number[];
  constructor(nd: number, kernelSize: IntOrList, opts: { stride?: IntOrList | null; padding?: IntOrList }) {
    super();
    const tuple = (v: IntOrList) => (typeof v === 'number' ? new Array<number>(nd).fill(v) : [...v]);
    this.kernelSize = tuple(kernelSize);
    this.stride = tuple(opts.stride ?? kernelSize);
    this.padding = tuple(opts.padding ?? 0);
  }
  override extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}`;
  }
}
export class MaxUnpool1d extends MaxUnpoolNd {
  constructor(kernelSize: IntOrList, opts: { stride?: IntOrList | null; padding?: IntOrList } = {}) {
    super(1, kernelSize, opts);
  }
  override forward(x: Tensor, indices: Tensor, outputSize?: readonly number[] | null): Tensor {
    return maxUnpool1d(x, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }
}
export class MaxUnpool2d extends MaxUnpoolNd {
  constructor(kernelSize: IntOrList, opts: { stride?: IntOrList | null; padding?: IntOrList } = {}) {
    super(2, kernelSize, opts);
  }
  override forward(x: Tensor, indices: Tensor, outputSize?: readonly number[] | null): Tensor {
    return maxUnpool2d(x, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }
}

export class AvgPool1d extends Module {
  kernelSize: IntOrList;
  stride: IntOrList;
  padding: IntOrList;
  ceilMode: boolean;
  countIncludePad: boolean;
  constructor(kernelSize: IntOrList, opts: AvgPoolModuleOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
    this.ceilMode = opts.ceilMode ?? false;
    this.countIncludePad = opts.countIncludePad ?? true;
  }
  override forward(x: Tensor): Tensor {
    return avgPool1d(x, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    });
  }
  override extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}`;
  }
}
export class AvgPool2d extends Module {
  kernelSize: IntOrList;
  stride: IntOrList;
  padding: IntOrList;
  ceilMode: boolean;
  countIncludePad: boolean;
  divisorOverride: number | null;
  constructor(kernelSize: IntOrList, opts: AvgPoolModuleOptions & { divisorOverride?: number | null } = {}) {
    super();
    this.kernelSize = kernelSize;
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
    this.ceilMode = opts.ceilMode ?? false;
    this.countIncludePad = opts.countIncludePad ?? true;
    this.divisorOverride = opts.divisorOverride ?? null;
  }
  override forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }
  override extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}`;
  }
}

abstract class AdaptivePool<S> extends Module {
  outputSize: S;
  constructor(outputSize: S) {
    super();
    this.outputSize = outputSize;
  }
  override extraRepr(): string {
    return `output_size=${py(this.outputSize)}`;
  }
}
export class AdaptiveAvgPool1d extends AdaptivePool<number | readonly [number]> {
  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool1d(x, this.outputSize);
  }
}
export class AdaptiveAvgPool2d extends AdaptivePool<AdaptiveSize> {
  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}
export class AdaptiveMaxPool1d extends AdaptivePool<number | readonly [number]> {
  override forward(x: Tensor): Tensor {
    return adaptiveMaxPool1d(x, this.outputSize);
  }
}
export class AdaptiveMaxPool2d extends AdaptivePool<AdaptiveSize> {
  override forward(x: Tensor): Tensor {
    return adaptiveMaxPool2d(x, this.outputSize);
  }
}
