// The differentiable op set. Importing this module installs the Tensor methods.
import './methods.js';
export * from './ops/broadcast.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export * from './ops/shape.js';
// named: the unchecked forms are for the library's own indices
export { gather, indexAdd, indexSelect, scatterAdd } from './ops/indexing.js';
// named, so linalg's helpers stay off the public face (mm/bmm with PyTorch's rank rules are in ops/mm)
export { matmul, linear } from './ops/linalg.js';
export * from './ops/mm.js';
export * from './ops/softmax.js';
export { backward, grad, type BackwardOptions, type GradOptions } from './engine.js';
export { enableGrad, isGradEnabled, noGrad, setGradEnabled } from './grad-mode.js';
export { record, Node } from './node.js';
export { gradcheck, type GradcheckOptions } from './gradcheck.js';
