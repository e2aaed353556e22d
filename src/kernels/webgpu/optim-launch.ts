// The fused optimizer-step launchers of the WebGPU device (kernels in optim.ts): one dispatch per
// parameter, vec4 when every tensor is 4-aligned.
import type { AdamArgs, RmspropArgs, SgdArgs, View } from '../backend.js';
import { numel } from '../cpu/strided.js';
import { buf, type LaunchContext } from './launch.js';
import { ADAM_PARAMS, adamSource, OPT_WG, RMSPROP_PARAMS, rmspropSource, SGD_PARAMS, sgdSource } from './optim.js';
import { grid1d } from './wgsl.js';

function optVec(n: number, views: (View | null)[]): boolean {
  return n % 4 === 0 && views.every((v) => !v || v.offset === 0);
}

export function sgdStep(be: LaunchContext, param: View, grad: View, b: View | null, a: SgdArgs): void {
  const n = numel(param.shape);
  const vec = optVec(n, [param, grad, b]);
  const buffers = b ? [buf(param), buf(grad), buf(b)] : [buf(param), buf(grad)];
  be.rt.dispatch(
    `sgd:${b ? 'm' : ''}${vec ? ':v4' : ''}`,
    () => sgdSource(!!b, vec),
    buffers,
    (u, f, i) =>
      SGD_PARAMS.write(u, f, i, {
        n: vec ? n / 4 : n,
        lr: a.lr,
        momentum: a.momentum,
        dampening: a.dampening,
        weightDecay: a.weightDecay,
        nesterov: a.nesterov,
        maximize: a.maximize,
        firstStep: a.firstStep,
      }),
    grid1d(vec ? n / 4 : n, OPT_WG),
  );
}

export function adamStep(
  be: LaunchContext,
  param: View,
  grad: View,
  m: View,
  v: View,
  vmax: View | null,
  a: AdamArgs,
): void {
  const n = numel(param.shape);
  const vec = optVec(n, [param, grad, m, v, vmax]);
  const buffers = [buf(param), buf(grad), buf(m), buf(v), ...(vmax ? [buf(vmax)] : [])];
  be.rt.dispatch(
    `adam:${vmax ? 'ams' : ''}${vec ? ':v4' : ''}`,
    () => adamSource(!!vmax, vec),
    buffers,
    (u, f, i) =>
      ADAM_PARAMS.write(u, f, i, {
        n: vec ? n / 4 : n,
        lr: a.lr,
        beta1: a.beta1,
        beta2: a.beta2,
        eps: a.eps,
        weightDecay: a.weightDecay,
        decoupled: a.decoupled,
        maximize: a.maximize,
        bc1: a.bc1,
        bc2: a.bc2,
      }),
    grid1d(vec ? n / 4 : n, OPT_WG),
  );
}

export function rmspropStep(
  be: LaunchContext,
  param: View,
  grad: View,
  sq: View,
  b: View | null,
  gavg: View | null,
  a: RmspropArgs,
): void {
  const n = numel(param.shape);
  const vec = optVec(n, [param, grad, sq, b, gavg]);
  const buffers = [buf(param), buf(grad), buf(sq), ...(b ? [buf(b)] : []), ...(gavg ? [buf(gavg)] : [])];
  be.rt.dispatch(
    `rmsprop:${b ? 'm' : ''}${gavg ? 'c' : ''}${vec ? ':v4' : ''}`,
    () => rmspropSource(!!b, !!gavg, vec),
    buffers,
    (u, f, i) =>
      RMSPROP_PARAMS.write(u, f, i, {
        n: vec ? n / 4 : n,
        lr: a.lr,
        alpha: a.alpha,
        eps: a.eps,
        weightDecay: a.weightDecay,
        momentum: a.momentum,
        maximize: a.maximize,
      }),
    grid1d(vec ? n / 4 : n, OPT_WG),
  );
}
