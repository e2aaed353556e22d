// What every layer shares: the factory options (PyTorch's device= keyword), parameter creation and
// the Linear/Conv initialisation.
import { ArgumentError } from '../../errors.js';
import { empty } from '../../tensor/creation.js';
import { defaultDevice, type Device } from '../../tensor/device.js';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from '../init.js';
import { Parameter } from '../parameter.js';

export interface FactoryOptions {
  /** where the parameters and buffers are created; default: the default device */
  device?: Device;
}

/** An uninitialised float32 Parameter (the layer's resetParameters fills it). */
export function newParameter(shape: readonly number[], device: Device = defaultDevice()): Parameter {
  const t = empty(shape, { device });
  const p = new Parameter(t);
  t.dispose(); // the Parameter holds its own reference to the storage
  return p;
}

/** An int or a list expanded to `n` ints (PyTorch's _single/_pair). */
export function ntuple(v: number | readonly number[], n: number, name: string, layer: string): number[] {
  const arr =
    typeof v === 'number' ? new Array<number>(n).fill(v) : v.length === 1 ? new Array<number>(n).fill(v[0]) : [...v];
  if (arr.length !== n || arr.some((x) => !Number.isInteger(x))) {
    throw new ArgumentError(`${layer}: ${name} must be an int or a list of ${n} ints, got ${JSON.stringify(v)}`);
  }
  return arr;
}

/**
 * PyTorch's init for Linear and Conv layers: kaiming_uniform_(a=√5) for the weight (i.e.
 * U(±1/√fan_in)), U(±1/√fan_in) for the bias.
 */
export function resetLinearLike(weight: Parameter, bias: Parameter | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias) {
    const { fanIn } = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}
