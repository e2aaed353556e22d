// torch.data: datasets, the DataLoader and transforms (torch.utils.data + torchvision's parts).
export {
  TensorDataset,
  Subset,
  randomSplit,
  permutation,
  type Dataset,
  type HostTensor,
  type FieldDtypes,
} from './dataset.js';
export { DataLoader, type DataLoaderOptions } from './dataloader.js';
export {
  defaultCollate,
  collateHost,
  uploadBatch,
  StackedField,
  type Collated,
  type CollateOptions,
} from './collate.js';
export { DatasetError } from './errors.js';
export { checkClassLabels } from './labels.js';
export { decodeImage, imageLimits, type DecodeOptions, type Image, type RawImage, type ColorMode } from './image.js';
export { decodeImageAsync } from './image-bitmap.js';
export * as transforms from './transforms.js';
export {
  MNIST,
  MNISTDataset,
  loadMnist,
  parseDigitFile,
  MNIST_SIZE,
  type MNISTOptions,
  type MnistArrays,
} from './mnist.js';
export { ImageFolder, IMG_EXTENSIONS, type ImageFolderOptions } from './image-folder.js';
export { parseCsv, type CsvRow } from './csv.js';
export {
  TextClassificationCsv,
  Vocabulary,
  tokenize,
  type TextSample,
  type TextClassificationCsvOptions,
  type VocabularyOptions,
} from './text.js';
