/**
 * Reward kernels: they run inside the step executor (a Reward node's program op), so their CPU == CUDA cases are
 * small step programs, in the reward parity table (bench/parity/reward.mjs); reference == CPU is in
 * test/api/program-conv-reward.test.ts (the reward nodes against test/reference/reward.ts).
 */
import { parityTests } from '../helpers/parity.js'

parityTests('reward')
