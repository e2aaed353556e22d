// Recording a matmul: which of the three kernels runs a call (the configured one when the call fits
// it, else the next more general one) and its dispatch.
import type { MatmulArgs, View } from '../../backend.js';
import type { Runtime } from '../runtime.js';
import { SOFTWARE_SG, type MatmulConfig, type TileConfig } from './config.js';
import { encodePacked, planPacked } from './packed.js';
import { matmulKey, matmulParams, planMatmul, type MatmulPlan } from './plan.js';
import { matmulSgSource, planSg, sgFits } from './subgroup.js';
import { matmulSource } from './tiled.js';
import { buf } from '../launch.js';

/**
 * Record one matmul dispatch writing `out` ([batch, m, n], dense from 0): the packed kernel when
 * `config` is one and the call fits the adapter's limits, the subgroup kernel when `config` is one
 * (or the packed kernel does not fit) and the call fits it, else the register-tiled kernel with `tile`.
 */
export function encodeMatmul(
  rt: Runtime,
  a: View,
  b: View,
  g: MatmulArgs,
  out: GPUBuffer,
  config: MatmulConfig,
  tile: TileConfig,
): void {
  if (g.m * g.n * g.batch === 0) return;
  const bias = g.bias;
  const S = rt.info.subgroupSize;
  if (config.kind === 'packed') {
    const plan = planPacked(g, a.offset, b.offset, config, S, rt.info.limits);
    if (plan) {
      encodePacked(rt, a, b, g, out, config, S, plan);
      return;
    }
    config = SOFTWARE_SG;
  }
  const buffers = bias ? [buf(a), buf(b), buf(bias), out] : [buf(a), buf(b), out];
  const maxDim = rt.info.limits.maxComputeWorkgroupsPerDimension;
  const params = (p: MatmulPlan) => (u: Uint32Array, f: Float32Array, i: Int32Array) =>
    matmulParams(u, f, i, g, a.offset, b.offset, bias ? bias.offset : 0, p);
  // k = 0 needs no special case: the loop runs zero times and the kernel stores 0 (+ bias)
  if (config.kind === 'subgroup' && sgFits(g, a.offset, b.offset, config, S)) {
    const plan = planSg(g, config, S, maxDim);
    rt.dispatch(
      matmulKey(g, !!bias, config, plan),
      () => matmulSgSource(g.transA, g.transB, !!bias, config, S),
      buffers,
      params(plan),
      plan.groups,
    );
    return;
  }
  const t = config.kind === 'tile' ? config : tile;
  const plan = planMatmul(g, a.offset, b.offset, t, maxDim);
  rt.dispatch(
    matmulKey(g, !!bias, t, plan),
    () => matmulSource(g.transA, g.transB, !!bias, t, plan.aMode, plan.bMode),
    buffers,
    params(plan),
    plan.groups,
  );
}
