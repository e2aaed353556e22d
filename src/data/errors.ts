// Errors of the data layer. A bad file or folder names its path, a bad sample names its dataset index.
import { FinetorchError, keepErrorNames } from '../errors.js';

/** A dataset file or folder that cannot be read: corrupt image, empty class folder, malformed CSV. */
export class DatasetError extends FinetorchError {}
keepErrorNames({ DatasetError });
