// cpu/rng.cpp - Philox draws and spike encoders on the CPU. The maths is spaic/math/rng.h, shared
// with cuda/rng.cu; here only the loop: elements are cut into fixed chunks (one Philox cursor each) and
// the chunks shared among the OpenMP threads. Chunking never changes a value, only who computes it.
#include <cstdint>

#include "cpu/parallel.h"
#include "spaic/rng.h"

namespace spaic::cpu {

namespace {

constexpr i64 kChunk = 4096;

// Calls f(cursor, e) for e in [0, n), chunked and parallel.
template <typename F>
void for_each_chunked(std::uint64_t seed, i64 n, F&& f) {
  const i64 chunks = ceil_div(n, kChunk);
  SPAIC_OMP_FOR(n)
  for (i64 c = 0; c < chunks; ++c) {
    PhiloxCursor cur(seed);
    const i64 end = (c + 1) * kChunk < n ? (c + 1) * kChunk : n;
    for (i64 e = c * kChunk; e < end; ++e) f(cur, e);
  }
}

}  // namespace

void rng_uniform(RngState s, float* out, i64 n) {
  for_each_chunked(s.seed, n, [&](PhiloxCursor& cur, i64 e) { out[e] = word_to_uniform(cur(s.offset + e)); });
}

void rng_bits(RngState s, int bits, std::int32_t* out, i64 n) {
  for_each_chunked(s.seed, n, [&](PhiloxCursor& cur, i64 e) { out[e] = word_to_bits(cur(s.offset + e), bits); });
}

void rng_normal(RngState s, float mean, float std, float* out, i64 n) {
  for_each_chunked(s.seed, n, [&](PhiloxCursor& cur, i64 e) {
    const std::uint64_t w = s.offset + 2 * static_cast<std::uint64_t>(e);
    const std::uint32_t w1 = cur(w);
    const std::uint32_t w2 = cur(w + 1);
    out[e] = scale_normal(words_to_normal(w1, w2), mean, std);
  });
}

template <typename O>
void encode_poisson(RngState s, const EncodeParams& p, const float* x, O* out) {
  const i64 total = p.n * p.steps;
  for_each_chunked(s.seed, total, [&](PhiloxCursor& cur, i64 e) {
    const float u = word_to_uniform(cur(s.offset + e));
    out[e] = poisson_fires(u, x[e % p.n], p.unit_conversion, p.dt) ? O(1) : O(0);
  });
}

template <typename O>
void encode_bernoulli(RngState s, const EncodeParams& p, const float* x, const float* x_max, O* out) {
  const i64 total = p.n * p.steps;
  const float norm = p.n > 0 ? *x_max : 1.0f;
  for_each_chunked(s.seed, total, [&](PhiloxCursor& cur, i64 e) {
    const float u = word_to_uniform(cur(s.offset + e));
    out[e] = bernoulli_fires(u, x[e % p.n], p.max_prob, norm) ? O(1) : O(0);
  });
}

template void encode_poisson<float>(RngState, const EncodeParams&, const float*, float*);
template void encode_poisson<std::uint8_t>(RngState, const EncodeParams&, const float*, std::uint8_t*);
template void encode_bernoulli<float>(RngState, const EncodeParams&, const float*, const float*, float*);
template void encode_bernoulli<std::uint8_t>(RngState, const EncodeParams&, const float*, const float*, std::uint8_t*);

}  // namespace spaic::cpu
