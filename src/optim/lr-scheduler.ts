// `optim.lrScheduler`: learning-rate schedules that follow PyTorch 1.13 step for step.
export { LRScheduler, type Scheduler, type SchedulerStateDict } from './scheduler-base.js';
export { CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR, MultiStepLR, StepLR } from './schedulers.js';
export { OneCycleLR, type OneCycleLROptions } from './one-cycle.js';
export { ChainedScheduler, SequentialLR } from './sequential.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './plateau.js';
