// Types of bench/timing.mjs for the TypeScript benches.

export interface Timing {
  /** Milliseconds. */
  median: number
  min: number
  max: number
  runs: number
}

export interface TimeOptions {
  warmup?: number
  minRuns?: number
  maxRuns?: number
  minMs?: number
  /** Runs after every call, inside the timed span (waits for the device). */
  sync?: () => void
}

export declare function summarise(samples: readonly number[]): Timing
export declare function time(fn: () => unknown, opts?: TimeOptions): Promise<Timing>
export declare function copyCeiling(api: any, device: unknown, sync?: () => void): Promise<number>
export declare function gemmCeiling(api: any, device: unknown, sync?: () => void): Promise<number>
