/** Tensor ops, one module per native op family. */
export * from './elementwise.js'
export * from './reduce.js'
export * from './gemm.js'
export * from './surrogate-spike.js'
export * from './neuron-step.js'
