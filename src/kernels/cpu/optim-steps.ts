// The cpu device's fused optimizer updates (PyTorch's SGD, Adam/AdamW and RMSprop step formulas), in place
// over dense parameter, gradient and state arrays; the reference the WebGPU kernels are tested against.
import type { AdamArgs, RmspropArgs, SgdArgs, View } from '../backend.js';
import { type CpuContext, dense } from './views.js';

export function sgdStep(be: CpuContext, param: View, grad: View, buf: View | null, a: SgdArgs): void {
  be.dispatches++;
  const P = dense(param),
    G = dense(grad),
    Bf = buf ? dense(buf) : null;
  for (let i = 0; i < P.length; i++) {
    let g = a.maximize ? -G[i] : G[i];
    if (a.weightDecay) g += a.weightDecay * P[i];
    if (Bf) {
      Bf[i] = a.firstStep ? g : a.momentum * Bf[i] + (1 - a.dampening) * g;
      g = a.nesterov ? g + a.momentum * Bf[i] : Bf[i];
    }
    P[i] -= a.lr * g;
  }
}

export function adamStep(
  be: CpuContext,
  param: View,
  grad: View,
  m: View,
  v: View,
  vmax: View | null,
  a: AdamArgs,
): void {
  be.dispatches++;
  const P = dense(param),
    G = dense(grad),
    M = dense(m),
    V = dense(v),
    VM = vmax ? dense(vmax) : null;
  const stepSize = a.lr / a.bc1,
    bc2s = Math.sqrt(a.bc2);
  for (let i = 0; i < P.length; i++) {
    let g = a.maximize ? -G[i] : G[i];
    if (a.decoupled) P[i] *= 1 - a.lr * a.weightDecay;
    else if (a.weightDecay) g += a.weightDecay * P[i];
    M[i] = a.beta1 * M[i] + (1 - a.beta1) * g;
    V[i] = a.beta2 * V[i] + (1 - a.beta2) * g * g;
    let vv = V[i];
    if (VM) {
      VM[i] = Math.max(VM[i], V[i]);
      vv = VM[i];
    }
    P[i] -= (stepSize * M[i]) / (Math.sqrt(vv) / bc2s + a.eps);
  }
}

export function rmspropStep(
  be: CpuContext,
  param: View,
  grad: View,
  sq: View,
  buf: View | null,
  gavg: View | null,
  a: RmspropArgs,
): void {
  be.dispatches++;
  const P = dense(param),
    G = dense(grad),
    S = dense(sq);
  const Bf = buf ? dense(buf) : null,
    GA = gavg ? dense(gavg) : null;
  for (let i = 0; i < P.length; i++) {
    let g = a.maximize ? -G[i] : G[i];
    if (a.weightDecay) g += a.weightDecay * P[i];
    S[i] = a.alpha * S[i] + (1 - a.alpha) * g * g;
    let avg: number;
    if (GA) {
      GA[i] = a.alpha * GA[i] + (1 - a.alpha) * g;
      avg = Math.sqrt(S[i] - GA[i] * GA[i]) + a.eps;
    } else avg = Math.sqrt(S[i]) + a.eps;
    if (Bf) {
      Bf[i] = a.momentum * Bf[i] + g / avg;
      P[i] -= a.lr * Bf[i];
    } else P[i] -= (a.lr * g) / avg;
  }
}
