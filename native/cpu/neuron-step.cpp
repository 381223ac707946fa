// cpu/neuron-step.cpp - fused multi-step neuron forward and backward through time
// (maths: spaic/math/neuron.h; surrogates: spaic/math/surrogate.h).
//
// The float models run independent elements in chunks of kChunk (a multiple of 32, so every chunk
// owns whole words of the bit-packed outputs and threads never share a word), walking all time steps
// of a chunk before the next: the chunk's state stays in L1.
#include <algorithm>
#include <cstdint>

#include "cpu/parallel.h"
#include "spaic/neuron-step.h"

namespace spaic::cpu {

namespace {

constexpr i64 kChunk = 256;
constexpr i64 kChunkWords = kChunk / 32;

#if defined(_OPENMP)
#define SPAIC_OMP_CHUNKS(work) SPAIC_PRAGMA(omp parallel for schedule(static) if ((work) > ::spaic::cpu::kSerialBelow))
#else
#define SPAIC_OMP_CHUNKS(work)
#endif

// The spike rule as a compile-time constant: '>=' (GE) or '>'.
template <bool GE>
constexpr int rule_kind() { return GE ? static_cast<int>(Surrogate::ReLU) : kNoSurrogate; }

// MK: the surrogate whose window bits are saved (a compile-time code), or kNoSurrogate.
template <typename T, NeuronModel M, bool GE, int MK>
void forward_float(const NeuronParams& p, const SurrogateArgs<T>& sg, const T* input, const NeuronState<T>& st,
                   const NeuronForwardOut<T>& out) {
  const i64 BN = p.batch * p.n, W = bit_words(BN), chunks = ceil_div(BN, kChunk);
  const T vth = T(p.v_th), decay = T(p.decay), dp = T(p.decay_p), dq = T(p.decay_q), v0 = T(p.v0);
  const T cdecay = T(p.constant_decay), v_reset = T(p.v_reset), v_rest = T(p.v_rest), th_inc = T(p.th_inc),
          decay_th = T(p.decay_th);
  constexpr int rule = rule_kind<GE>();
  SPAIC_OMP_CHUNKS(BN * p.steps)
  for (i64 c = 0; c < chunks; ++c) {
    const i64 i0 = c * kChunk, i1 = std::min(BN, i0 + kChunk);
    const i64 w0 = c * kChunkWords;
    T alpha[kChunk];
    if constexpr (MK != kNoSurrogate) {
      for (i64 i = i0; i < i1; ++i) alpha[i - i0] = sg.alpha_at(i % p.n);
    }
    for (i64 t = 0; t < p.steps; ++t) {
      const T* in = input + t * BN;
      T* sp = out.spikes + t * BN;
      uint32_t bits[kChunkWords] = {}, mask[kChunkWords] = {};
      for (i64 i = i0; i < i1; ++i) {
        T pre = T(0);
        bool o = false;
        if constexpr (M == NeuronModel::LIF) o = lif_update<T>(st.v[i], in[i], decay, vth, rule, &pre);
        else if constexpr (M == NeuronModel::IF) o = if_update<T>(st.v[i], in[i], cdecay, vth, rule, &pre);
        else if constexpr (M == NeuronModel::CLIF) o = clif_update<T>(st.m[i], st.s[i], st.e[i], in[i], v0, dp, dq, decay, vth, rule, &pre);
        else if constexpr (M == NeuronModel::LifStdpEx) o = lifstdp_ex_update<T>(st.v[i], st.theta[i], st.vth_theta[i], in[i], decay, v_rest, decay_th, vth, v_reset, th_inc);
        else o = lifstdp_ih_update<T>(st.v[i], in[i], decay, v_rest, vth, v_reset);
        sp[i] = o ? T(1) : T(0);
        const i64 k = i - i0;
        bits[k >> 5] |= static_cast<uint32_t>(o) << (k & 31);
        if (out.saved_v) out.saved_v[t * BN + i] = pre;
        if constexpr (MK != kNoSurrogate) {
          const T g = surrogate_grad<T>(static_cast<Surrogate>(MK), pre - vth, alpha[k], sg.normalized);
          mask[k >> 5] |= static_cast<uint32_t>(g != T(0)) << (k & 31);
        }
      }
      const i64 nw = std::min(W - w0, kChunkWords);
      if (out.spike_bits) std::copy(bits, bits + nw, out.spike_bits + t * W + w0);
      if constexpr (MK != kNoSurrogate) std::copy(mask, mask + nw, out.saved_mask + t * W + w0);
    }
  }
}

void pack_bits(const int32_t* spikes, uint32_t* bits, i64 steps, i64 BN) {
  const i64 W = bit_words(BN);
  SPAIC_OMP_FOR(steps * BN)
  for (i64 r = 0; r < steps * W; ++r) {
    const i64 t = r / W, w = r % W;
    const int32_t* s = spikes + t * BN;
    uint32_t word = 0;
    for (i64 i = w * 32, e = std::min(BN, w * 32 + 32); i < e; ++i) word |= static_cast<uint32_t>(s[i] != 0) << (i & 31);
    bits[r] = word;
  }
}

template <typename T>
void forward_diehl_cook(const NeuronParams& p, const T* input, const NeuronState<T>& st, const NeuronForwardOut<T>& out) {
  const i64 B = p.batch, N = p.n, BN = B * N;
  const DiehlCookParams dc = p.dc;
  // thresh is shared by the batch rows of a neuron: one neuron (all rows, all steps) per iteration.
  SPAIC_OMP_FOR(BN * p.steps)
  for (i64 j = 0; j < N; ++j) {
    int32_t th = st.thresh[j];
    for (i64 t = 0; t < p.steps; ++t) {
      th = dc_thresh_before(th, dc);
      int32_t count = 0;
      for (i64 b = 0; b < B; ++b) {
        const i64 i = b * N + j;
        const bool s = dc_update(st.iv[i], st.refrac[i], th, dc_input<T>(input[t * BN + i], dc), dc);
        out.spikes_i32[t * BN + i] = s ? 1 : 0;
        count += s ? 1 : 0;
      }
      th += dc.thresh_plus * count;
    }
    st.thresh[j] = th;
  }
  if (out.spike_bits) pack_bits(out.spikes_i32, out.spike_bits, p.steps, BN);
}

template <typename T, NeuronModel M, bool MASK, int K>
void backward_impl(const NeuronParams& p, const SurrogateArgs<T>& sg, const NeuronBackwardArgs<T>& a) {
  constexpr Surrogate kind = static_cast<Surrogate>(K);
  const i64 BN = p.batch * p.n, W = bit_words(BN), chunks = ceil_div(BN, kChunk);
  const T vth = T(p.v_th), decay = M == NeuronModel::LIF ? T(p.decay) : T(1);
  const T bm = T(p.decay), bp = T(p.decay_p), bq = T(p.decay_q), v0 = T(p.v0);
  const bool norm = sg.normalized;
  double gv0 = 0;
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) reduction(+ : gv0) if (BN * p.steps > kSerialBelow)
#endif
  for (i64 c = 0; c < chunks; ++c) {
    const i64 i0 = c * kChunk, len = std::min(BN, i0 + kChunk) - i0;
    // Adjoints of the state carried backwards through time: lif/if dL/dV; clif dL/dM, dL/dS, dL/dE.
    T g1[kChunk] = {}, g2[kChunk] = {}, g3[kChunk] = {}, alpha[kChunk], height[kChunk];
    for (i64 k = 0; k < len; ++k) {
      alpha[k] = sg.alpha_at((i0 + k) % p.n);
      height[k] = surrogate_height<T>(kind, alpha[k], norm);
    }
    for (i64 t = p.steps - 1; t >= 0; --t) {
      const i64 base = t * BN + i0;
      const uint32_t* sb = a.spike_bits + t * W;
      const uint32_t* mb = MASK ? a.saved_mask + t * W : nullptr;
      for (i64 k = 0; k < len; ++k) {
        const i64 i = i0 + k;
        T sgrad;
        if constexpr (MASK) sgrad = bit_at(mb, i) ? height[k] : T(0);
        else sgrad = surrogate_grad<T>(kind, a.saved_v[base + k] - vth, alpha[k], norm);
        if constexpr (M == NeuronModel::CLIF) {
          const T gi = clif_backward<T>(g1[k], g2[k], g3[k], a.grad_spikes[base + k], sgrad, vth, bp, bq, bm);
          a.grad_input[base + k] = v0 * gi;
          if (a.grad_v0) gv0 += static_cast<double>(a.input[base + k] * gi);
        } else {
          a.grad_input[base + k] = lif_backward<T>(g1[k], a.grad_spikes[base + k], sgrad, bit_at(sb, i), decay);
        }
      }
    }
  }
  if (a.grad_v0) a.grad_v0[0] = static_cast<T>(gv0);
}

}  // namespace

