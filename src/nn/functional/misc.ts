// embedding, dropout (element and channel-wise) and pad.
import { eq, logicalNot, mul, narrow, record, reshape, unsqueeze, where } from '../../autograd/index.js';
import { indexAddUnchecked, indexSelectUnchecked } from '../../autograd/ops/indexing.js';
import { checkValues, dense, dropTemp, requireFloat, sameDevice, wrap } from '../../autograd/ops/util.js';
import { ArgumentError, DTypeError, fmtShape, IndexError, ShapeError } from '../../errors.js';
import { full } from '../../tensor/creation.js';
import { defaultGenerator, type Generator } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';

// ---------- embedding ----------

/**
 * `F.embedding(indices (int32, any shape), weight [V, D], { paddingIdx })` → [...indices.shape, D].
 * Row `paddingIdx` receives no gradient. An out-of-range index is an IndexError: at once on cpu, at
 * the next readback on webgpu (the indices are checked on the device; see checkValues).
 */
export function embedding(indices: Tensor, weight: Tensor, opts: { paddingIdx?: number | null } = {}): Tensor {
  const op = 'embedding';
  sameDevice(op, indices, weight);
  if (indices.dtype !== 'int32')
    throw new DTypeError(
      `${op}: expected indices of dtype int32, got ${indices.dtype} (shape ${fmtShape(indices.shape)})`,
    );
  requireFloat(weight, op);
  if (weight.ndim !== 2)
    throw new ShapeError(`${op}: expected a 2-D weight [num_embeddings, embedding_dim], got ${fmtShape(weight.shape)}`);
  const [v, d] = weight.shape;
  let padIdx = opts.paddingIdx ?? null;
  if (padIdx !== null) {
    if (!Number.isInteger(padIdx) || padIdx >= v || padIdx < -v)
      throw new ArgumentError(`${op}: paddingIdx must be within num_embeddings (${v}), got ${padIdx}`);
    if (padIdx < 0) padIdx += v;
  }
  const flat = reshape(indices, [-1]);
  const of = `of indices ${fmtShape(indices.shape)}, weight ${fmtShape(weight.shape)} has ${v} rows`;
  checkValues(flat, {
    key: `${op}|${of}`,
    lo: 0,
    hi: v - 1,
    error: (x, i) => new IndexError(`${op}: index out of range: ${x} at flat position ${i} ${of}`),
  });
  const wd = dense(weight),
    id = dense(flat);
  const out = wrap(weight.backend.indexSelect(wd, id, 1, v, d), [flat.numel(), d]);
  dropTemp(wd, weight);
  dropTemp(id, flat);
  // every row gets a gradient except paddingIdx
  const keep = padIdx !== null ? logicalNot(eq(flat, padIdx)) : null;
  const y = record('EmbeddingBackward0', out, [weight], (g) => [
    indexAddUnchecked(keep ? where(unsqueeze(keep, 1), g, 0) : g, 0, flat, [v, d]),
  ]);
  return reshape(y, [...indices.shape, d]);
}

// ---------- dropout ----------

export interface DropoutOptions {
  p?: number;
  training?: boolean;
  /** defaults to the seeded `defaultGenerator` (torch.manualSeed reproduces the mask on every device) */
  generator?: Generator;
}

/** Multiply x by a host-drawn mask of `maskShape` (broadcast over x): 0 with probability p, else 1/(1-p). */
function maskedScale(op: string, x: Tensor, maskShape: readonly number[], opts: DropoutOptions): Tensor {
  const p = opts.p ?? 0.5,
    training = opts.training ?? true;
  if (!(p >= 0 && p <= 1))
    throw new ArgumentError(`${op}: dropout probability has to be between 0 and 1, but got ${p}`);
  requireFloat(x, op);
  if (!training || p === 0) return x;
  const gen = opts.generator ?? defaultGenerator;
  const scale = p < 1 ? 1 / (1 - p) : 0;
  const m = new Float32Array(maskShape.reduce((a, s) => a * s, 1));
  for (let i = 0; i < m.length; i++) m[i] = gen.uniform() < p ? 0 : scale;
  return mul(x, Tensor.fromHost(m, maskShape, 'float32', x.device));
}

/** `F.dropout(x, { p = 0.5, training = true })`: zeroes elements with probability p and scales the rest by 1/(1-p). */
export function dropout(x: Tensor, opts: DropoutOptions = {}): Tensor {
  return maskedScale('dropout', x, x.shape, opts);
}
/** `F.dropout1d(x [N, C, L] or [C, L])`: zeroes whole channels. */
export function dropout1d(x: Tensor, opts: DropoutOptions = {}): Tensor {
  if (x.ndim !== 2 && x.ndim !== 3)
    throw new ShapeError(`dropout1d: expected a 2-D [C, L] or 3-D [N, C, L] input, got ${fmtShape(x.shape)}`);
  return maskedScale(
    'dropout1d',
    x,
    x.shape.map((s, i) => (i < x.ndim - 1 ? s : 1)),
    opts,
  );
}
/** `F.dropout2d(x [N, C, H, W] or [C, H, W])`: zeroes whole channels (a 3-D input is one unbatched image). */
export function dropout2d(x: Tensor, opts: DropoutOptions = {}): Tensor {
  if (x.ndim !== 3 && x.ndim !== 4)
    throw new ShapeError(`dropout2d: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got ${fmtShape(x.shape)}`);
  return maskedScale(
    'dropout2d',
    x,
    x.shape.map((s, i) => (i < x.ndim - 2 ? s : 1)),
    opts,
  );
}

