// `torch.nn.functional` (import as F): network ops in PyTorch's names.
export {
  relu,
  leakyRelu,
  elu,
  gelu,
  sigmoid,
  tanh,
  silu,
  softplus,
  hardtanh,
  softmax,
  logSoftmax,
  linear,
} from '../../autograd/index.js';
export * from './loss.js';
export * from './loss-binary.js';
export * from './loss-regression.js';
export * from './conv.js';
export * from './pool.js';
export * from './unpool.js';
export * from './norm.js';
export * from './misc.js';
export * from './vision.js';
