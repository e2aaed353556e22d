// `optim.lrScheduler`: learning-rate schedules that follow PyTorch 1.13 step for step.
export { LRScheduler, SchedulerBase, type Scheduler, type SchedulerStateDict } from './scheduler-base.js';
export {
  ConstantLR,
  CosineAnnealingLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  MultiplicativeLR,
  MultiStepLR,
  PolynomialLR,
  StepLR,
} from './schedulers.js';
export { OneCycleLR, type OneCycleLROptions } from './one-cycle.js';
export { CyclicLR, type CyclicLROptions, type CyclicMode } from './cyclic.js';
export { CosineAnnealingWarmRestarts } from './warm-restarts.js';
export { SWALR, type SWALROptions } from './swalr.js';
export { ChainedScheduler, SequentialLR } from './sequential.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './plateau.js';
