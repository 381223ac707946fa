// cuda/neuron-step.cu - CUDA twin of cpu/neuron-step.cpp; same maths (spaic/math/neuron.h).
//
// Float models: one thread per neuron element walks all time steps with its state in registers. The
// loop bound is rounded up to whole warps so every lane of a warp takes part in the __ballot_sync that
// packs 32 spikes (or mask bits) into one word per step. diehlAndCook: one thread per neuron (its
// threshold is shared by the batch), then a packing kernel. Backward: one thread per element walking
// t = T-1 .. 0; dL/dV0 is summed through per-block partials (cuda/block-sum.cuh).
#include <cstdint>

#include "cuda/block-sum.cuh"
#include "spaic/neuron-step.h"

namespace spaic::cuda {

namespace {

template <bool GE>
constexpr int rule_kind() {
  return GE ? static_cast<int>(Surrogate::ReLU) : kNoSurrogate;
}

// MK: the surrogate whose window bits are saved (a compile-time code), or kNoSurrogate.
template <typename T, NeuronModel M, bool GE, int MK>
__global__ void forward_kernel(NeuronParams p, SurrogateArgs<T> sg, const T* input, NeuronState<T> st,
                               NeuronForwardOut<T> out) {
  const i64 BN = p.batch * p.n, W = bit_words(BN), padded = W * 32;
  const T vth = T(p.v_th), decay = T(p.decay), dp = T(p.decay_p), dq = T(p.decay_q), v0 = T(p.v0);
  const T cdecay = T(p.constant_decay), v_reset = T(p.v_reset), v_rest = T(p.v_rest), th_inc = T(p.th_inc),
          decay_th = T(p.decay_th);
  constexpr int rule = rule_kind<GE>();
  const bool lane0 = (threadIdx.x & 31) == 0;
  SPAIC_GRID_STRIDE(i, padded) {
    const bool active = i < BN;
    T v = T(0), m = T(0), s = T(0), e = T(0), theta = T(0), vtt = T(0);
    if (active) {
      if constexpr (M == NeuronModel::CLIF) {
        m = st.m[i];
        s = st.s[i];
        e = st.e[i];
      } else {
        v = st.v[i];
      }
      if constexpr (M == NeuronModel::LifStdpEx) {
        theta = st.theta[i];
        vtt = st.vth_theta[i];
      }
    }
    const T alpha = MK != kNoSurrogate && active ? sg.alpha_at(i % p.n) : T(0);
    for (i64 t = 0; t < p.steps; ++t) {
      bool o = false, mk = false;
      if (active) {
        const T in = input[t * BN + i];
        T pre = T(0);
        if constexpr (M == NeuronModel::LIF) o = lif_update<T>(v, in, decay, vth, rule, &pre);
        else if constexpr (M == NeuronModel::IF) o = if_update<T>(v, in, cdecay, vth, rule, &pre);
        else if constexpr (M == NeuronModel::CLIF) o = clif_update<T>(m, s, e, in, v0, dp, dq, decay, vth, rule, &pre);
        else if constexpr (M == NeuronModel::LifStdpEx)
          o = lifstdp_ex_update<T>(v, theta, vtt, in, decay, v_rest, decay_th, vth, v_reset, th_inc);
        else o = lifstdp_ih_update<T>(v, in, decay, v_rest, vth, v_reset);
        if (out.spikes) out.spikes[t * BN + i] = o ? T(1) : T(0);
        else if (out.spikes_u8) out.spikes_u8[t * BN + i] = o ? 1 : 0;
        if (out.saved_v) out.saved_v[t * BN + i] = pre;
        if constexpr (MK != kNoSurrogate)
          mk = surrogate_grad<T>(static_cast<Surrogate>(MK), pre - vth, alpha, sg.normalized) != T(0);
      }
      if (out.spike_bits) {
        const unsigned word = __ballot_sync(0xffffffffu, o);
        if (lane0) out.spike_bits[t * W + (i >> 5)] = word;
      }
      if constexpr (MK != kNoSurrogate) {
        const unsigned word = __ballot_sync(0xffffffffu, mk);
        if (lane0) out.saved_mask[t * W + (i >> 5)] = word;
      }
    }
    if (active) {
      if constexpr (M == NeuronModel::CLIF) {
        st.m[i] = m;
        st.s[i] = s;
        st.e[i] = e;
      } else {
        st.v[i] = v;
      }
      if constexpr (M == NeuronModel::LifStdpEx) {
        st.theta[i] = theta;
        st.vth_theta[i] = vtt;
      }
    }
  }
}

template <typename T>
__global__ void diehl_cook_kernel(NeuronParams p, const T* input, NeuronState<T> st, int32_t* spikes) {
  const i64 B = p.batch, N = p.n, BN = B * N;
  const DiehlCookParams dc = p.dc;
  SPAIC_GRID_STRIDE(j, N) {
    int32_t th = st.thresh[j];
    for (i64 t = 0; t < p.steps; ++t) {
      th = dc_thresh_before(th, dc);
      int32_t count = 0;
      for (i64 b = 0; b < B; ++b) {
        const i64 i = b * N + j;
        const bool s = dc_update(st.iv[i], st.refrac[i], th, dc_input<T>(input[t * BN + i], dc), dc);
        spikes[t * BN + i] = s ? 1 : 0;
        count += s ? 1 : 0;
      }
      th += dc.thresh_plus * count;
    }
    st.thresh[j] = th;
  }
}

__global__ void pack_kernel(const int32_t* spikes, uint32_t* bits, i64 steps, i64 BN) {
  const i64 W = bit_words(BN), padded = W * 32;
  SPAIC_GRID_STRIDE(i, padded) {
    for (i64 t = 0; t < steps; ++t) {
      const bool o = i < BN && spikes[t * BN + i] != 0;
      const unsigned word = __ballot_sync(0xffffffffu, o);
      if ((threadIdx.x & 31) == 0) bits[t * W + (i >> 5)] = word;
    }
  }
}

template <typename T, NeuronModel M, bool MASK, int K>
__global__ void backward_kernel(NeuronParams p, SurrogateArgs<T> sg, NeuronBackwardArgs<T> a, double* partials) {
  constexpr Surrogate kind = static_cast<Surrogate>(K);
  const i64 BN = p.batch * p.n, W = bit_words(BN);
  const T vth = T(p.v_th), decay = M == NeuronModel::LIF ? T(p.decay) : T(1);
  const T bm = T(p.decay), bp = T(p.decay_p), bq = T(p.decay_q), v0 = T(p.v0);
  double acc = 0;
  SPAIC_GRID_STRIDE(i, BN) {
    const T alpha = sg.alpha_at(i % p.n);
    const T height = surrogate_height<T>(kind, alpha, sg.normalized);
    T g1 = T(0), g2 = T(0), g3 = T(0);
    for (i64 t = p.steps - 1; t >= 0; --t) {
      const i64 idx = t * BN + i;
      T sgrad;
      if constexpr (MASK) sgrad = bit_at(a.saved_mask + t * W, i) ? height : T(0);
      else sgrad = surrogate_grad<T>(kind, a.saved_v[idx] - vth, alpha, sg.normalized);
      if constexpr (M == NeuronModel::CLIF) {
        const T gi = clif_backward<T>(g1, g2, g3, a.grad_spikes[idx], sgrad, vth, bp, bq, bm);
        a.grad_input[idx] = v0 * gi;
        if (partials) acc += static_cast<double>(a.input[idx] * gi);
      } else {
        a.grad_input[idx] = lif_backward<T>(g1, a.grad_spikes[idx], sgrad, bit_at(a.spike_bits + t * W, i), decay);
      }
    }
  }
  if (partials) {
    acc = block_sum(acc);
    if (threadIdx.x == 0) partials[blockIdx.x] = acc;
  }
}

}  // namespace

template <typename T>
void neuron_forward(const NeuronParams& p, const SurrogateArgs<T>& sg, const T* input, const NeuronState<T>& st,
                    const NeuronForwardOut<T>& out) {
  const i64 BN = p.batch * p.n;
  if (BN == 0 || p.steps == 0) return;
  const i64 padded = bit_words(BN) * 32;
  const bool ge = surrogate_fires_at_zero(sg.kind);
  const unsigned g = grid_for(padded);
  auto run = [&](auto MODEL) {
    constexpr NeuronModel m = decltype(MODEL)::value;
    if (out.saved_mask) {
      // Window surrogates only (the binding checks): the spike rule follows from the kind.
      with_surrogate(sg.kind, [&](auto K) {
        constexpr int k = decltype(K)::value;
        if constexpr (k != kNoSurrogate)
          forward_kernel<T, m, surrogate_fires_at_zero(k), k><<<g, kBlock>>>(p, sg, input, st, out);
      });
    } else if (ge) {
      forward_kernel<T, m, true, kNoSurrogate><<<g, kBlock>>>(p, sg, input, st, out);
    } else {
      forward_kernel<T, m, false, kNoSurrogate><<<g, kBlock>>>(p, sg, input, st, out);
    }
  };
  switch (p.model) {
    case NeuronModel::LIF: run(std::integral_constant<NeuronModel, NeuronModel::LIF>{}); break;
    case NeuronModel::IF: run(std::integral_constant<NeuronModel, NeuronModel::IF>{}); break;
    case NeuronModel::CLIF: run(std::integral_constant<NeuronModel, NeuronModel::CLIF>{}); break;
    case NeuronModel::LifStdpEx:
      forward_kernel<T, NeuronModel::LifStdpEx, false, kNoSurrogate><<<g, kBlock>>>(p, sg, input, st, out);
      break;
    case NeuronModel::LifStdpIh:
      forward_kernel<T, NeuronModel::LifStdpIh, false, kNoSurrogate><<<g, kBlock>>>(p, sg, input, st, out);
      break;
    case NeuronModel::DiehlAndCook:
      diehl_cook_kernel<T><<<grid_for(p.n, 128), 128>>>(p, input, st, out.spikes_i32);
      SPAIC_CUDA_LAUNCHED();
      if (out.spike_bits) pack_kernel<<<g, kBlock>>>(out.spikes_i32, out.spike_bits, p.steps, BN);
      break;
  }
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void neuron_backward(const NeuronParams& p, const SurrogateArgs<T>& sg, const NeuronBackwardArgs<T>& a) {
  const i64 BN = p.batch * p.n;
  SPAIC_CHECK(p.model == NeuronModel::LIF || p.model == NeuronModel::IF || p.model == NeuronModel::CLIF,
              InvalidArgument, "model", "backward through time is defined for lif, if and clif only");
  if (BN == 0 || p.steps == 0) {
    if (a.grad_v0) SPAIC_CUDA_CHECK(cudaMemset(a.grad_v0, 0, sizeof(T)));
    return;
  }
  const bool mask = a.saved_mask != nullptr;
  with_surrogate(sg.kind, [&](auto K) {
    constexpr int k = decltype(K)::value;
    auto run = [&](auto MODEL) {
      constexpr NeuronModel m = decltype(MODEL)::value;
      if (m == NeuronModel::CLIF && a.grad_v0) {
        const unsigned blocks = grid_for(BN) < unsigned(kSumBlocks) ? grid_for(BN) : unsigned(kSumBlocks);
        Partials part(static_cast<int>(blocks));
        if (mask) backward_kernel<T, m, true, k><<<blocks, kBlock>>>(p, sg, a, part.ptr);
        else backward_kernel<T, m, false, k><<<blocks, kBlock>>>(p, sg, a, part.ptr);
        SPAIC_CUDA_LAUNCHED();
        sum_partials_kernel<T><<<1, kBlock>>>(part.ptr, static_cast<int>(blocks), a.grad_v0);
        SPAIC_CUDA_LAUNCHED();
        return;
      }
      if (mask) backward_kernel<T, m, true, k><<<grid_for(BN), kBlock>>>(p, sg, a, nullptr);
      else backward_kernel<T, m, false, k><<<grid_for(BN), kBlock>>>(p, sg, a, nullptr);
      SPAIC_CUDA_LAUNCHED();
    };
    switch (p.model) {
      case NeuronModel::LIF: run(std::integral_constant<NeuronModel, NeuronModel::LIF>{}); break;
      case NeuronModel::IF: run(std::integral_constant<NeuronModel, NeuronModel::IF>{}); break;
      default: run(std::integral_constant<NeuronModel, NeuronModel::CLIF>{}); break;
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

namespace {
__global__ void count_bits_kernel(const uint32_t* words, i64 n, unsigned long long* total) {
  unsigned long long c = 0;
  SPAIC_GRID_STRIDE(i, n) c += static_cast<unsigned long long>(__popc(words[i]));
  for (int o = 16; o > 0; o >>= 1) c += __shfl_down_sync(0xffffffffu, c, o);
  if ((threadIdx.x & 31) == 0 && c) atomicAdd(total, c);
}
}  // namespace

int64_t count_bits(const uint32_t* words, i64 n, void* scratch) {
  if (n == 0) return 0;
  auto* total = static_cast<unsigned long long*>(scratch);
  SPAIC_CUDA_CHECK(cudaMemset(total, 0, sizeof(unsigned long long)));
  count_bits_kernel<<<grid_for(n), kBlock>>>(words, n, total);
  SPAIC_CUDA_LAUNCHED();
  unsigned long long h = 0;
  SPAIC_CUDA_READ_BACK(&h, total, sizeof(h));
  return static_cast<int64_t>(h);
}

}  // namespace spaic::cuda
