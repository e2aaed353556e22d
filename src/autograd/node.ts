// A recorded op: its inputs and a closure computing their gradients from the output's gradient.
// The closure holds the saved tensors; releasing it frees them.
import { AutogradError } from '../errors.js';
import type { GradNode, Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from './grad-mode.js';

export type BackwardFn = (grad: Tensor, needs: readonly boolean[]) => (Tensor | null | undefined)[];

export class Node implements GradNode {
  hooks: ((g: Tensor) => Tensor | void)[] = [];
  retainOutput: Tensor | null = null;
  private fn: BackwardFn | null;
  /** which inputs need a gradient; backward skips the rest (no kernel runs for frozen weights) */
  readonly needs: readonly boolean[];
  constructor(
    readonly name: string,
    readonly inputs: readonly (Tensor | null)[],
    fn: BackwardFn,
  ) {
    this.fn = fn;
    this.needs = inputs.map((t) => !!t && t.requiresGrad);
  }
  apply(grad: Tensor): (Tensor | null | undefined)[] {
    if (!this.fn) {
      throw new AutogradError(
        `Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed) in ${this.name}. ` +
          'Specify retainGraph: true if you need to backward a second time.',
      );
    }
    return this.fn(grad, this.needs);
  }
  release(): void {
    this.fn = null;
  }
}

/**
 * Attach `out` to the graph when grad mode is on and an input requires grad. `backward` receives
 * the output gradient and which inputs need one, and returns one gradient (or null) per input.
 */
export function record(name: string, out: Tensor, inputs: readonly (Tensor | null)[], backward: BackwardFn): Tensor {
  if (!isGradEnabled() || !inputs.some((t) => t?.requiresGrad)) return out;
  out.gradFn = new Node(name, inputs, backward);
  out._requiresGrad = true;
  return out;
}
