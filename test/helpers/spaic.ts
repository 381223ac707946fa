/**
 * SPAIC's default values, written out from ALGORITHMS.md and the golden files' `params` blocks. Tests and
 * references take defaults from here, never from the library: test/defaults.test.ts pins every public
 * default against these numbers, and a changed library default must fail it.
 */

/** §3.4 neuron models; dt 0.1 is SPAIC's backend default. clif's V0 is derived (`spaicClifV0`). */
export const SPAIC_NEURON_DEFAULTS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  lif: { dt: 0.1, tau_m: 8.0, v_th: 1.0, v_reset: 0.0 },
  if: { dt: 0.1, v_th: 1.0, ConstantDecay: 0.0 },
  clif: { dt: 0.1, tau_m: 20.0, tau_p: 12.0, tau_q: 8.0, v_th: 1.0 },
  lifstdp_ex: {
    dt: 0.1,
    v_th: -52.0,
    v_reset: -60.0,
    v_rest: -65.0,
    th_inc: 0.05,
    decay_th: Math.exp(-1 / 1e7),
    decay_v: Math.exp(-1 / 100),
  },
  lifstdp_ih: { dt: 0.1, v_th: -40.0, v_reset: -45.0, v_rest: -60.0, decay_v: Math.exp(-1 / 10) },
  diehlAndCook: {
    dt: 0.1,
    thresh: 213,
    max_threshold: 4915,
    decay: 1013,
    shift_voltage: 10,
    weight_sum_coef: 154,
    shift_weight_sum_coef: 10,
    weight_sum_min: -32767,
    weight_sum_max: 32767,
    v_reset: 0,
    v_rest: 0,
    reset_refrac: 5,
    thresh_plus: 66,
    lbound: -32767,
  },
}

/** clif's V0 = (1/(ρ−1))·ρ^{ρ/(ρ−1)}, ρ = tau_p/tau_q (§3.4): 6.75 for the defaults. */
export function spaicClifV0(tauP: number, tauQ: number): number {
  const rho = tauP / tauQ
  return (1 / (rho - 1)) * rho ** (rho / (rho - 1))
}

/** §2.1: the STCA/STBP learners' alpha kwarg default and each surrogate class's default alpha. */
export const SPAIC_SURROGATE_ALPHA: Readonly<Record<string, number>> = {
  STCA: 0.5,
  STBP: 0.5,
  SigmoidGrad: 1.0,
  AtanGrad: 2.0,
  RectangleGrad: 2.0,
  GateGrad: 2.0,
  QGateGrad: 2.0,
  ReLUGrad: 2.0,
}
