// The loss and value-check launchers of the WebGPU device: fused cross-entropy forward (which checks its
// targets in the same kernel) and backward (kernels in loss.ts), and checkValues, which sets the device
// error flag for the next readback (error-flag.ts).
import type { Storage, ValueCheck, View } from '../backend.js';
import { CHECK_FLOAT_PARAMS, CHECK_INT_PARAMS, CHECK_WG, checkValuesSource, orderedKey } from './error-flag.js';
import { numel } from '../cpu/strided.js';
import { buf, type LaunchContext } from './launch.js';
import {
  CE_BACKWARD_PARAMS,
  CE_FORWARD_PARAMS,
  crossEntropyBackwardSource,
  crossEntropyForwardSource,
  LOSS_WG,
} from './loss.js';
import { grid1d } from './wgsl.js';

export function crossEntropyForward(
  be: LaunchContext,
  x: View,
  target: View,
  rows: number,
  c: number,
  ignoreIndex: number,
  check: ValueCheck,
): Storage {
  const out = be.alloc(3 * rows, 'float32');
  if (rows) {
    const flag = be.rt.errorFlag,
      site = flag.site(check, false);
    be.rt.dispatch(
      'ce_fwd',
      crossEntropyForwardSource,
      [buf(x), buf(target), out.handle as GPUBuffer, flag.buffer],
      (u, f, i) =>
        CE_FORWARD_PARAMS.write(u, f, i, {
          rows,
          c,
          offX: x.offset,
          offT: target.offset,
          ignoreIndex,
          nan: NaN,
          site,
        }),
      grid1d(rows, LOSS_WG),
    );
  }
  return out;
}

export function crossEntropyBackward(
  be: LaunchContext,
  x: View,
  target: View,
  lse: View,
  g: View,
  gStride: number,
  divisor: View | null,
  rows: number,
  c: number,
  ignoreIndex: number,
): Storage {
  const out = be.alloc(rows * c, 'float32');
  if (rows * c) {
    be.rt.dispatch(
      'ce_bwd',
      crossEntropyBackwardSource,
      [buf(x), buf(target), buf(lse), buf(g), buf(divisor ?? g), out.handle as GPUBuffer],
      (u, f, i) =>
        CE_BACKWARD_PARAMS.write(u, f, i, {
          rows,
          c,
          offX: x.offset,
          offT: target.offset,
          ignoreIndex,
          offLse: lse.offset,
          offG: g.offset,
          gStride,
          offD: divisor ? divisor.offset : 0,
          divided: !!divisor,
        }),
      grid1d(rows * c, LOSS_WG),
    );
  }
  return out;
}

export function checkValues(be: LaunchContext, x: View, check: ValueCheck): void {
  const n = numel(x.shape);
  if (!n) return;
  const float = x.dtype === 'float32';
  const flag = be.rt.errorFlag;
  const site = flag.site(check, float);
  be.rt.dispatch(
    `check:${float ? 'f' : 'i'}`,
    () => checkValuesSource(float),
    [buf(x), flag.buffer],
    (u, f, i) => {
      const hasAllowed = check.except !== undefined,
        e = check.except ?? 0;
      if (float) {
        const allowed = hasAllowed ? new Uint32Array(new Float32Array([e === 0 ? 0 : e]).buffer)[0] : 0;
        CHECK_FLOAT_PARAMS.write(u, f, i, {
          n,
          offset: x.offset,
          lo: orderedKey(check.lo),
          hi: orderedKey(check.hi),
          allowed,
          hasAllowed,
          site,
        });
      } else {
        CHECK_INT_PARAMS.write(u, f, i, {
          n,
          offset: x.offset,
          lo: check.lo,
          hi: check.hi,
          allowed: e,
          hasAllowed,
          site,
        });
      }
    },
    grid1d(n, CHECK_WG),
  );
}
