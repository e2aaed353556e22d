// Typed errors. Each names the shapes, dtypes, devices, keys or byte offsets involved, so a user can
// act on the message without a debugger.

export class FinetorchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** Shapes that cannot be combined (broadcasting, matmul, reshape, conv arguments). */
export class ShapeError extends FinetorchError {}
/** A dtype an op cannot take (integer tensors asked for gradients, float indices). */
export class DTypeError extends FinetorchError {}
/** Tensors on different devices in one op, or a device that is not available. */
export class DeviceError extends FinetorchError {}
/** A tensor used after `dispose()`. */
export class DisposedError extends FinetorchError {}
/** Misuse of autograd (backward twice through a freed graph, non-scalar backward without gradient). */
export class AutogradError extends FinetorchError {}
/** A bad argument value (negative size, dim out of range, unknown option). */
export class ArgumentError extends FinetorchError {}
/** An index outside the dimension it indexes (indexSelect, gather, embedding, class targets); names the op,
 *  the index value, the dim and its size. An ArgumentError, so code catching that keeps working. */
export class IndexError extends ArgumentError {}
/** A checkpoint that is malformed, hostile or unsupported; names the key or byte offset. */
export class CheckpointError extends FinetorchError {}
/** An error reported by the WebGPU implementation, naming the kernel that caused it. */
export class WebGPUError extends FinetorchError {}
/** Something this environment lacks: a file system in a browser, Ctrl-C, a process to exit. */
export class PlatformError extends FinetorchError {}

/**
 * Pin each class's `name` (and so `err.name`) to the name it is written with: a minifier renames
 * classes (the browser bundle), and users match errors by name. Every error class calls it once.
 */
export function keepErrorNames(classes: Record<string, abstract new (...args: never[]) => Error>): void {
  for (const [name, cls] of Object.entries(classes)) Object.defineProperty(cls, 'name', { value: name });
}
keepErrorNames({
  FinetorchError,
  ShapeError,
  DTypeError,
  DeviceError,
  DisposedError,
  AutogradError,
  ArgumentError,
  IndexError,
  CheckpointError,
  WebGPUError,
  PlatformError,
});

export const fmtShape = (s: readonly number[]) => `[${s.join(', ')}]`;
