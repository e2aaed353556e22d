// The batch-norm launchers of the WebGPU device (kernels in norm.ts): statistics (and the running
// update), the normalise pass with its epilogue, and the two backward passes.
import type { NormArgs, NormEpilogue, RunningStats, Storage, View } from '../backend.js';
import { buf, type LaunchContext } from './launch.js';
import {
  applyGroups,
  applyLayout,
  BN_BACKWARD_INPUT_PARAMS,
  BN_FORWARD_PARAMS,
  BN_STATS_PARAMS,
  BN_SUMS_PARAMS,
  bnBackwardInputSource,
  bnForwardSource,
  bnStatsSource,
  bnSumsSource,
  epilogueKey,
  innerLanes,
  normOptions,
  statsVec,
} from './norm.js';

export function batchNormStats(be: LaunchContext, x: View, a: NormArgs, running: RunningStats | null): Storage {
  const out = be.alloc(2 * a.c, 'float32');
  if (!a.c) return out;
  const buffers = [buf(x), out.handle as GPUBuffer, ...(running ? [buf(running.mean), buf(running.var)] : [])];
  const vec = statsVec(a.inner, [x.offset]);
  const o = normOptions;
  be.rt.dispatch(
    `bn_stats:${running ? 'run' : ''}:v${vec}:${o.wg}${o.serial ? 's' : 't'}`,
    () => bnStatsSource(!!running, vec),
    buffers,
    (u, f, i) =>
      BN_STATS_PARAMS.write(u, f, i, {
        outer: a.outer,
        c: a.c,
        inner: a.inner,
        offX: x.offset,
        lanes: innerLanes(a.inner / vec),
        momentum: running ? running.momentum : 0,
        offRM: running ? running.mean.offset : 0,
        offRV: running ? running.var.offset : 0,
      }),
    [a.c, 1, 1],
  );
  return out;
}

export function batchNormForward(
  be: LaunchContext,
  x: View,
  mean: View,
  var_: View,
  weight: View | null,
  bias: View | null,
  a: NormArgs,
  epilogue: NormEpilogue = {},
): Storage {
  const total = a.outer * a.c * a.inner;
  const out = be.alloc(total, 'float32');
  if (!total) return out;
  const res = epilogue.residual ?? null;
  const ep = { residual: !!res, relu: !!epilogue.relu };
  const l = applyLayout(a.outer, a.c, a.inner, x.offset % 4 === 0 && (!res || res.offset % 4 === 0));
  const key = `bn_fwd:${l.kind === 'flat' ? 'flat' : `planes${l.vec}`}${epilogueKey(ep)}`;
  // an absent weight or bias is flagged; its binding holds the (read-only) input
  const buffers = [
    buf(x),
    buf(mean),
    buf(var_),
    buf(weight ?? x),
    buf(bias ?? x),
    ...(res ? [buf(res)] : []),
    out.handle as GPUBuffer,
  ];
  be.rt.dispatch(
    key,
    () => bnForwardSource(l, ep),
    buffers,
    (u, f, i) =>
      BN_FORWARD_PARAMS.write(u, f, i, {
        outer: a.outer,
        c: a.c,
        inner: a.inner,
        offX: x.offset,
        offMean: mean.offset,
        offVar: var_.offset,
        offW: weight ? weight.offset : 0,
        offB: bias ? bias.offset : 0,
        eps: a.eps,
        hasW: !!weight,
        hasB: !!bias,
        offR: res ? res.offset : 0,
      }),
    applyGroups(l, a.outer, a.c, a.inner),
  );
  return out;
}

export function batchNormBackwardSums(
  be: LaunchContext,
  g: View,
  x: View,
  mean: View,
  var_: View,
  a: NormArgs,
): Storage {
  const out = be.alloc(2 * a.c, 'float32');
  if (!a.c) return out;
  const vec = statsVec(a.inner, [g.offset, x.offset]);
  const o = normOptions;
  be.rt.dispatch(
    `bn_sums:v${vec}:${o.wg}${o.serial ? 's' : 't'}`,
    () => bnSumsSource(vec),
    [buf(g), buf(x), buf(mean), buf(var_), out.handle as GPUBuffer],
    (u, f, i) =>
      BN_SUMS_PARAMS.write(u, f, i, {
        outer: a.outer,
        c: a.c,
        inner: a.inner,
        offG: g.offset,
        lanes: innerLanes(a.inner / vec),
        eps: a.eps,
        offX: x.offset,
        offMean: mean.offset,
        offVar: var_.offset,
      }),
    [a.c, 1, 1],
  );
  return out;
}

export function batchNormBackwardInput(
  be: LaunchContext,
  g: View,
  x: View | null,
  mean: View | null,
  var_: View,
  weight: View | null,
  sums: View | null,
  a: NormArgs,
): Storage {
  const total = a.outer * a.c * a.inner;
  const out = be.alloc(total, 'float32');
  if (!total) return out;
  const batch = !!(sums && x && mean);
  const l = applyLayout(a.outer, a.c, a.inner, g.offset % 4 === 0 && (!batch || x!.offset % 4 === 0));
  const key = `bn_bwd:${batch ? 'batch' : 'fixed'}:${l.kind === 'flat' ? 'flat' : `planes${l.vec}`}`;
  const w = buf(weight ?? var_);
  const buffers = batch
    ? [buf(g), buf(x!), buf(mean!), buf(var_), w, buf(sums!), out.handle as GPUBuffer]
    : [buf(g), buf(var_), w, out.handle as GPUBuffer];
  be.rt.dispatch(
    key,
    () => bnBackwardInputSource(l, batch),
    buffers,
    (u, f, i) =>
      BN_BACKWARD_INPUT_PARAMS.write(u, f, i, {
        outer: a.outer,
        c: a.c,
        inner: a.inner,
        offG: g.offset,
        offX: x ? x.offset : 0,
        offMean: mean ? mean.offset : 0,
        offVar: var_.offset,
        offW: weight ? weight.offset : 0,
        offSums: sums ? sums.offset : 0,
        eps: a.eps,
        hasW: !!weight,
      }),
    applyGroups(l, a.outer, a.c, a.inner),
  );
  return out;
}
