// Fused optimizer updates: one dispatch per parameter per step, everything in place. With `vec`
// (length a multiple of 4, every storage from element 0) each invocation updates four elements
// through vec4 arrays: the same scalar formulas, a quarter of the invocations and wide loads, which
// on llvmpipe makes the update ~2x faster.
import { paramBinding, paramBlock } from './params.js';
import { FLAT_INDEX } from './wgsl.js';

export const OPT_WG = 256;
const T = (vec: boolean) => (vec ? 'vec4<f32>' : 'f32');
/** the entry point: the parameters' lets, then one invocation per element (per vec4 with `vec`) below n */
const entry = (preamble: string) => `@compute @workgroup_size(${OPT_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ${preamble}
  ${FLAT_INDEX(OPT_WG)}
  if (i >= n) { return; }`;

/** n: elements (vec4s with `vec`) */
export const SGD_PARAMS = paramBlock({
  n: 'u32',
  lr: 'f32',
  momentum: 'f32',
  dampening: 'f32',
  weightDecay: 'f32',
  nesterov: 'bool',
  maximize: 'bool',
  firstStep: 'bool',
});
/** bc1, bc2: the bias corrections 1 - β^t */
export const ADAM_PARAMS = paramBlock({
  n: 'u32',
  lr: 'f32',
  beta1: 'f32',
  beta2: 'f32',
  eps: 'f32',
  weightDecay: 'f32',
  decoupled: 'bool',
  maximize: 'bool',
  bc1: 'f32',
  bc2: 'f32',
});
export const RMSPROP_PARAMS = paramBlock({
  n: 'u32',
  lr: 'f32',
  alpha: 'f32',
  eps: 'f32',
  weightDecay: 'f32',
  momentum: 'f32',
  maximize: 'bool',
});

export function sgdSource(momentum: boolean, vec = false): string {
  return `@group(0) @binding(0) var<storage, read_write> W: array<${T(vec)}>;
@group(0) @binding(1) var<storage, read> G: array<${T(vec)}>;
${momentum ? `@group(0) @binding(2) var<storage, read_write> Buf: array<${T(vec)}>;` : ''}
${paramBinding(momentum ? 3 : 2)}
${entry(SGD_PARAMS.preamble())}
  var g = select(G[i], -G[i], maximize);
  g += weightDecay * W[i];
  ${
    momentum
      ? `var b = select(momentum * Buf[i] + (1.0 - dampening) * g, g, firstStep);
  Buf[i] = b;
  g = select(b, g + momentum * b, nesterov);`
      : ''
  }
  W[i] = W[i] - lr * g;
}`;
}

export function adamSource(amsgrad: boolean, vec = false): string {
  return `@group(0) @binding(0) var<storage, read_write> W: array<${T(vec)}>;
@group(0) @binding(1) var<storage, read> G: array<${T(vec)}>;
@group(0) @binding(2) var<storage, read_write> M: array<${T(vec)}>;
@group(0) @binding(3) var<storage, read_write> V: array<${T(vec)}>;
${amsgrad ? `@group(0) @binding(4) var<storage, read_write> VM: array<${T(vec)}>;` : ''}
${paramBinding(amsgrad ? 5 : 4)}
${entry(ADAM_PARAMS.preamble())}
  var g = select(G[i], -G[i], maximize);
  var w = W[i];
  if (decoupled) { w = w * (1.0 - lr * weightDecay); } else { g += weightDecay * w; }
  let m = beta1 * M[i] + (1.0 - beta1) * g;
  let v = beta2 * V[i] + (1.0 - beta2) * g * g;
  M[i] = m; V[i] = v;
  ${amsgrad ? 'let vv = max(VM[i], v); VM[i] = vv;' : 'let vv = v;'}
  W[i] = w - (lr / bc1) * m / (sqrt(vv) / sqrt(bc2) + eps);
}`;
}

export function rmspropSource(momentum: boolean, centered: boolean, vec = false): string {
  let b = 2;
  const decl = (name: string) => `@group(0) @binding(${b++}) var<storage, read_write> ${name}: array<${T(vec)}>;`;
  return `@group(0) @binding(0) var<storage, read_write> W: array<${T(vec)}>;
@group(0) @binding(1) var<storage, read> G: array<${T(vec)}>;
${decl('S')}
${momentum ? decl('Buf') : ''}
${centered ? decl('GA') : ''}
${paramBinding(b)}
${entry(RMSPROP_PARAMS.preamble())}
  var g = select(G[i], -G[i], maximize);
  g += weightDecay * W[i];
  let s = alpha * S[i] + (1.0 - alpha) * g * g;
  S[i] = s;
  ${centered ? `let ga = alpha * GA[i] + (1.0 - alpha) * g; GA[i] = ga; let avg = sqrt(s - ga * ga) + eps;` : `let avg = sqrt(s) + eps;`}
  ${momentum ? `let bb = momentum * Buf[i] + g / avg; Buf[i] = bb; W[i] = W[i] - lr * bb;` : 'W[i] = W[i] - lr * g / avg;'}
}`;
}