template <typename T>
void neuron_forward(const NeuronParams& p, const SurrogateArgs<T>& sg, const T* input, const NeuronState<T>& st,
                    const NeuronForwardOut<T>& out) {
  if (p.batch * p.n == 0 || p.steps == 0) return;
  const bool ge = surrogate_fires_at_zero(sg.kind);
  auto run = [&](auto MODEL) {
    constexpr NeuronModel m = decltype(MODEL)::value;
    if (out.saved_mask) {
      // Window surrogates only (the binding checks): the spike rule follows from the kind.
      with_surrogate(sg.kind, [&](auto K) {
        constexpr int k = decltype(K)::value;
        if constexpr (k != kNoSurrogate) forward_float<T, m, surrogate_fires_at_zero(k), k>(p, sg, input, st, out);
      });
    } else if (ge) {
      forward_float<T, m, true, kNoSurrogate>(p, sg, input, st, out);
    } else {
      forward_float<T, m, false, kNoSurrogate>(p, sg, input, st, out);
    }
  };
  switch (p.model) {
    case NeuronModel::LIF: run(std::integral_constant<NeuronModel, NeuronModel::LIF>{}); break;
    case NeuronModel::IF: run(std::integral_constant<NeuronModel, NeuronModel::IF>{}); break;
    case NeuronModel::CLIF: run(std::integral_constant<NeuronModel, NeuronModel::CLIF>{}); break;
    case NeuronModel::LifStdpEx: forward_float<T, NeuronModel::LifStdpEx, false, kNoSurrogate>(p, sg, input, st, out); break;
    case NeuronModel::LifStdpIh: forward_float<T, NeuronModel::LifStdpIh, false, kNoSurrogate>(p, sg, input, st, out); break;
    case NeuronModel::DiehlAndCook: forward_diehl_cook<T>(p, input, st, out); break;
  }
}

