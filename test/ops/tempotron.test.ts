/**
 * Tempotron kernels: they run inside the step executor (the Tempotron learner's op), so their CPU == CUDA cases
 * are small step programs, in the tempotron parity table (bench/parity/tempotron.mjs); reference == CPU is in
 * test/api/program-tempotron.test.ts (the rule against test/reference/tempotron.ts).
 */
import { parityTests } from '../helpers/parity.js'

parityTests('tempotron')
