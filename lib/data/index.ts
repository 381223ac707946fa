/** Datasets: MNIST (IDX, raw or gz), the built-in synthetic digits, splitting (80/20, k folds) and seeded batches. */
export { readMnist } from './mnist.js'
export type { MnistData, MnistOptions, MnistSet } from './mnist.js'
export { readIdx, parseIdx } from './idx.js'
export type { IdxArray } from './idx.js'
export { batches, checkDataset, DEFAULT_FOLDS, foldSplit, split, subset } from './dataset.js'
export type { Batch, BatchOptions, Dataset, Fold, FoldOptions } from './dataset.js'
export { syntheticDigits, SYNTH_COLS, SYNTH_ROWS } from './synthetic.js'
export type { SyntheticOptions } from './synthetic.js'
