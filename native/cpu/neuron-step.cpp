// cpu/neuron-step.cpp - fused multi-step neuron forward and backward through time
// (maths: spaic/math/neuron.h; surrogates: spaic/math/surrogate.h).
//
// The float models run independent elements in spans (whole multiples of kChunk, a multiple of 32, so
// every span and chunk owns whole words of the bit-packed outputs and threads never share a word). A
// span walks its time steps in order, each step chunk by chunk: every step reads one long contiguous
// run of each [T, B*N] array (a few streams the hardware prefetchers follow), while the span's state,
// kSpanBytes of it, stays in L2. Each element's arithmetic is the same whatever the
// span: results do not depend on it, nor on the thread count.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "cpu/bits.h"
#include "cpu/parallel.h"
#include "spaic/neuron-step.h"

namespace spaic::cpu {

namespace {

constexpr i64 kChunk = 256;
constexpr i64 kChunkWords = kChunk / 32;
constexpr i64 kSpanBytes = i64(256) << 10;  // a span's state: a quarter of a typical L2

// words[0, nw) = the bits of bytes[0, 32·nw) (bit j of word w: bytes[32w + j] != 0); bytes holds whole
// 64-byte blocks (a chunk's arrays).
inline void pack_words(const uint8_t* bytes, i64 nw, uint32_t* words) {
  for (i64 w = 0; w < nw; w += 2) {
    const uint64_t m = nonzero_mask64(bytes + 32 * w);
    words[w] = static_cast<uint32_t>(m);
    if (w + 1 < nw) words[w + 1] = static_cast<uint32_t>(m >> 32);
  }
}

// bytes[0, 32·nw) = the bits of words[0, nw), 0 or 1 each (whole 64-byte blocks are written).
inline void unpack_words(const uint32_t* words, i64 nw, uint8_t* bytes) {
  for (i64 w = 0; w < nw; w += 2) {
    const uint64_t hi = w + 1 < nw ? words[w + 1] : 0u;
    expand_mask64(static_cast<uint64_t>(words[w]) | hi << 32, bytes + 32 * w);
  }
}

// Elements per span: the span's state (state_bytes per element) within kSpanBytes, a multiple of kChunk,
// and the spans a multiple of the threads (balanced when the work is split among them).
inline i64 span_elems(i64 BN, i64 state_bytes) {
  const i64 span_max = std::max(kChunk, kSpanBytes / std::max<i64>(1, state_bytes) / kChunk * kChunk);
#if defined(_OPENMP)
  const i64 threads = std::max(1, omp_get_max_threads());
#else
  const i64 threads = 1;
#endif
  const i64 spans = ceil_div(std::max(ceil_div(BN, span_max), threads), threads) * threads;
  return std::max(kChunk, ceil_div(ceil_div(BN, spans), kChunk) * kChunk);
}

// The surrogate's alpha of elements [i0, i0 + len) (neuron index i mod n).
template <typename T>
inline void load_alpha(const SurrogateArgs<T>& sg, i64 i0, i64 len, i64 n, T* out) {
  if (!sg.alpha_per_neuron) {
    std::fill(out, out + len, sg.alpha);
    return;
  }
  for (i64 k = 0, j = i0 % n; k < len; j = 0) {
    const i64 run = std::min(len - k, n - j);
    std::copy(sg.alpha_per_neuron + j, sg.alpha_per_neuron + j + run, out + k);
    k += run;
  }
}

// The spike rule as a compile-time constant: '>=' (GE) or '>'.
template <bool GE>
constexpr int rule_kind() {
  return GE ? static_cast<int>(Surrogate::ReLU) : kNoSurrogate;
}

// MK: the surrogate whose window bits are saved (a compile-time code), or kNoSurrogate.
template <typename T, NeuronModel M, bool GE, int MK>
void forward_float(const NeuronParams& p, const SurrogateArgs<T>& sg, const T* input, const NeuronState<T>& st,
                   const NeuronForwardOut<T>& out) {
  const i64 BN = p.batch * p.n, W = bit_words(BN);
  const T vth = T(p.v_th), decay = T(p.decay), dp = T(p.decay_p), dq = T(p.decay_q), v0 = T(p.v0);
  const T cdecay = T(p.constant_decay), v_reset = T(p.v_reset), v_rest = T(p.v_rest), th_inc = T(p.th_inc),
          decay_th = T(p.decay_th);
  constexpr int rule = rule_kind<GE>();
  constexpr i64 kStates = (M == NeuronModel::CLIF || M == NeuronModel::LifStdpEx) ? 3 : 1;
  const i64 span = span_elems(BN, kStates * sizeof(T)), spans = ceil_div(BN, span);
  parallel_for(spans, BN * p.steps, [&](i64 c) {
    const i64 s0 = c * span, s1 = std::min(BN, s0 + span);
    for (i64 t = 0; t < p.steps; ++t) {
      for (i64 i0 = s0; i0 < s1; i0 += kChunk) {
        const i64 len = std::min(s1, i0 + kChunk) - i0;
        const i64 w0 = i0 / 32, nw = std::min(W - w0, kChunkWords);
        // The chunk's state in local arrays (no aliasing with the inputs and outputs: the loops vectorise).
        T v[kChunk], m[kChunk], s[kChunk], e[kChunk], theta[kChunk], vtt[kChunk], alpha[kChunk], pre[kChunk];
        uint8_t ob[kChunk], mb[kChunk];
        for (i64 k = 0; k < len; ++k) {
          const i64 i = i0 + k;
          if constexpr (M == NeuronModel::CLIF) {
            m[k] = st.m[i];
            s[k] = st.s[i];
            e[k] = st.e[i];
          } else {
            v[k] = st.v[i];
          }
          if constexpr (M == NeuronModel::LifStdpEx) {
            theta[k] = st.theta[i];
            vtt[k] = st.vth_theta[i];
          }
        }
        if constexpr (MK != kNoSurrogate) load_alpha(sg, i0, len, p.n, alpha);
        for (i64 k = len; k < kChunk; ++k) ob[k] = mb[k] = 0;
        const T* SPAIC_RESTRICT in = input + t * BN + i0;
        for (i64 k = 0; k < len; ++k) {
          bool o;
          if constexpr (M == NeuronModel::LIF) o = lif_update<T>(v[k], in[k], decay, vth, rule, &pre[k]);
          else if constexpr (M == NeuronModel::IF) o = if_update<T>(v[k], in[k], cdecay, vth, rule, &pre[k]);
          else if constexpr (M == NeuronModel::CLIF)
            o = clif_update<T>(m[k], s[k], e[k], in[k], v0, dp, dq, decay, vth, rule, &pre[k]);
          else if constexpr (M == NeuronModel::LifStdpEx)
            o = lifstdp_ex_update<T>(v[k], theta[k], vtt[k], in[k], decay, v_rest, decay_th, vth, v_reset, th_inc);
          else o = lifstdp_ih_update<T>(v[k], in[k], decay, v_rest, vth, v_reset);
          ob[k] = o ? 1 : 0;
          if constexpr (MK != kNoSurrogate)
            mb[k] = surrogate_grad<T>(static_cast<Surrogate>(MK), pre[k] - vth, alpha[k], sg.normalized) != T(0);
        }
        if (out.spikes) {
          T* SPAIC_RESTRICT sp = out.spikes + t * BN + i0;
          for (i64 k = 0; k < len; ++k) sp[k] = T(ob[k]);
        } else if (out.spikes_u8) {
          std::copy(ob, ob + len, out.spikes_u8 + t * BN + i0);
        }
        if (out.saved_v) std::copy(pre, pre + len, out.saved_v + t * BN + i0);
        if (out.spike_bits) pack_words(ob, nw, out.spike_bits + t * W + w0);
        if constexpr (MK != kNoSurrogate) pack_words(mb, nw, out.saved_mask + t * W + w0);
        for (i64 k = 0; k < len; ++k) {
          const i64 i = i0 + k;
          if constexpr (M == NeuronModel::CLIF) {
            st.m[i] = m[k];
            st.s[i] = s[k];
            st.e[i] = e[k];
          } else {
            st.v[i] = v[k];
          }
          if constexpr (M == NeuronModel::LifStdpEx) {
            st.theta[i] = theta[k];
            st.vth_theta[i] = vtt[k];
          }
        }
      }
    }
  });
}

void pack_bits(const int32_t* spikes, uint32_t* bits, i64 steps, i64 BN) {
  const i64 W = bit_words(BN);
  parallel_for(steps * W, steps * BN, [&](i64 r) {
    const i64 t = r / W, w = r % W;
    const int32_t* s = spikes + t * BN;
    uint32_t word = 0;
    for (i64 i = w * 32, e = std::min(BN, w * 32 + 32); i < e; ++i)
      word |= static_cast<uint32_t>(s[i] != 0) << (i & 31);
    bits[r] = word;
  });
}

template <typename T>
void forward_diehl_cook(const NeuronParams& p, const T* input, const NeuronState<T>& st,
                        const NeuronForwardOut<T>& out) {
  const i64 B = p.batch, N = p.n, BN = B * N;
  const DiehlCookParams dc = p.dc;
  // thresh is shared by the batch rows of a neuron: one neuron (all rows, all steps) per iteration.
  parallel_for(N, BN * p.steps, [&](i64 j) {
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
  });
  if (out.spike_bits) pack_bits(out.spikes_i32, out.spike_bits, p.steps, BN);
}

template <typename T, NeuronModel M, bool MASK, int K>
void backward_impl(const NeuronParams& p, const SurrogateArgs<T>& sg, const NeuronBackwardArgs<T>& a) {
  constexpr Surrogate kind = static_cast<Surrogate>(K);
  constexpr int kAdjoints = M == NeuronModel::CLIF ? 3 : 1;
  const i64 BN = p.batch * p.n, W = bit_words(BN);
  const i64 span = span_elems(BN, kAdjoints * sizeof(T)), spans = ceil_div(BN, span);
  const T vth = T(p.v_th), decay = M == NeuronModel::LIF ? T(p.decay) : T(1);
  const T bm = T(p.decay), bp = T(p.decay_p), bq = T(p.decay_q), v0 = T(p.v0);
  const bool norm = sg.normalized;
  double gv0 = 0;
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) reduction(+ : gv0) if (BN * p.steps > kSerialBelow)
#endif
  for (i64 c = 0; c < spans; ++c) {
    const i64 s0 = c * span, s1 = std::min(BN, s0 + span);
    // Adjoints of the state carried backwards through time, for the whole span: lif/if dL/dV; clif dL/dM,
    // dL/dS, dL/dE.
    std::vector<T> adj(static_cast<std::size_t>(kAdjoints * (s1 - s0)), T(0));
    for (i64 t = p.steps - 1; t >= 0; --t) {
      for (i64 i0 = s0; i0 < s1; i0 += kChunk) {
        const i64 len = std::min(s1, i0 + kChunk) - i0;
        const i64 base = t * BN + i0;
        T g1[kChunk], g2[kChunk], g3[kChunk], alpha[kChunk], height[kChunk];
        T* ga = adj.data() + (i0 - s0);
        const i64 stride = s1 - s0;
        std::copy(ga, ga + len, g1);
        if constexpr (M == NeuronModel::CLIF) {
          std::copy(ga + stride, ga + stride + len, g2);
          std::copy(ga + 2 * stride, ga + 2 * stride + len, g3);
        }
        load_alpha(sg, i0, len, p.n, alpha);
        if constexpr (MASK)
          for (i64 k = 0; k < len; ++k) height[k] = surrogate_height<T>(kind, alpha[k], norm);
        // Unpack this step's bits of the chunk first (1 byte each), so the maths loop vectorises.
        uint8_t ob[kChunk], mb[kChunk];
        const i64 nw = ceil_div(len, 32);
        // clif's reset is differentiated: no spike mask needed
        if constexpr (M != NeuronModel::CLIF) unpack_words(a.spike_bits + t * W + i0 / 32, nw, ob);
        if constexpr (MASK) unpack_words(a.saved_mask + t * W + i0 / 32, nw, mb);
        const T* SPAIC_RESTRICT go = a.grad_spikes + base;
        T* SPAIC_RESTRICT gi_out = a.grad_input + base;
        if constexpr (M == NeuronModel::CLIF) {
          T gis[kChunk];
          for (i64 k = 0; k < len; ++k) {
            const T sgrad =
                MASK ? (mb[k] ? height[k] : T(0)) : surrogate_grad<T>(kind, a.saved_v[base + k] - vth, alpha[k], norm);
            gis[k] = clif_backward<T>(g1[k], g2[k], g3[k], go[k], sgrad, vth, bp, bq, bm);
            gi_out[k] = v0 * gis[k];
          }
          if (a.grad_v0) {
            const T* SPAIC_RESTRICT in = a.input + base;
            for (i64 k = 0; k < len; ++k) gv0 += static_cast<double>(in[k] * gis[k]);
          }
        } else {
          for (i64 k = 0; k < len; ++k) {
            const T sgrad =
                MASK ? (mb[k] ? height[k] : T(0)) : surrogate_grad<T>(kind, a.saved_v[base + k] - vth, alpha[k], norm);
            gi_out[k] = lif_backward<T>(g1[k], go[k], sgrad, ob[k] != 0, decay);
          }
        }
        std::copy(g1, g1 + len, ga);
        if constexpr (M == NeuronModel::CLIF) {
          std::copy(g2, g2 + len, ga + stride);
          std::copy(g3, g3 + len, ga + 2 * stride);
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
    case NeuronModel::LifStdpEx:
      forward_float<T, NeuronModel::LifStdpEx, false, kNoSurrogate>(p, sg, input, st, out);
      break;
    case NeuronModel::LifStdpIh:
      forward_float<T, NeuronModel::LifStdpIh, false, kNoSurrogate>(p, sg, input, st, out);
      break;
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

template void neuron_forward<float>(const NeuronParams&, const SurrogateArgs<float>&, const float*,
                                    const NeuronState<float>&, const NeuronForwardOut<float>&);
template void neuron_forward<double>(const NeuronParams&, const SurrogateArgs<double>&, const double*,
                                     const NeuronState<double>&, const NeuronForwardOut<double>&);
template void neuron_backward<float>(const NeuronParams&, const SurrogateArgs<float>&,
                                     const NeuronBackwardArgs<float>&);
template void neuron_backward<double>(const NeuronParams&, const SurrogateArgs<double>&,
                                      const NeuronBackwardArgs<double>&);

int64_t count_bits(const uint32_t* words, i64 n, void*) {
  int64_t c = 0;
  SPAIC_PRAGMA(omp parallel for reduction(+ : c) if (n > kSerialBelow))
  for (i64 i = 0; i < n; ++i) c += __builtin_popcount(words[i]);
  return c;
}

}  // namespace spaic::cpu
