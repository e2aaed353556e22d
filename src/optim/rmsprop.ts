// RMSprop (optionally centered, with momentum), as PyTorch 1.13: maximize negates the gradient
// before the L2 decay is added, eps is added after the square root, and `step` is a plain count.
import { zeros } from '../tensor/creation.js';
import { keep } from '../tensor/memory.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  checkNonNegative,
  implementationFlags,
  Optimizer,
  type ImplementationFlags,
  type ParamGroup,
  type ParamState,
  type Params,
} from './optimizer.js';

export interface RMSpropOptions extends Pick<ImplementationFlags, 'foreach' | 'differentiable'> {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  maximize?: boolean;
}
export interface RMSpropGroup extends ParamGroup {
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

const zerosKept = (p: Tensor) => keep(zeros(p.shape, { device: p.device }));

export class RMSprop extends Optimizer<RMSpropGroup> {
  constructor(params: Params, opts: RMSpropOptions = {}) {
    const {
      lr = 1e-2,
      alpha = 0.99,
      eps = 1e-8,
      weightDecay = 0,
      momentum = 0,
      centered = false,
      maximize = false,
    } = opts;
    checkNonNegative('learning rate', lr);
    checkNonNegative('epsilon value', eps);
    checkNonNegative('momentum value', momentum);
    checkNonNegative('weight_decay value', weightDecay);
    checkNonNegative('alpha value', alpha);
    super(params, {
      lr,
      alpha,
      eps,
      weightDecay,
      momentum,
      centered,
      maximize,
      ...implementationFlags(['foreach', 'differentiable'], opts),
    });
  }

  protected override update(p: Tensor, g: Tensor, group: RMSpropGroup, state: ParamState): void {
    if (!('step' in state)) {
      state.step = 0;
      state.square_avg = zerosKept(p);
      if (group.momentum > 0) state.momentum_buffer = zerosKept(p);
      if (group.centered) state.grad_avg = zerosKept(p);
    }
    // a group switched to momentum/centered after its first step gets fresh buffers (PyTorch raises)
    if (group.momentum > 0 && !state.momentum_buffer) state.momentum_buffer = zerosKept(p);
    if (group.centered && !state.grad_avg) state.grad_avg = zerosKept(p);
    state.step = (state.step as number) + 1;
    p.backend.rmspropStep(
      p,
      g,
      state.square_avg as Tensor,
      group.momentum > 0 ? (state.momentum_buffer as Tensor) : null,
      group.centered ? (state.grad_avg as Tensor) : null,
      {
        lr: group.lr,
        alpha: group.alpha,
        eps: group.eps,
        weightDecay: group.weightDecay,
        momentum: group.momentum,
        centered: group.centered,
        maximize: group.maximize,
      },
    );
  }
}
