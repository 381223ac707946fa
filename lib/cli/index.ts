/** The command line's building blocks (the executable is lib/cli/main.ts -> dist/cli/main.js). */
export { BENCH_DEFAULTS, FOLDS, parseArgs, stepsOf, TRAIN_DEFAULTS, USAGE } from './args.js'
export type { BenchCliOptions, ParsedCommand, TrainOptions } from './args.js'
export { formatDuration, formatNumber, formatPercent, formatTable, progressBar, progressText } from './format.js'
export type { ProgressState } from './format.js'
export { Progress, silentProgress } from './progress.js'
export type { ProgressOptions, ProgressReporter, ProgressUpdate, TextStream } from './progress.js'
export { registerTrainJob, trainJobs, writeMetricsJson } from './jobs.js'
export type { EpochMetrics, Metrics, TrainJob } from './jobs.js'
export { main, summaryTable } from './main.js'
export type { MainIO } from './main.js'
export { checkpointEpoch, resumeJob } from './checkpoint.js'
export type { JobSettings, Resumed } from './checkpoint.js'
export {
  foldData,
  foldOptions,
  foldsSummary,
  foldsTable,
  MNIST_FOLD_IMAGES,
  mnistFoldPool,
  writeFoldsJson,
} from './folds.js'
export type { FoldInfo, FoldResult, FoldsSummary } from './folds.js'
