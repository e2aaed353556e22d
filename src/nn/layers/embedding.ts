// nn.Embedding: a lookup table of numEmbeddings vectors.
import { noGrad } from '../../autograd/grad-mode.js';
import { ArgumentError, fmtShape, ShapeError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { embedding } from '../functional/misc.js';
import { normal_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { py } from '../repr.js';
import { newParameter, type FactoryOptions } from './common.js';

export interface EmbeddingOptions extends FactoryOptions {
  /** this row gets no gradient and starts at zero (negative counts from the end) */
  paddingIdx?: number | null;
  /** use this tensor (shape [numEmbeddings, embeddingDim]) as the weight, sharing its storage */
  _weight?: Tensor;
}

export class Embedding extends Module {
  declare weight: Parameter;
  numEmbeddings: number;
  embeddingDim: number;
  paddingIdx: number | null;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    let p = opts.paddingIdx ?? null;
    if (p !== null) {
      if (!Number.isInteger(p) || p >= numEmbeddings || p < -numEmbeddings) {
        throw new ArgumentError(`Embedding: padding_idx must be within num_embeddings (${numEmbeddings}), got ${p}`);
      }
      if (p < 0) p += numEmbeddings;
    }
    this.paddingIdx = p;
    if (opts._weight) {
      if (opts._weight.shape.join() !== [numEmbeddings, embeddingDim].join()) {
        throw new ShapeError(
          `Embedding: shape of weight ${fmtShape(opts._weight.shape)} does not match num_embeddings and embedding_dim [${numEmbeddings}, ${embeddingDim}]`,
        );
      }
      this.weight = new Parameter(opts._weight);
    } else {
      this.weight = newParameter([numEmbeddings, embeddingDim], opts.device);
      this.resetParameters();
    }
  }

  /** `Embedding.fromPretrained(weights [V, D], { freeze = true, paddingIdx })`; the weight shares the tensor's storage. */
  static fromPretrained(embeddings: Tensor, opts: { freeze?: boolean; paddingIdx?: number | null } = {}): Embedding {
    if (embeddings.ndim !== 2)
      throw new ShapeError(`Embeddings parameter is expected to be 2-dimensional, got ${fmtShape(embeddings.shape)}`);
    const [v, d] = embeddings.shape;
    const e = new Embedding(v, d, { _weight: embeddings, paddingIdx: opts.paddingIdx });
    e.weight.requiresGrad = !(opts.freeze ?? true);
    return e;
  }

  /** PyTorch's init: N(0, 1), the padding row zeroed. */
  resetParameters(): void {
    normal_(this.weight);
    if (this.paddingIdx !== null) noGrad(() => this.weight.select(0, this.paddingIdx!).fill_(0));
  }
  override forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight, { paddingIdx: this.paddingIdx });
  }
  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${py(this.paddingIdx)}`;
    return s;
  }
}
