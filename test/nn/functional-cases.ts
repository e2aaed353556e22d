// Runs the PyTorch fixture cases written by tools/reference/nn_ops.py: each case's inputs go to the
// device, the op runs with the case's (TypeScript-named) options, and the output, the indices (when
// returned), every gradient and, for batchNorm, the updated running statistics are compared.
import { expect } from 'vitest';
import { expectClose, fixture, onDevice, type torch, type Device } from '../harness.js';

type Tensor = torch.Tensor;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Args = Record<string, any>;
export interface Case {
  name: string;
  op: string;
  args: Args;
  inputs: string[];
  grads: string[];
}
export type Call = (inputs: Record<string, Tensor>, args: Args) => Tensor | [Tensor, Tensor];

export function loadFamily(family: string): { T: Record<string, Tensor>; cases: Case[] } {
  const { tensors, metadata } = fixture(`nn_ops/${family}`);
  return { T: tensors, cases: JSON.parse(metadata.cases) as Case[] };
}

/** A fixture tensor on `device`, copied so that in-place updates never touch the fixture. */
export function input(T: Record<string, Tensor>, key: string, device: Device, requiresGrad = false): Tensor {
  const t = T[key];
  if (!t) throw new Error(`fixture has no tensor ${key}`);
  return onDevice(t.clone(), device, requiresGrad);
}

export async function runCase(
  T: Record<string, Tensor>,
  c: Case,
  device: Device,
  call: Call,
  tol: { rtol: number; atol: number },
): Promise<void> {
  const inputs: Record<string, Tensor> = {};
  for (const name of c.inputs) inputs[name] = input(T, `${c.name}.${name}`, device, c.grads.includes(name));
  const out = call(inputs, c.args);
  const [y, idx] = Array.isArray(out) ? out : [out, null];
  await expectClose(y, T[`${c.name}.y`], tol, `${c.name}: output`);
  if (idx) {
    expect(idx.dtype).toBe('int32');
    expect(idx.shape).toEqual(T[`${c.name}.indices`].shape);
    expect(Array.from(await idx.data()), `${c.name}: indices`).toEqual(Array.from(T[`${c.name}.indices`].dataSync()));
  }
  if (T[`${c.name}.runningMean.after`]) {
    await expectClose(inputs.runningMean, T[`${c.name}.runningMean.after`], tol, `${c.name}: running mean`);
    await expectClose(inputs.runningVar, T[`${c.name}.runningVar.after`], tol, `${c.name}: running var`);
  }
  if (!c.grads.length) return;
  y.backward(onDevice(T[`${c.name}.gy`], device));
  for (const g of c.grads) {
    expect(inputs[g].grad, `${c.name}: grad of ${g}`).toBeTruthy();
    await expectClose(inputs[g].grad!, T[`${c.name}.grad.${g}`], tol, `${c.name}: grad of ${g}`);
  }
}
