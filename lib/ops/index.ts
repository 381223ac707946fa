/** Tensor ops, one module per native op family. */
export * from './elementwise.js'
export * from './reduce.js'
export * from './gemm.js'
export * from './stdp-trace.js'
export * from './rng.js'
export * from './synapse.js'
export * from './conv2d.js'
export * from './opt-step.js'
