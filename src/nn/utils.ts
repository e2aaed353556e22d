// `nn.utils` gradient clipping, as PyTorch 1.13's clip_grad_norm_ / clip_grad_value_. The norm and
// the clip coefficient stay on the device (no readback), and the gradients are scaled by
// min(1, maxNorm / (norm + 1e-6)) unconditionally, which is how PyTorch avoids a host sync.
import { noGrad } from '../autograd/grad-mode.js';
import { sum } from '../autograd/ops/broadcast.js';
import { abs, add, clamp, div, mul, ne, pow, sqrt, toDtype } from '../autograd/ops/elementwise.js';
import { amax, amin } from '../autograd/ops/reduce.js';
import { stack } from '../autograd/ops/shape.js';
import { ArgumentError, DeviceError } from '../errors.js';
import { tensor } from '../tensor/creation.js';
import { scope } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';

type Params = Tensor | Iterable<Tensor>;
const asList = (p: Params): Tensor[] => (p instanceof Tensor ? [p] : Array.from(p));

/** torch.norm(x, p) of a tensor, as a 0-dim tensor (p = ±Infinity: max/min |x|; p = 0: count of non-zeros). */
function pNorm(x: Tensor, p: number): Tensor {
  if (p === Infinity) return amax(abs(x));
  if (p === -Infinity) return amin(abs(x));
  if (p === 0) return sum(toDtype(ne(x, 0), 'float32'));
  if (p === 1) return sum(abs(x));
  if (p === 2) return sqrt(sum(mul(x, x)));
  return pow(sum(pow(abs(x), p)), 1 / p);
}

/**
 * Scale the gradients of `parameters` in place so that their joint `normType`-norm is at most
 * `maxNorm`; returns the norm before clipping as a 0-dim tensor on the gradients' device.
 * `normType` may be Infinity / 'inf' (largest |g|). `errorIfNonfinite` needs the norm on the host:
 * it is checked synchronously for cpu gradients; on webgpu, read the returned norm instead.
 */
export function clipGradNorm_(
  parameters: Params,
  maxNorm: number,
  normType: number | 'inf' | '-inf' = 2,
  { errorIfNonfinite = false }: { errorIfNonfinite?: boolean } = {},
): Tensor {
  const grads = asList(parameters)
    .map((p) => p.grad)
    .filter((g): g is Tensor => g !== null);
  const p = normType === 'inf' ? Infinity : normType === '-inf' ? -Infinity : Number(normType);
  if (Number.isNaN(p))
    throw new ArgumentError(`clipGradNorm_: normType must be a number or 'inf', got ${String(normType)}`);
  if (grads.length === 0) return tensor(0, { device: 'cpu' });
  const device = grads[0].device;
  if (errorIfNonfinite && device !== 'cpu') {
    throw new DeviceError(
      `clipGradNorm_: errorIfNonfinite needs the norm on the host, which is asynchronous on ${device}; call it without the flag and check await norm.item()`,
    );
  }
  return noGrad(() => {
    const total = scope(() => {
      const norms = grads.map((g) => pNorm(g, p));
      return norms.length === 1 ? norms[0] : pNorm(stack(norms), p);
    });
    if (errorIfNonfinite && !Number.isFinite(total.dataSync()[0])) {
      total.dispose();
      throw new ArgumentError(
        `The total norm of order ${p} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite=false`,
      );
    }
    scope(() => {
      const coef = clamp(div(maxNorm, add(total, 1e-6)), { max: 1.0 });
      for (const g of grads) g.mul_(coef);
    });
    return total;
  });
}

/** Clamp every gradient of `parameters` to [-clipValue, clipValue] in place. */
export function clipGradValue_(parameters: Params, clipValue: number): void {
  const v = Number(clipValue);
  noGrad(() => {
    for (const p of asList(parameters)) if (p.grad) p.grad.clamp_(-v, v);
  });
}
