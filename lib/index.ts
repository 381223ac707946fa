/**
 * spaic-learning: SPAIC's learning rules, optimizers and lr schedules over native C++/CUDA kernels.
 */
export * from './errors.js'
export {
  backends,
  resolveDevice,
  cudaAvailable,
  Device,
  emptyCache,
  lastAutoChoice,
  memoryStats,
} from './runtime/device.js'
export type { DeviceSpec, Backends } from './runtime/device.js'
export { addonFile } from './native.js'
export type { AddonFile } from './native.js'
export { Tensor, checkTensor } from './runtime/tensor.js'
export type { TensorOptions } from './runtime/tensor.js'
export { Program, buildProgram, lowerProgram, stepsFor } from './executors/step.js'
export type { BuildProgramOptions, RunInput, RunOptions, StepStats } from './executors/step.js'
export type { DType } from './runtime/dtype.js'
export * as ops from './ops/index.js'
export * from './network/index.js'
export * from './learning/index.js'
export * from './data/index.js'
export * as cli from './cli/index.js'
export {
  BENCH_FAMILIES,
  BENCH_ROW_NAMES,
  benchJson,
  benchMarkdown,
  benchRows,
  benchText,
  runBench,
  selectRows,
} from './bench/index.js'
export type {
  BenchOptions,
  BenchReport,
  BenchRow,
  Ceilings,
  MachineInfo,
  PeersStatus,
  RowResult,
} from './bench/index.js'
export * from './optim/index.js'
export { FeedForwardProgram } from './executors/bptt.js'
export type { FeedForwardBuildOptions, FeedForwardRunOptions } from './executors/bptt.js'
export type { FeedForwardBackwardOptions } from './executors/bptt.js'
export * from './checkpoint/index.js'
export * from './plots/index.js'
