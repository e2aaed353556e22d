// fit's own error: the loss it reads back is NaN or infinite. Training on would only spread the NaN
// through the weights, so fit stops at the first readback that sees it (it reads the running loss
// every `logEvery` steps and at the end of each epoch, never after every step) and leaves the best
// weights and the resume checkpoint as they were.
import { FinetorchError } from '../../errors.js';

export class NonFiniteLossError extends FinetorchError {
  constructor(message: string, readonly epoch: number, readonly key: string, readonly value: number) {
    super(message);
  }
}
