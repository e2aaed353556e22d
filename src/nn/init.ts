// nn.init: in-place initialisers with PyTorch's formulas (fan computation, gains, bounds). Values
// are drawn on the host from the seeded generator (`torch.manualSeed` reproduces them on every
// device) and written into the tensor outside autograd; each returns the tensor it filled.
import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, DTypeError, fmtShape, ShapeError } from '../errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';
export type FanMode = 'fan_in' | 'fan_out';
export interface InitOptions {
  generator?: Generator;
}

/** The recommended gain for a nonlinearity (`param` is leaky_relu's negative slope, default 0.01). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number | null): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.sqrt(2);
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || Number.isNaN(slope))
        throw new ArgumentError(`negative_slope ${String(param)} not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ArgumentError(`Unsupported nonlinearity ${String(nonlinearity)}`);
  }
}

/** PyTorch's _calculate_fan_in_and_fan_out: dim 1 and dim 0 times the receptive field (dims 2+). */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2)
    throw new ShapeError(
      `Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (shape ${fmtShape(t.shape)})`,
    );
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

function correctFan(t: Tensor, mode: FanMode): number {
  if (mode !== 'fan_in' && mode !== 'fan_out')
    throw new ArgumentError(`Mode ${String(mode)} not supported, please use one of fan_in, fan_out`);
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return mode === 'fan_in' ? fanIn : fanOut;
}

/** Write `draw()` values into every element of t (any layout, any device). */
function fillWith(t: Tensor, draw: () => number): Tensor {
  if (t.dtype !== 'float32')
    throw new DTypeError(`nn.init needs a float32 tensor, got ${t.dtype} (shape ${fmtShape(t.shape)})`);
  const n = t.numel();
  if (n === 0) return t;
  const host = new Float32Array(n);
  for (let i = 0; i < n; i++) host[i] = draw();
  const src = Tensor.fromHost(host, t.shape, 'float32', t.device);
  noGrad(() => t.copy_(src));
  src.dispose();
  return t;
}

/** U(a, b) */
export function uniform_(t: Tensor, a = 0, b = 1, opts: InitOptions = {}): Tensor {
  const g = opts.generator ?? defaultGenerator;
  return fillWith(t, () => a + (b - a) * g.uniform());
}
/** N(mean, std²) */
export function normal_(t: Tensor, mean = 0, std = 1, opts: InitOptions = {}): Tensor {
  const g = opts.generator ?? defaultGenerator;
  return fillWith(t, () => mean + std * g.normal());
}
export function constant_(t: Tensor, val: number): Tensor {
  noGrad(() => t.fill_(val));
  return t;
}
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);

/** Xavier/Glorot: U(-a, a), a = gain·√(6 / (fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const a = Math.sqrt(3) * gain * Math.sqrt(2 / (fanIn + fanOut));
  return uniform_(t, -a, a, opts);
}
/** Xavier/Glorot: N(0, std²), std = gain·√(2 / (fan_in + fan_out)). */
export function xavierNormal_(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), opts);
}

export interface KaimingOptions extends InitOptions {
  /** negative slope of the rectifier after this layer (leaky_relu only); default 0 */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}
function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const fan = correctFan(t, o.mode ?? 'fan_in');
  return calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
}
/** Kaiming/He: U(-bound, bound), bound = gain·√(3 / fan). Zero-element tensors are left alone. */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  if (t.numel() === 0) return t; // PyTorch warns and returns
  const bound = Math.sqrt(3) * kaimingStd(t, opts);
  return uniform_(t, -bound, bound, opts);
}
/** Kaiming/He: N(0, std²), std = gain / √fan. */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  if (t.numel() === 0) return t;
  return normal_(t, 0, kaimingStd(t, opts), opts);
}
