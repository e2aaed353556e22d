// Whether ops record the graph. `noGrad(fn)` for evaluation and in-place parameter updates.
import { ArgumentError } from '../errors.js';

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}
export function setGradEnabled(v: boolean): void {
  enabled = v;
}
function withMode<T>(mode: boolean, fn: () => T): T {
  const prev = enabled;
  enabled = mode;
  try {
    const r = fn();
    if (r && typeof (r as { then?: unknown }).then === 'function') {
      // an async fn keeps the mode only until its first await; say so rather than leak the mode
      throw new ArgumentError('noGrad/enableGrad take a synchronous function');
    }
    return r;
  } finally {
    enabled = prev;
  }
}
export const noGrad = <T>(fn: () => T): T => withMode(false, fn);
export const enableGrad = <T>(fn: () => T): T => withMode(true, fn);
