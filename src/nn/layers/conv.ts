// nn.Conv1d and nn.Conv2d: PyTorch's arguments, validation, init, printout and padding modes.
import { ArgumentError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { conv1d, conv2d, type ConvOptions } from '../functional/conv.js';
import { pad, type PadMode } from '../functional/misc.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { py } from '../repr.js';
import { newParameter, ntuple, resetLinearLike, type FactoryOptions } from './common.js';

type IntOrList = number | readonly number[];
export type PaddingMode = 'zeros' | PadMode;

export interface ConvModuleOptions extends FactoryOptions {
  stride?: IntOrList;
  /** an int, one int per spatial dim, 'same' (stride 1 only) or 'valid' */
  padding?: IntOrList | 'same' | 'valid';
  dilation?: IntOrList;
  groups?: number;
  bias?: boolean;
  /** how the border is padded: zeros (default), or reflect / replicate / circular through F.pad */
  paddingMode?: PaddingMode;
}

abstract class ConvNd extends Module {
  declare weight: Parameter;
  declare bias: Parameter | null;
  inChannels: number;
  outChannels: number;
  kernelSize: number[];
  stride: number[];
  padding: number[] | 'same' | 'valid';
  dilation: number[];
  groups: number;
  paddingMode: PaddingMode;
  /** F.pad's list for a non-zeros paddingMode: (left, right) per dim, last dim first */
  private reversedPadding: number[];

  constructor(nd: number, inChannels: number, outChannels: number, kernelSize: IntOrList, opts: ConvModuleOptions) {
    super();
    const name = `Conv${nd}d`;
    const groups = opts.groups ?? 1;
    if (!Number.isInteger(groups) || groups <= 0)
      throw new ArgumentError(`${name}: groups must be a positive integer, got ${groups}`);
    if (inChannels % groups !== 0)
      throw new ArgumentError(
        `${name}: in_channels must be divisible by groups (in_channels=${inChannels}, groups=${groups})`,
      );
    if (outChannels % groups !== 0)
      throw new ArgumentError(
        `${name}: out_channels must be divisible by groups (out_channels=${outChannels}, groups=${groups})`,
      );
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = ntuple(kernelSize, nd, 'kernel_size', name);
    this.stride = ntuple(opts.stride ?? 1, nd, 'stride', name);
    this.dilation = ntuple(opts.dilation ?? 1, nd, 'dilation', name);
    this.groups = groups;
    const padding = opts.padding ?? 0;
    if (typeof padding === 'string') {
      if (padding !== 'same' && padding !== 'valid')
        throw new ArgumentError(`${name}: Invalid padding string '${padding}', should be one of 'valid', 'same'`);
      if (padding === 'same' && this.stride.some((s) => s !== 1))
        throw new ArgumentError(`${name}: padding='same' is not supported for strided convolutions`);
      this.padding = padding;
    } else this.padding = ntuple(padding, nd, 'padding', name);
    const mode = opts.paddingMode ?? 'zeros';
    if (!['zeros', 'reflect', 'replicate', 'circular'].includes(mode)) {
      throw new ArgumentError(
        `${name}: padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular', got '${mode}'`,
      );
    }
    this.paddingMode = mode;
    this.reversedPadding = [];
    for (let i = nd - 1; i >= 0; i--) {
      if (this.padding === 'valid') this.reversedPadding.push(0, 0);
      else if (this.padding === 'same') {
        const total = this.dilation[i] * (this.kernelSize[i] - 1);
        const left = Math.floor(total / 2);
        this.reversedPadding.push(left, total - left);
      } else this.reversedPadding.push(this.padding[i], this.padding[i]);
    }
    this.weight = newParameter([outChannels, inChannels / groups, ...this.kernelSize], opts.device);
    if (opts.bias ?? true) this.bias = newParameter([outChannels], opts.device);
    else this.registerParameter('bias', null);
    this.resetParameters();
  }

  /** PyTorch's init: kaiming_uniform_(a=√5) for the weight, U(±1/√fan_in) for the bias. */
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias);
  }

  protected abstract conv(x: Tensor, o: ConvOptions): Tensor;

  override forward(x: Tensor): Tensor {
    const o = { stride: this.stride, dilation: this.dilation, groups: this.groups };
    if (this.paddingMode !== 'zeros')
      return this.conv(pad(x, this.reversedPadding, { mode: this.paddingMode }), { ...o, padding: 0 });
    return this.conv(x, { ...o, padding: this.padding });
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}`;
    if (typeof this.padding === 'string' || this.padding.some((p) => p !== 0)) s += `, padding=${py(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${py(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    if (this.paddingMode !== 'zeros') s += `, padding_mode=${this.paddingMode}`;
    return s;
  }
}

/** 1-D convolution over [N, C, L] (or unbatched [C, L]); weight [out, in/groups, k]. */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrList, opts: ConvModuleOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, opts);
  }
  protected conv(x: Tensor, o: ConvOptions): Tensor {
    return conv1d(x, this.weight, this.bias, o);
  }
}

/** 2-D convolution over [N, C, H, W] (or unbatched [C, H, W]); weight [out, in/groups, kh, kw]. */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrList, opts: ConvModuleOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, opts);
  }
  protected conv(x: Tensor, o: ConvOptions): Tensor {
    return conv2d(x, this.weight, this.bias, o);
  }
}
