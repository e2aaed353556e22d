// fit's own error: the loss it reads back is NaN or infinite. Training on would only spread the NaN
// through the weights, so fit stops at the first readback that sees it (it reads the running loss
// every `logEvery` steps and at the end of each epoch, never after every step) and leaves the best
// weights and the resume checkpoint as they were.
import { FinetorchError, keepErrorNames } from '../../errors.js';

export class NonFiniteLossError extends FinetorchError {
  constructor(
    message: string,
    readonly epoch: number,
    readonly key: string,
    readonly value: number,
  ) {
    super(message);
  }
}
keepErrorNames({ NonFiniteLossError });

/** NaN or ±Infinity in a loss read back (`key`, in 0-based `epoch`, `where` in it): stop before anything is saved. */
export function checkFinite(key: string, value: number, epoch: number, where: string): void {
  if (Number.isFinite(value)) return;
  throw new NonFiniteLossError(
    `fit: the ${key} became ${value} in epoch ${epoch + 1}${where}; stopped without saving (the best weights and the resume checkpoint are those of the last good epoch). ` +
      'Check the targets (a class index outside [0, number of classes) gives NaN on webgpu), the inputs and the learning rate.',
    epoch + 1,
    key,
    value,
  );
}
