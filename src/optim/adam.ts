// Adam (L2 weight decay added to the gradient) and AdamW (decoupled decay: p *= 1 - lr * wd), as
// PyTorch 1.13's single-tensor path. The step counter is per parameter and host-side, so bias
// corrections are host numbers handed to the fused kernel; `stateDict()` shows `step` as a 0-dim
// float32 cpu tensor, the way 1.13 stores it.
import { zeros } from '../tensor/creation.js';
import { keep } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';
import { ArgumentError } from '../errors.js';
import {
  checkNonNegative,
  implementationFlags,
  Optimizer,
  type ImplementationFlags,
  type ParamGroup,
  type ParamState,
  type Params,
  type StateValue,
} from './optimizer.js';

export interface AdamOptions extends ImplementationFlags {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}
export interface AdamGroup extends ParamGroup {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

const zerosKept = (p: Tensor) => keep(zeros(p.shape, { device: p.device }));

abstract class AdamBase extends Optimizer<AdamGroup> {
  protected abstract readonly decoupled: boolean;

  /** `flags`: the implementation switches this class has in PyTorch 1.13 (AdamW has fewer) */
  constructor(
    params: Params,
    opts: AdamOptions,
    defaultWeightDecay: number,
    flags: readonly (keyof ImplementationFlags)[],
  ) {
    const {
      lr = 1e-3,
      betas = [0.9, 0.999],
      eps = 1e-8,
      weightDecay = defaultWeightDecay,
      amsgrad = false,
      maximize = false,
    } = opts;
    checkNonNegative('learning rate', lr);
    checkNonNegative('epsilon value', eps);
    betas.forEach((b, i) => {
      if (!(b >= 0 && b < 1)) throw new ArgumentError(`Invalid beta parameter at index ${i}: ${b}`);
    });
    checkNonNegative('weight_decay value', weightDecay);
    super(params, {
      lr,
      betas: [betas[0], betas[1]],
      eps,
      weightDecay,
      amsgrad,
      maximize,
      ...implementationFlags(flags, opts),
    });
  }

  protected override update(p: Tensor, g: Tensor, group: AdamGroup, state: ParamState): void {
    if (!('step' in state)) {
      state.step = 0;
      state.exp_avg = zerosKept(p);
      state.exp_avg_sq = zerosKept(p);
      if (group.amsgrad) state.max_exp_avg_sq = zerosKept(p);
    }
    if (group.amsgrad && !(state.max_exp_avg_sq instanceof Tensor)) state.max_exp_avg_sq = zerosKept(p);
    const step = (state.step as number) + 1;
    state.step = step;
    const [beta1, beta2] = group.betas;
    p.backend.adamStep(
      p,
      g,
      state.exp_avg as Tensor,
      state.exp_avg_sq as Tensor,
      group.amsgrad ? (state.max_exp_avg_sq as Tensor) : null,
      {
        lr: group.lr,
        beta1,
        beta2,
        eps: group.eps,
        weightDecay: group.weightDecay,
        decoupled: this.decoupled,
        amsgrad: group.amsgrad,
        maximize: group.maximize,
        bc1: 1 - beta1 ** step,
        bc2: 1 - beta2 ** step,
      },
    );
  }

  protected override exportState(key: string, v: StateValue): unknown {
    return key === 'step' && typeof v === 'number' ? Tensor.fromHost(new Float32Array([v]), [], 'float32', 'cpu') : v;
  }
}

export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: Params, opts: AdamOptions = {}) {
    super(params, opts, 0, ['foreach', 'capturable', 'differentiable', 'fused']);
  }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter); weightDecay defaults to 1e-2. */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: Params, opts: AdamOptions = {}) {
    super(params, opts, 1e-2, ['foreach', 'capturable']);
  }
}
