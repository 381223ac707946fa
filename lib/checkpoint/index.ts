/** Checkpoints that resume exactly: save / load a program, its learners' optimizers and schedules, and extra JSON. */
export {
  checkpointState,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  readCheckpoint,
  restoreCheckpoint,
  saveCheckpoint,
} from './checkpoint.js'
export type {
  Checkpoint,
  CheckpointLearner,
  CheckpointOptions,
  CheckpointProgram,
  CheckpointTensor,
  RestoreOptions,
  SaveResult,
} from './checkpoint.js'
export { FORMAT_VERSION as CHECKPOINT_FORMAT_VERSION } from './format.js'
export { programWeights } from './checkpoint.js'
export { decodeSafetensors, encodeSafetensors, readSafetensors, saveSafetensors } from './safetensors.js'
export type { SafeTensor } from './safetensors.js'
