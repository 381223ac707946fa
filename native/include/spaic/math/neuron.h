// spaic/math/neuron.h - one time step of SPAIC's neuron models (ALGORITHMS.md §3.4), forward and
// backward through time, per element. Included by cpu/neuron-step.cpp and cuda/neuron-step.cu.
//
// Every float model is written in the element type T in SPAIC's order of operations, so float32 runs
// reproduce SPAIC's float32 numbers. The spike comparison is the installed surrogate's (see
// spaic/math/surrogate.h): '>' for the plain threshold and most surrogates, '>=' for SigmoidGrad,
// ReLUGrad and the straight-through estimator.
#pragma once

#include <cstdint>

#include "spaic/common.h"
#include "spaic/math/surrogate.h"

namespace spaic {

// Codes shared with lib/ops/neuron-step.ts (NEURON_MODELS, in this order).
enum class NeuronModel : int { LIF = 0, IF = 1, CLIF = 2, DiehlAndCook = 3, LifStdpEx = 4, LifStdpIh = 5 };
constexpr int kNeuronModelCount = 6;

// ---- forward, float models. Each returns the spike and writes the pre-spike membrane to *pre
// (the value the threshold compared: lif/if Vtemp, clif V).

// lif: Vtemp = decay*V + I; O = Vtemp > Vth; V = Vtemp*(O == 0)  (reset to 0; the mask is not differentiated)
template <typename T>
SPAIC_HD bool lif_update(T& v, T input, T decay, T vth, int sg, T* pre) {
  const T vt = decay * v + input;
  const bool o = surrogate_fires(sg, vt, vth);
  v = vt * (o ? T(0) : T(1));
  *pre = vt;
  return o;
}

// if: Vtemp = V + I - ConstantDecay; O = Vtemp > Vth; V = Vtemp*(O == 0)
template <typename T>
SPAIC_HD bool if_update(T& v, T input, T constant_decay, T vth, int sg, T* pre) {
  const T vt = v + input - constant_decay;
  const bool o = surrogate_fires(sg, vt, vth);
  v = vt * (o ? T(0) : T(1));
  *pre = vt;
  return o;
}

// clif: I = V0*Isyn; M = bP*M + I; S = bQ*S + I; V = (M - S) - E; O = V > Vth; E = bM*E + Vth*O
template <typename T>
SPAIC_HD bool clif_update(T& m, T& s, T& e, T input, T v0, T bp, T bq, T bm, T vth, int sg, T* pre) {
  const T i = v0 * input;
  m = bp * m + i;
  s = bq * s + i;
  const T v = (m - s) - e;
  const bool o = surrogate_fires(sg, v, vth);
  e = bm * e + vth * (o ? T(1) : T(0));
  *pre = v;
  return o;
}

// lifstdp_ex (Diehl & Cook excitatory): the threshold reads the previous step's Vth_theta.
//   Vtemp = decay_v*(V - v_rest) + v_rest + I; theta' = decay_th*theta; O = Vtemp > Vth_theta(prev);
//   Vth_theta = v_th + theta'; V = O ? v_reset : Vtemp; theta = theta' + th_inc*O
template <typename T>
SPAIC_HD bool lifstdp_ex_update(T& v, T& theta, T& vth_theta, T input, T decay_v, T v_rest, T decay_th, T v_th,
                                T v_reset, T th_inc) {
  const T vt = decay_v * (v - v_rest) + v_rest + input;
  const T th = decay_th * theta;
  const bool o = vt > vth_theta;
  vth_theta = v_th + th;
  v = o ? v_reset : vt;
  theta = th + th_inc * (o ? T(1) : T(0));
  return o;
}

// lifstdp_ih (inhibitory): Vtemp = decay_v*(V - v_rest) + v_rest + I; O = Vtemp > v_th; V = O ? v_reset : Vtemp
template <typename T>
SPAIC_HD bool lifstdp_ih_update(T& v, T input, T decay_v, T v_rest, T v_th, T v_reset) {
  const T vt = decay_v * (v - v_rest) + v_rest + input;
  const bool o = vt > v_th;
  v = o ? v_reset : vt;
  return o;
}

// ---- diehlAndCook (integer neuron of postpreintstdp). `thresh` is one value per neuron, shared by the
// batch: it is halved before the step when above max_threshold and grows by thresh_plus per spike of
// any batch row after it.
struct DiehlCookParams {
  int32_t max_threshold = 4915;
  int32_t decay = 1013, shift_voltage = 10;
  int32_t weight_sum_coef = 154, shift_weight_sum_coef = 10;
  int32_t weight_sum_min = -32767, weight_sum_max = 32767;
  int32_t v_reset = 0, v_rest = 0;
  int32_t reset_refrac = 5;
  int32_t thresh_plus = 66;
  int32_t lbound = -32767;
};

// x = clamp(int(Isyn), weight_sum_min, weight_sum_max); int() truncates toward zero.
template <typename T>
SPAIC_HD int32_t dc_input(T isyn, const DiehlCookParams& p) {
  if (!(isyn < T(p.weight_sum_max)))
    return isyn != isyn ? p.weight_sum_min : p.weight_sum_max;  // NaN: INT_MIN, clamped
  if (!(isyn > T(p.weight_sum_min))) return p.weight_sum_min;
  return static_cast<int32_t>(isyn);
}

SPAIC_HD int32_t dc_thresh_before(int32_t thresh, const DiehlCookParams& p) {
  return thresh > p.max_threshold ? (thresh >> 1) : thresh;
}

// Steps 3-7 and 9 for one batch row; returns the spike.
SPAIC_HD bool dc_update(int32_t& v, int32_t& refrac, int32_t thresh, int32_t x, const DiehlCookParams& p) {
  v = ((p.decay * (v - p.v_rest)) >> p.shift_voltage) + p.v_rest;
  if (refrac <= 0) v += (x * p.weight_sum_coef) >> p.shift_weight_sum_coef;
  refrac -= 1;
  const bool s = v > thresh;
  if (s) {
    refrac = p.reset_refrac;
    v = p.v_reset;
  }
  if (v < p.lbound) v = p.lbound;
  return s;
}

// ---- backward through time (lif, if, clif), one step, walking t = T-1 .. 0. `sgrad` is the surrogate's
// dO/dx at that step, `o` its spike.

// lif / if (decay = 1): gv is dL/dV_t on entry and dL/dV_{t-1} on return. Returns dL/dI_t (= dL/dVtemp_t).
// The reset mask is not differentiated: V_t = Vtemp_t*(O_t == 0) passes gv only where there was no spike.
template <typename T>
SPAIC_HD T lif_backward(T& gv, T go, T sgrad, bool o, T decay) {
  const T g = go * sgrad + gv * (o ? T(0) : T(1));
  gv = decay * g;
  return g;
}

// clif: am, as, ae are dL/dM_{t}, dL/dS_{t} (seen from step t+1, already multiplied in below) and dL/dE_t.
// The subtractive reset E = bM*E + Vth*O is differentiated through O. Returns dL/dI'_t where I' = V0*Isyn.
template <typename T>
SPAIC_HD T clif_backward(T& am, T& as, T& ae, T go, T sgrad, T vth, T bp, T bq, T bm) {
  const T g_o = go + vth * ae;
  const T gv = g_o * sgrad;
  am = gv + bp * am;
  as = -gv + bq * as;
  ae = -gv + bm * ae;
  return am + as;
}

// Bit-packed spikes and masks: bit j of word w holds flat element 32*w + j of one time step.
SPAIC_HD i64 bit_words(i64 elems) { return (elems + 31) / 32; }
SPAIC_HD bool bit_at(const uint32_t* row, i64 i) { return (row[i >> 5] >> (i & 31)) & 1u; }

}  // namespace spaic
