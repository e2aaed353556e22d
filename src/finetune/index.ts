// `torch.finetune`: the fine-tuning workflow as an API — partial loading with a report, freezing by
// pattern (BatchNorm statistics included), a trainability table, param groups for discriminative
// learning rates, head replacement, gradual unfreezing, and `fit`.
export { loadPretrained, LoadReport, type LoadPretrainedOptions, type Mismatch, type Rename } from './load.js';
export type { StateDictSource } from './source.js';
export { freeze, unfreeze, isBatchNorm, statsFrozen, type FreezeOptions } from './freeze.js';
export {
  trainability,
  trainableParameters,
  Trainability,
  type TrainabilityRow,
  type TrainabilityGroup,
} from './inspect.js';
export { paramGroups, type GroupSpec, type ParamGroupOut } from './groups.js';
export { replaceHead, headPath } from './head.js';
export {
  unfreezeSchedule,
  UnfreezeSchedule,
  type UnfreezeScheduleOptions,
  type UnfreezeEvent,
  type EpochCallback,
} from './schedule.js';
export {
  fit,
  evaluate,
  NonFiniteLossError,
  type FitOptions,
  type EvaluateOptions,
  type History,
  type EpochRecord,
  type EarlyStopping,
  type Batches,
} from './fit.js';
export { accuracy, type Metric, type MetricSpec } from './metrics.js';
export { EMA } from './ema.js';
export { learningCurveSvg } from './curve.js';
export { fnmatch, selects } from './patterns.js';
export type { LogOption } from './progress.js';
