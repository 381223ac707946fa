// spaic/neuron-step.h - kernel API of the fused neuron steps (maths: spaic/math/neuron.h).
//
// A feed-forward layer runs all `steps` time steps at once from a precomputed input current
// input[steps, batch, n]. The state arrays are read as the state before the first step and hold the
// state after the last one, so a caller that wants state to persist passes the same arrays again.
// One step (steps = 1) is the single-step version used by recurrent and lateral networks.
//
// What the forward pass saves for backward (ALGORITHMS.md §2.1, BPTT):
//   spike_bits  [steps, bit_words(batch*n)] uint32: 1 bit per spike (the reset mask of lif/if);
//   and either  saved_v [steps, batch, n] T: the pre-spike membrane the threshold compared
//               (lif/if Vtemp, clif V), enough for any surrogate,
//   or          saved_mask [steps, bit_words(batch*n)] uint32: 1 bit "dO/dx != 0" for surrogates whose
//               derivative is a constant inside a window (STCA, RectangleGrad, GateGrad, ReLUGrad,
//               straight-through); backward then multiplies by the window height.
// Nothing is recomputed: the membrane is 4 bytes per element and step (float32), the mask 1 bit.
// CPU pointers for spaic::cpu, device pointers for spaic::cuda; same signatures.
#pragma once

#include <cstdint>

#include "spaic/common.h"
#include "spaic/error.h"
#include "spaic/math/neuron.h"
#include "spaic/math/surrogate.h"

namespace spaic {

struct NeuronParams {
  NeuronModel model = NeuronModel::LIF;
  i64 steps = 1, batch = 1, n = 1;
  // lif: decay = exp(-dt/tau_m). clif: decay = beta_M, decay_p = beta_P, decay_q = beta_Q, v0.
  // lifstdp_ex/ih: decay = decay_v (per step), decay_th (ex). if: constant_decay.
  double v_th = 1.0;
  double decay = 1.0, decay_p = 1.0, decay_q = 1.0, v0 = 1.0;
  double constant_decay = 0.0;
  double v_reset = 0.0, v_rest = 0.0, th_inc = 0.0, decay_th = 1.0;
  DiehlCookParams dc;
};

// State arrays, by model (each [batch, n] unless noted; unused ones null):
//   lif, if, lifstdp_ih: v.   clif: m, s, e.   lifstdp_ex: v, theta, vth_theta.
//   diehlAndCook: iv, refrac ([batch, n] int32) and thresh ([n] int32).
template <typename T>
struct NeuronState {
  T* v = nullptr;
  T* m = nullptr;
  T* s = nullptr;
  T* e = nullptr;
  T* theta = nullptr;
  T* vth_theta = nullptr;
  int32_t* iv = nullptr;
  int32_t* refrac = nullptr;
  int32_t* thresh = nullptr;
};

// Forward outputs. spikes (float models) or spikes_i32 (diehlAndCook) is required; the rest may be null.
// saved_v and saved_mask are for lif, if and clif only; saved_mask needs a binary surrogate in `sg`.
template <typename T>
struct NeuronForwardOut {
  T* spikes = nullptr;             // [steps, batch, n] 0/1
  uint8_t* spikes_u8 = nullptr;    // [steps, batch, n] 0/1, instead of `spikes` (lif/if/clif/lifstdp_*)
  int32_t* spikes_i32 = nullptr;   // [steps, batch, n] 0/1 (diehlAndCook)
  uint32_t* spike_bits = nullptr;  // [steps, bit_words(batch*n)]
  T* saved_v = nullptr;            // [steps, batch, n]
  uint32_t* saved_mask = nullptr;  // [steps, bit_words(batch*n)]
};

// Backward inputs and outputs (lif, if, clif). grad_spikes is dL/dO[steps, batch, n]; exactly one of
// saved_v / saved_mask is given, as the forward saved it. grad_input receives dL/dI[steps, batch, n]
// (I = the input current). clif only: when grad_v0 is given it receives dL/dV0 summed over every
// element (V0 is a parameter in SPAIC), which needs `input` (the forward's input current).
template <typename T>
struct NeuronBackwardArgs {
  const T* grad_spikes = nullptr;
  const uint32_t* spike_bits = nullptr;
  const T* saved_v = nullptr;
  const uint32_t* saved_mask = nullptr;
  const T* input = nullptr;
  T* grad_input = nullptr;
  T* grad_v0 = nullptr;  // [1]
};

#define SPAIC_DECLARE_NEURON_OPS                                                                                      \
  template <typename T>                                                                                               \
  void neuron_forward(const NeuronParams& p, const SurrogateArgs<T>& sg, const T* input, const NeuronState<T>& state, \
                      const NeuronForwardOut<T>& out);                                                                \
  template <typename T>                                                                                               \
  void neuron_backward(const NeuronParams& p, const SurrogateArgs<T>& sg, const NeuronBackwardArgs<T>& a);            \
  /* The number of set bits of words[0..n) (spike bits: how many spikes a forward produced); CUDA adds */             \
  /* into `scratch` (8 device bytes), the CPU ignores it. */                                                          \
  int64_t count_bits(const uint32_t* words, i64 n, void* scratch);

namespace cpu {
SPAIC_DECLARE_NEURON_OPS
}  // namespace cpu
namespace cuda {
SPAIC_DECLARE_NEURON_OPS
}  // namespace cuda

#undef SPAIC_DECLARE_NEURON_OPS

}  // namespace spaic
