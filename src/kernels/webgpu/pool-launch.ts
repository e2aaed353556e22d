// The pooling launchers of the WebGPU device (kernels in pool.ts): max and average pooling and the
// average-pool gradient, one invocation per output (or input) element.
import type { Pool2dArgs, Storage, View } from '../backend.js';
import { avgPoolBackwardSource, avgPoolSource, maxPoolSource, POOL_PARAMS, POOL_WG } from './pool.js';
import { buf, type LaunchContext } from './launch.js';
import { grid1d } from './wgsl.js';

function poolParams(total: number, a: Pool2dArgs, offX: number) {
  return (u: Uint32Array, f: Float32Array, i: Int32Array) =>
    POOL_PARAMS.write(u, f, i, {
      total,
      h: a.h,
      w: a.w,
      oh: a.oh,
      ow: a.ow,
      kh: a.kh,
      kw: a.kw,
      sh: a.strideH,
      sw: a.strideW,
      ph: a.padH,
      pw: a.padW,
      dh: a.dilH,
      dw: a.dilW,
      countIncludePad: !!a.countIncludePad,
      divisorOverride: a.divisor ?? 0,
      offX,
    });
}

export function maxPool2d(be: LaunchContext, x: View, a: Pool2dArgs): [Storage, Storage] {
  const total = a.n * a.c * a.oh * a.ow;
  const out = be.alloc(total, 'float32'),
    idx = be.alloc(total, 'int32');
  if (total)
    be.rt.dispatch(
      'maxpool2d',
      maxPoolSource,
      [buf(x), out.handle as GPUBuffer, idx.handle as GPUBuffer],
      poolParams(total, a, x.offset),
      grid1d(total, POOL_WG),
    );
  return [out, idx];
}

export function avgPool2d(be: LaunchContext, x: View, a: Pool2dArgs): Storage {
  const total = a.n * a.c * a.oh * a.ow;
  const out = be.alloc(total, 'float32');
  if (total)
    be.rt.dispatch(
      'avgpool2d',
      avgPoolSource,
      [buf(x), out.handle as GPUBuffer],
      poolParams(total, a, x.offset),
      grid1d(total, POOL_WG),
    );
  return out;
}

export function avgPool2dBackward(be: LaunchContext, gy: View, a: Pool2dArgs): Storage {
  const total = a.n * a.c * a.h * a.w;
  const out = be.alloc(total, 'float32');
  if (total)
    be.rt.dispatch(
      'avgpool2d_bw',
      avgPoolBackwardSource,
      [buf(gy), out.handle as GPUBuffer],
      poolParams(total, a, gy.offset),
      grid1d(total, POOL_WG),
    );
  return out;
}
