// Types of the parity tables (bench/parity/*.mjs) for the TypeScript tests that read them.

/** EXACT (0), a legacy relative bound t (rtol t, atol t·1e-6), { rtol, atol }, { ulp }, or one per named output. */
export type PlainTol = number | { rtol: number; atol: number } | { ulp: number }
export type Tol = PlainTol | Record<string, PlainTol>

export type Outputs = ArrayLike<number> | Record<string, ArrayLike<number>>

export interface Side {
  run(): unknown
  out(): Outputs
  dispose?(): void
}

/** Makes a tensor on the row's device from a host array, freed with the side. */
export interface TensorMaker {
  (data: ArrayLike<number>, shape?: number[], dtype?: string): any
  keep<X>(t: X): X
  keepAll<X extends object>(o: X): X
}

export declare class Rand {
  constructor(seed: number)
  next(): number
  uniform(n: number, lo?: number, hi?: number, dtype?: string): any
  ints(n: number, lo: number, hi: number, dtype?: string): any
  spikes(n: number, p: number, dtype?: string): any
  dyadic(n: number, lo: number, hi: number, dtype?: string, bits?: number): any
}

export interface Row {
  readonly name: string
  /** Seeds the Rand that `inputs` draws from. */
  readonly seed: number
  readonly inputs?: (r: Rand) => any
  readonly tol: Tol
  /** Builds the row's side on `device` through `api` (the library's exports). */
  readonly make: (api: any, device: string, host: any, T: TensorMaker) => Side | Promise<Side>
}

export interface Table {
  readonly family: string
  readonly rows: readonly Row[]
}

export interface Comparison {
  ok: boolean
  /** max |a-b|/(1e-6+|b|) over every output. */
  err: number
  /** The first mismatch, or ''. */
  note: string
}

export declare const TABLES: readonly Table[]
export declare function tableOf(family: string): Table
export declare function compare(test: Outputs, cpu: Outputs, tol: Tol): Comparison
export declare function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>, tol: PlainTol): number
export declare function ulpDistance(a: number, b: number, arr: ArrayLike<number>): number
export declare function drawInputs(row: Row): any
export declare function makeSide(api: any, row: Row, device: string, host: any): Promise<Required<Side>>
export declare function sidesOf(api: any, row: Row): (device: string) => Promise<Required<Side>>
export declare function smokeRow(api: any, row: Row, device?: string): Promise<Comparison>
export declare function runRow(api: any, row: Row, device: string, opts?: { sync?: () => void }): Promise<Comparison>
/** What `api` has that no row covers (ops, surrogates, trace kinds, optimizers, reward codings, neuron models). */
export declare function missingCases(api: any): string[]