// ---------- pad ----------

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/**
 * `F.pad(x, pad, { mode = 'constant', value = 0 })`. `pad` lists (left, right) pairs starting from
 * the last dim, as in PyTorch: [wl, wr, ht, hb, ...]. Constant padding accepts negative sizes (a crop).
 */
export function pad(x: Tensor, pad: readonly number[], opts: { mode?: PadMode; value?: number } = {}): Tensor {
  const mode = opts.mode ?? 'constant';
  const op = `pad(mode='${mode}')`;
  if (pad.length % 2 !== 0)
    throw new ArgumentError(`${op}: padding length must be divisible by 2, got ${fmtShape(pad)}`);
  if (pad.length / 2 > x.ndim)
    throw new ArgumentError(
      `${op}: padding length too large: ${pad.length} values for an input of shape ${fmtShape(x.shape)}`,
    );
  if (pad.some((p) => !Number.isInteger(p)))
    throw new ArgumentError(`${op}: padding sizes must be integers, got ${fmtShape(pad)}`);
  const pairs = Array.from({ length: pad.length / 2 }, (_, i) => ({
    dim: x.ndim - 1 - i,
    l: pad[2 * i],
    r: pad[2 * i + 1],
  }));
  if (mode === 'constant') return constantPad(x, pairs, opts.value ?? 0);
  if (mode !== 'reflect' && mode !== 'replicate' && mode !== 'circular')
    throw new ArgumentError(`pad: unknown mode '${mode}' (constant, reflect, replicate or circular)`);
  if (opts.value !== undefined && opts.value !== 0)
    throw new ArgumentError(`${op}: padding mode '${mode}' doesn't take in value argument`);
  let cur = x;
  for (const { dim, l, r } of pairs) {
    if (l === 0 && r === 0) continue;
    const size = cur.shape[dim];
    if (l < 0 || r < 0)
      throw new ArgumentError(
        `${op}: negative padding (${l}, ${r}) is only supported in constant mode (input ${fmtShape(x.shape)})`,
      );
    if (mode === 'reflect' && (l >= size || r >= size)) {
      throw new ArgumentError(
        `${op}: padding size should be less than the corresponding input dimension, but got: padding (${l}, ${r}) at dimension ${dim} of input ${fmtShape(x.shape)}`,
      );
    }
    if (mode === 'circular' && (l > size || r > size)) {
      throw new ArgumentError(
        `${op}: padding value causes wrapping around more than once: padding (${l}, ${r}) at dimension ${dim} of input ${fmtShape(x.shape)}`,
      );
    }
    if (size === 0)
      throw new ArgumentError(`${op}: cannot pad the empty dimension ${dim} of input ${fmtShape(x.shape)}`);
    // a source position per output position; indexSelect's backward adds the copies back up
    const src = new Int32Array(size + l + r);
    for (let o = 0; o < src.length; o++) {
      const i = o - l;
      src[o] =
        mode === 'replicate'
          ? Math.min(Math.max(i, 0), size - 1)
          : mode === 'circular'
            ? ((i % size) + size) % size
            : i < 0
              ? -i
              : i >= size
                ? 2 * (size - 1) - i
                : i;
    }
    cur = indexSelectUnchecked(cur, dim, Tensor.fromHost(src, [src.length], 'int32', x.device));
  }
  return cur;
}

function constantPad(x: Tensor, pairs: { dim: number; l: number; r: number }[], value: number): Tensor {
  let cur = x;
  for (const { dim, l, r } of pairs) {
    if (l >= 0 && r >= 0) continue;
    const cl = Math.max(0, -l),
      cr = Math.max(0, -r);
    const len = cur.shape[dim] - cl - cr;
    if (len < 0)
      throw new ArgumentError(
        `pad: negative padding (${l}, ${r}) crops more than dimension ${dim} of input ${fmtShape(x.shape)} holds`,
      );
    cur = narrow(cur, dim, cl, len);
  }
  const grow = pairs.filter((p) => p.l > 0 || p.r > 0);
  if (!grow.length) return cur;
  const shape = [...cur.shape];
  let offset = 0;
  const out = full(
    shape.map((s, d) => {
      const p = pairs.find((q) => q.dim === d);
      return p ? s + Math.max(0, p.l) + Math.max(0, p.r) : s;
    }),
    value,
    { device: x.device, dtype: x.dtype },
  );
  for (const p of grow) offset += Math.max(0, p.l) * out.strides[p.dim];
  if (cur.numel())
    cur.backend.copy(cur, { storage: out.storage, dtype: out.dtype, shape, strides: out.strides, offset });
  const src = cur;
  return record('ConstantPadNdBackward0', out, [src], (g) => {
    let gi = g;
    for (const p of grow) gi = narrow(gi, p.dim, Math.max(0, p.l), src.shape[p.dim]);
    return [gi];
  });
}
