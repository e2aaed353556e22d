// Argument parsing shared by the windowed ops (conv, pool): PyTorch accepts an int or a list per
// spatial dim for stride/padding/dilation/kernel size; these expand and validate them.
import { ArgumentError } from '../../errors.js';

/** An int, or one int per spatial dim (a single-element list also broadcasts, as in PyTorch). */
export type IntOrList = number | readonly number[];

/** Expand `v` to `n` ints, or throw an ArgumentError naming the op and argument. */
export function expandInts(v: IntOrList, n: number, name: string, op: string): number[] {
  const arr =
    typeof v === 'number' ? new Array<number>(n).fill(v) : v.length === 1 ? new Array<number>(n).fill(v[0]) : [...v];
  if (arr.length !== n || arr.some((x) => !Number.isInteger(x))) {
    throw new ArgumentError(`${op}: ${name} must be an int or a list of ${n} ints, got ${JSON.stringify(v)}`);
  }
  return arr;
}

/** `[fill, v]` for a 1-D op run as 2-D with height 1; `v` unchanged for 2-D. */
export function as2d(v: readonly number[], fill: number): [number, number] {
  return v.length === 1 ? [fill, v[0]] : [v[0], v[1]];
}
