// `torch.optim`: optimizers with fused per-parameter kernels, `optim.lrScheduler` and `optim.swaUtils`.
export {
  Optimizer,
  required,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type Params,
  type StateValue,
} from './optimizer.js';
export { SGD, type SGDGroup, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamGroup, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropGroup, type RMSpropOptions } from './rmsprop.js';
export * as lrScheduler from './lr-scheduler.js';
export * as swaUtils from './swa-utils.js';
