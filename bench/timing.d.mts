// Types of bench/timing.mjs: those of lib/bench/timing.ts, which it re-exports from dist/.
export * from '../lib/bench/timing.js'
