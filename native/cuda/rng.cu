// cuda/rng.cu - CUDA twin of cpu/rng.cpp; same maths (spaic/math/rng.h), so the same (seed, offset)
// gives bit-identical numbers. Each thread produces kPer consecutive elements through one Philox cursor.
#include <cstdint>

#include "cuda/common.cuh"
#include "spaic/rng.h"

namespace spaic::cuda {

namespace {

constexpr int kPer = 4;

#define SPAIC_RNG_LOOP(n)                  \
  const i64 groups_ = ceil_div((n), kPer); \
  SPAIC_GRID_STRIDE(g_, groups_)           \
    for (i64 e = g_ * kPer, end_ = e + kPer < (n) ? e + kPer : (n); e < end_; ++e)

__global__ void uniform_kernel(RngState s, float* out, i64 n) {
  PhiloxCursor cur(s.seed);
  SPAIC_RNG_LOOP(n) out[e] = word_to_uniform(cur(s.offset + e));
}

__global__ void bits_kernel(RngState s, int bits, std::int32_t* out, i64 n) {
  PhiloxCursor cur(s.seed);
  SPAIC_RNG_LOOP(n) out[e] = word_to_bits(cur(s.offset + e), bits);
}

__global__ void normal_kernel(RngState s, float mean, float std, float* out, i64 n) {
  PhiloxCursor cur(s.seed);
  SPAIC_RNG_LOOP(n) {
    const std::uint64_t w = s.offset + 2 * static_cast<std::uint64_t>(e);
    const std::uint32_t w1 = cur(w);
    const std::uint32_t w2 = cur(w + 1);
    out[e] = scale_normal(words_to_normal(w1, w2), mean, std);
  }
}

// One thread per element draws its T frames (dense elements) or walks its spike train gap by gap
// (spaic/math/rng.h); the frames were cleared before, so only the spikes are written. kind 0: Poisson,
// 1: Bernoulli.
template <typename O>
__global__ void train_kernel(RngState s, EncodeParams p, int kind, const float* x, const float* x_max, O* out) {
  const i64 n = p.n, T = p.steps;
  SPAIC_GRID_STRIDE(e, n) {
    const float pe = kind == 0 ? poisson_probability(x[e], p.unit_conversion, p.dt)
                               : bernoulli_probability(x[e], p.max_prob, *x_max);
    if (!(pe > 0.0f)) continue;
    if (pe >= kFrameDrawFrom) {  // one draw per frame
      PhiloxCursor cur(s.seed);
      for (i64 t = 0; t < T; ++t)
        if (frame_fires(cur(s.offset + static_cast<std::uint64_t>(t * n + e)), pe)) out[t * n + e] = O(1);
      continue;
    }
    const double lq = gap_log_q(pe);
    i64 t = spike_gap(philox_word(s.seed, s.offset + static_cast<std::uint64_t>(e)), lq);
    for (i64 j = 1; t < T; ++j) {
      out[t * n + e] = O(1);
      if (t + 1 >= T) break;
      t = t + 1 + spike_gap(philox_word(s.seed, s.offset + static_cast<std::uint64_t>(j * n + e)), lq);
    }
  }
}

#undef SPAIC_RNG_LOOP

unsigned grid_groups(i64 n) { return grid_for(ceil_div(n, kPer)); }

}  // namespace

void rng_uniform(RngState s, float* out, i64 n) {
  if (n == 0) return;
  uniform_kernel<<<grid_groups(n), kBlock>>>(s, out, n);
  SPAIC_CUDA_LAUNCHED();
}

void rng_bits(RngState s, int bits, std::int32_t* out, i64 n) {
  if (n == 0) return;
  bits_kernel<<<grid_groups(n), kBlock>>>(s, bits, out, n);
  SPAIC_CUDA_LAUNCHED();
}

void rng_normal(RngState s, float mean, float std, float* out, i64 n) {
  if (n == 0) return;
  normal_kernel<<<grid_groups(n), kBlock>>>(s, mean, std, out, n);
  SPAIC_CUDA_LAUNCHED();
}

template <typename O>
void encode_trains(RngState s, const EncodeParams& p, int kind, const float* x, const float* x_max, O* out) {
  const i64 total = p.n * p.steps;
  if (total == 0) return;
  SPAIC_CUDA_CHECK(cudaMemsetAsync(out, 0, static_cast<std::size_t>(total) * sizeof(O)));
  train_kernel<O><<<grid_for(p.n), kBlock>>>(s, p, kind, x, x_max, out);
  SPAIC_CUDA_LAUNCHED();
}

template <typename O>
void encode_poisson(RngState s, const EncodeParams& p, const float* x, O* out) {
  encode_trains<O>(s, p, 0, x, nullptr, out);
}

template <typename O>
void encode_bernoulli(RngState s, const EncodeParams& p, const float* x, const float* x_max, O* out) {
  encode_trains<O>(s, p, 1, x, x_max, out);
}

template void encode_poisson<float>(RngState, const EncodeParams&, const float*, float*);
template void encode_poisson<std::uint8_t>(RngState, const EncodeParams&, const float*, std::uint8_t*);
template void encode_bernoulli<float>(RngState, const EncodeParams&, const float*, const float*, float*);
template void encode_bernoulli<std::uint8_t>(RngState, const EncodeParams&, const float*, const float*, std::uint8_t*);

}  // namespace spaic::cuda
