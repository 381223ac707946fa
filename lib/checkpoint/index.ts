/** Checkpoints that resume exactly: save / load a program, its learners' optimizers and schedules, and extra JSON. */
export { checkpointState, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, readCheckpoint, restoreCheckpoint, saveCheckpoint } from './checkpoint.js'
export type { Checkpoint, CheckpointLearner, CheckpointOptions, CheckpointProgram, CheckpointTensor, RestoreOptions, SaveResult } from './checkpoint.js'
export { FORMAT_VERSION as CHECKPOINT_FORMAT_VERSION } from './format.js'