template <typename T>
void neuron_backward(const NeuronParams& p, const SurrogateArgs<T>& sg, const NeuronBackwardArgs<T>& a) {
  if (p.batch * p.n == 0 || p.steps == 0) {
    if (a.grad_v0) a.grad_v0[0] = T(0);
    return;
  }
  const bool mask = a.saved_mask != nullptr;
  with_surrogate(sg.kind, [&](auto K) {
    constexpr int k = decltype(K)::value;
    auto run = [&](auto MODEL) {
      constexpr NeuronModel m = decltype(MODEL)::value;
      if (mask) backward_impl<T, m, true, k>(p, sg, a);
      else backward_impl<T, m, false, k>(p, sg, a);
    };
    switch (p.model) {
      case NeuronModel::LIF: run(std::integral_constant<NeuronModel, NeuronModel::LIF>{}); break;
      case NeuronModel::IF: run(std::integral_constant<NeuronModel, NeuronModel::IF>{}); break;
      case NeuronModel::CLIF: run(std::integral_constant<NeuronModel, NeuronModel::CLIF>{}); break;
      default: SPAIC_FAIL(InvalidArgument, "model", "backward through time is defined for lif, if and clif only");
    }
  });
}

template void neuron_forward<float>(const NeuronParams&, const SurrogateArgs<float>&, const float*, const NeuronState<float>&, const NeuronForwardOut<float>&);
template void neuron_forward<double>(const NeuronParams&, const SurrogateArgs<double>&, const double*, const NeuronState<double>&, const NeuronForwardOut<double>&);
template void neuron_backward<float>(const NeuronParams&, const SurrogateArgs<float>&, const NeuronBackwardArgs<float>&);
template void neuron_backward<double>(const NeuronParams&, const SurrogateArgs<double>&, const NeuronBackwardArgs<double>&);

}  // namespace spaic::cpu
