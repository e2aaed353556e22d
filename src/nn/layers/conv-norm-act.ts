// torchvision.ops.Conv2dNormActivation: conv → norm → activation as a Sequential, so its keys are
// `.0.weight` (conv), `.1.running_mean` (norm) exactly as in torchvision checkpoints. The building
// block of MobileNetV2/V3, EfficientNet and ConvNeXt's stem.
import type { Module } from '../module.js';
import { ReLU } from './activation.js';
import { Conv2d } from './conv.js';
import { Sequential } from './container.js';
import { BatchNorm2d } from './norm.js';

/** an activation class taking `{ inplace }` (nn.ReLU, nn.ReLU6, nn.Hardswish, nn.SiLU, ...) */
export type ActivationClass = new (opts?: { inplace?: boolean }) => Module;

export interface Conv2dNormActivationOptions {
  kernelSize?: number;
  stride?: number;
  /** default (kernelSize - 1) / 2 · dilation ("same" for odd kernels at stride 1) */
  padding?: number | null;
  groups?: number;
  /** builds the norm for `outChannels` (default nn.BatchNorm2d); null: no norm */
  normLayer?: ((channels: number) => Module) | null;
  /** default nn.ReLU; null: no activation */
  activationLayer?: ActivationClass | null;
  dilation?: number;
  /** passed to the activation (default true); null passes nothing */
  inplace?: boolean | null;
  /** default: a bias only when there is no norm */
  bias?: boolean | null;
}

export class Conv2dNormActivation extends Sequential {
  outChannels: number;
  constructor(inChannels: number, outChannels: number, opts: Conv2dNormActivationOptions = {}) {
    const kernelSize = opts.kernelSize ?? 3,
      dilation = opts.dilation ?? 1;
    const normLayer = opts.normLayer === undefined ? (c: number) => new BatchNorm2d(c) : opts.normLayer;
    const act = opts.activationLayer === undefined ? ReLU : opts.activationLayer;
    const inplace = opts.inplace === undefined ? true : opts.inplace;
    const layers: Module[] = [
      new Conv2d(inChannels, outChannels, kernelSize, {
        stride: opts.stride ?? 1,
        padding: opts.padding ?? Math.floor((kernelSize - 1) / 2) * dilation,
        dilation,
        groups: opts.groups ?? 1,
        bias: opts.bias ?? normLayer === null,
      }),
    ];
    if (normLayer) layers.push(normLayer(outChannels));
    if (act) layers.push(inplace === null ? new act() : new act({ inplace }));
    super(...layers);
    this.outChannels = outChannels;
  }
}
