// `torch.nn`: modules, parameters, layers, init, functional and utils.
// Modules are run with `module.call(...)` (forward hooks apply) and define `forward(...)`; see module.ts.
export * as functional from './functional/index.js';
export * as init from './init.js';
export * as utils from './utils.js';
export { Module, type ForwardHook, type ForwardPreHook, type RemovableHandle } from './module.js';
export { Parameter, isParameter } from './parameter.js';
export { StateDictError, type StateDict, type StateDictInput, type LoadResult } from './state-dict.js';
export type { FactoryOptions } from './layers/common.js';
export { Linear, Identity, type LinearOptions } from './layers/linear.js';
export { Conv1d, Conv2d, type ConvModuleOptions, type PaddingMode } from './layers/conv.js';
export {
  BatchNorm1d,
  BatchNorm2d,
  LayerNorm,
  GroupNorm,
  type BatchNormOptions,
  type LayerNormOptions,
  type GroupNormOptions,
} from './layers/norm.js';
export { Embedding, type EmbeddingOptions } from './layers/embedding.js';
export { Dropout, Dropout1d, Dropout2d } from './layers/dropout.js';
export {
  ReLU,
  ReLU6,
  LeakyReLU,
  GELU,
  SiLU,
  Hardswish,
  Hardsigmoid,
  Sigmoid,
  Tanh,
  Softmax,
  LogSoftmax,
} from './layers/activation.js';
// torchvision.ops building blocks of the mobile and ConvNeXt models
export {
  Conv2dNormActivation,
  type Conv2dNormActivationOptions,
  type ActivationClass,
} from './layers/conv-norm-act.js';
export { SqueezeExcitation, type SqueezeExcitationOptions } from './layers/squeeze-excitation.js';
export { StochasticDepth } from './layers/stochastic-depth.js';
export { Permute, LayerNorm2d } from './layers/channels-last.js';
export {
  MaxPool1d,
  MaxPool2d,
  MaxUnpool1d,
  MaxUnpool2d,
  AvgPool1d,
  AvgPool2d,
  AdaptiveAvgPool1d,
  AdaptiveAvgPool2d,
  AdaptiveMaxPool1d,
  AdaptiveMaxPool2d,
  type MaxPoolModuleOptions,
  type MaxPoolOutput,
  type AvgPoolModuleOptions,
} from './layers/pool.js';
export { Flatten, Unflatten } from './layers/flatten.js';
export { Sequential, ModuleList, ModuleDict } from './layers/container.js';
export {
  CrossEntropyLoss,
  NLLLoss,
  BCELoss,
  BCEWithLogitsLoss,
  MSELoss,
  L1Loss,
  SmoothL1Loss,
  HuberLoss,
  type CrossEntropyLossOptions,
} from './layers/loss.js';
