// The seed's TextCNN (Kim, 2014) and its two-headed variant. Key names are shared
// (`embedding.weight`, `convs.N.weight`, ...), so a TextCNN checkpoint loads into
// TextCNNRegressionClass partially, exactly as the seed does with `model_dict.update(pretrained)`.
// tools/reference/models.py holds the PyTorch twin of each class.
import { cat, relu, amax, squeeze, transpose } from '../autograd/index.js';
import * as nn from '../nn/index.js';
import type { Tensor } from '../tensor/tensor.js';

export interface TextCNNOptions {
  vocabSize: number;
  numClasses: number;
  embedDim?: number;
  kernelSizes?: number[];
  numFilters?: number;
  dropout?: number;
  paddingIdx?: number;
}

/** The shared trunk: embedding → parallel Conv1d → ReLU → max over time → concat → dropout. */
export abstract class TextCNNTrunk extends nn.Module {
  declare embedding: nn.Embedding;
  declare convs: nn.ModuleList;
  declare dropout: nn.Dropout;
  readonly featureDim: number;

  constructor(o: TextCNNOptions) {
    super();
    const embedDim = o.embedDim ?? 128,
      kernels = o.kernelSizes ?? [3, 4, 5],
      filters = o.numFilters ?? 100;
    this.embedding = new nn.Embedding(o.vocabSize, embedDim, { paddingIdx: o.paddingIdx ?? 0 });
    this.convs = new nn.ModuleList(kernels.map((k) => new nn.Conv1d(embedDim, filters, k)));
    this.dropout = new nn.Dropout(o.dropout ?? 0.5);
    this.featureDim = filters * kernels.length;
  }
  /** token ids [N, L] (int32) → pooled features [N, filters·kernels] */
  features(ids: Tensor): Tensor {
    const e = transpose(this.embedding.call(ids), 1, 2);
    const pooled = [...this.convs].map((c) => amax(relu((c as nn.Conv1d).call(e)), 2));
    return this.dropout.call(cat(pooled, 1));
  }
}

export class TextCNN extends TextCNNTrunk {
  declare fc: nn.Linear;
  constructor(o: TextCNNOptions) {
    super(o);
    this.fc = new nn.Linear(this.featureDim, o.numClasses);
  }
  override forward(ids: Tensor): Tensor {
    return this.fc.call(this.features(ids));
  }
}

/** The same trunk with a classification head and a regression head: forward → [logits, value]. */
export class TextCNNRegressionClass extends TextCNNTrunk {
  declare classifier: nn.Linear;
  declare regressor: nn.Linear;
  constructor(o: TextCNNOptions) {
    super(o);
    this.classifier = new nn.Linear(this.featureDim, o.numClasses);
    this.regressor = new nn.Linear(this.featureDim, 1);
  }
  override forward(ids: Tensor): [Tensor, Tensor] {
    const h = this.features(ids);
    return [this.classifier.call(h), squeeze(this.regressor.call(h), 1)];
  }
}
