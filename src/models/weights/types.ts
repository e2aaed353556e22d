// The shape of the generated catalog (./catalog.ts): torchvision's Weights enums as plain data, so the
// registry, the CLI's `finetorch models` and the docs read one table.

export type Interpolation = 'bilinear' | 'bicubic';

/** One member of a torchvision Weights enum (e.g. ResNet18_Weights.IMAGENET1K_V1). */
export interface CatalogWeights {
  /** torchvision's file name: the last part of its URL, and the name in torch.hub's cache */
  file: string;
  /** the sha256 prefix a download must have (the file name's `-<hex>.` part, except where that is wrong) */
  sha256: string;
  /** other names of the same bytes in a torch.hub cache (a later torchvision's corrected file name) */
  aliases?: string[];
  /** ImageClassification preset: resize the shorter side to `resize`, center-crop `crop`, normalise */
  crop: number;
  resize: number;
  interpolation: Interpolation;
  mean: number[];
  std: number[];
  numParams: number;
  minSize: number[];
  /** ImageNet-1K accuracy as torchvision reports it: { 'acc@1': ..., 'acc@5': ... } */
  metrics: Record<string, number>;
  recipe: string;
}

export interface CatalogModel {
  /** torchvision's enum name, e.g. 'ResNet18_Weights' */
  enumName: string;
  /** the member DEFAULT stands for */
  default: string;
  weights: Record<string, CatalogWeights>;
}

export type Catalog = Record<string, CatalogModel>;
