// SGD with momentum, dampening, Nesterov, L2 weight decay and maximize, as PyTorch 1.13's
// single-tensor path: the gradient is negated first when maximizing (so the decay term is added to
// -grad, unlike the docstring's pseudo-code), the first momentum step copies the gradient into the
// buffer without dampening, and with momentum 0 the state holds `momentum_buffer: null`.
import { ArgumentError } from '../errors.js';
import { keep } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';
import {
  checkNonNegative,
  implementationFlags,
  Optimizer,
  required,
  type ImplementationFlags,
  type ParamGroup,
  type ParamState,
  type Params,
} from './optimizer.js';

export interface SGDOptions extends Pick<ImplementationFlags, 'foreach' | 'differentiable'> {
  /** required here or in every param group */
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}
export interface SGDGroup extends ParamGroup {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

export class SGD extends Optimizer<SGDGroup> {
  constructor(params: Params, opts: SGDOptions = {}) {
    const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false, maximize = false } = opts;
    if (lr !== undefined) checkNonNegative('learning rate', lr);
    checkNonNegative('momentum value', momentum);
    checkNonNegative('weight_decay value', weightDecay);
    if (nesterov && (momentum <= 0 || dampening !== 0))
      throw new ArgumentError('Nesterov momentum requires a momentum and zero dampening');
    super(params, {
      lr: lr ?? required,
      momentum,
      dampening,
      weightDecay,
      nesterov,
      maximize,
      ...implementationFlags(['foreach', 'differentiable'], opts),
    });
  }

  protected override update(p: Tensor, g: Tensor, group: SGDGroup, state: ParamState): void {
    let buf: Tensor | null = null;
    let firstStep = false;
    if (group.momentum !== 0) {
      const b = state.momentum_buffer;
      if (b instanceof Tensor) buf = b;
      else {
        // the kernel's first step writes buf = grad, so the contents need no initialisation
        buf = keep(Tensor.empty(p.shape, 'float32', p.device));
        state.momentum_buffer = buf;
        firstStep = true;
      }
    } else if (!('momentum_buffer' in state)) state.momentum_buffer = null;
    p.backend.sgdStep(p, g, buf, {
      lr: group.lr,
      momentum: group.momentum,
      dampening: group.dampening,
      weightDecay: group.weightDecay,
      nesterov: group.nesterov,
      maximize: group.maximize,
      firstStep,
    });
  }
}
