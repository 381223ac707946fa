// spaic/rng.h - kernel API of the counter-based RNG (Philox4x32-10) and the spike encoders built on it.
//
// Every entry point takes the generator state as (seed, offset): element i of a call reads the stream
// from word offset + i*words_per_element (see math/rng.h), so the CPU and CUDA results are identical and
// independent of the thread layout. The caller advances its offset by `rng_words(kind, n)` after a call.
#pragma once

#include <cstdint>

#include "spaic/common.h"
#include "spaic/math/rng.h"

namespace spaic {

struct RngState {
  std::uint64_t seed = 0;
  std::uint64_t offset = 0;  // in 32-bit words
};

enum class RngDraw : int { Uniform = 0, Bits = 1, Normal = 2 };

// Words a draw of n elements consumes (uniform and bits: 1 per element, normal: 2).
inline std::uint64_t rng_words(RngDraw kind, i64 n) {
  return static_cast<std::uint64_t>(n) * (kind == RngDraw::Normal ? 2u : 1u);
}

// Spike encoders over T frames of an input x of n elements: out[t, i] for t < steps, frame t reading
// the words offset + t*n + i. Poisson: u <= x*unit_conversion*dt. Bernoulli: u < max_prob*x/norm with
// norm = max(x) when max(x) > 1 (read from `x_max`, a one-element array on the same device, so the
// GPU path needs no host round trip), else 1.
struct EncodeParams {
  i64 n = 0;                                // elements of one frame (B * N)
  i64 steps = 1;                            // T frames
  float unit_conversion = 1.0f, dt = 1.0f;  // poisson
  float max_prob = 1.0f;                    // bernoulli
};

#define SPAIC_DECLARE_RNG_OPS                                                     \
  void rng_uniform(RngState s, float* out, i64 n);                                \
  void rng_bits(RngState s, int bits, std::int32_t* out, i64 n);                  \
  void rng_normal(RngState s, float mean, float std, float* out, i64 n);          \
  template <typename O>                                                           \
  void encode_poisson(RngState s, const EncodeParams& p, const float* x, O* out); \
  template <typename O>                                                           \
  void encode_bernoulli(RngState s, const EncodeParams& p, const float* x, const float* x_max, O* out);

namespace cpu {
SPAIC_DECLARE_RNG_OPS
}  // namespace cpu

namespace cuda {
SPAIC_DECLARE_RNG_OPS
}  // namespace cuda

#undef SPAIC_DECLARE_RNG_OPS

}  // namespace spaic
