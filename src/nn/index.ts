// `torch.nn`: modules, parameters, layers, init and functional.
export * as functional from './functional/index.js';
