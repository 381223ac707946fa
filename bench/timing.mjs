// The benches' timing routine and ceiling measurement for plain-node scripts (bench/gpu-check.mjs, which runs
// against the compiled package): a re-export of lib/bench/timing.ts as compiled into dist/ (`npm run build`), so
// there is one timing routine. The TypeScript benches import lib/bench/timing.ts directly (bench/harness.ts).
export * from '../dist/bench/timing.js'
