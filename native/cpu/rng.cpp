// cpu/rng.cpp - Philox draws and spike encoders on the CPU. The maths is spaic/math/rng.h, shared
// with cuda/rng.cu; here only the loop. Elements are cut into fixed chunks shared among the OpenMP
// threads; each chunk first fills a buffer with its stream words (independent Philox blocks in a
// plain loop, which the compiler vectorises), then transforms them. Chunking never changes a value.
#include <cstdint>


#include "cpu/parallel.h"
#include "spaic/rng.h"

namespace spaic::cpu {

namespace {

constexpr i64 kChunk = 4096;                  // elements per chunk
constexpr i64 kChunkBlocks = kChunk / 2 + 2;  // Philox blocks a chunk may touch (normals read 2 words each)  // Philox blocks a chunk may touch (normals read 2 words each)

// Fills blk with the blocks covering words [w0, w0 + m); returns the words, starting at word w0.
// Computes the Philox blocks covering words [w0, w0+m) into `blk`: eight blocks at a time in 64-bit
// vector lanes (each holding one 32-bit word), so the 32x32->64 multiplies of a round map to SIMD
// multiplies. The arithmetic is philox4x32_10's in spaic/math/rng.h, which the CUDA kernels call.
typedef std::uint64_t v8u64 __attribute__((vector_size(64)));

// lo32(a) * m for a 32-bit m (exact in 64 bits).
inline v8u64 mul_lo32(v8u64 a, std::uint32_t m) { return (a & 0xffffffffull) * static_cast<std::uint64_t>(m); }

const std::uint32_t* fill_words(std::uint64_t seed, std::uint64_t w0, i64 m, Philox4* blk) {
  const std::uint64_t b0 = w0 >> 2;
  const i64 nb = static_cast<i64>(((w0 + static_cast<std::uint64_t>(m) - 1) >> 2) - b0 + 1);
  constexpr int L = 8;
  const v8u64 lo32 = {0xffffffffull, 0xffffffffull, 0xffffffffull, 0xffffffffull,
                      0xffffffffull, 0xffffffffull, 0xffffffffull, 0xffffffffull};
  for (i64 k = 0; k < nb; k += L) {
    v8u64 c0, c1, c2 = {}, c3 = {};
    for (int l = 0; l < L; ++l) {
      const std::uint64_t b = b0 + static_cast<std::uint64_t>(k + l);  // counter {lo32(b), hi32(b), 0, 0}
      c0[l] = b & 0xffffffffull;
      c1[l] = b >> 32;
    }
    std::uint64_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
    for (int r = 0; r < 10; ++r) {
      if (r > 0) {
        k0 = (k0 + kPhiloxW0) & 0xffffffffull;
        k1 = (k1 + kPhiloxW1) & 0xffffffffull;
      }
      const v8u64 p0 = mul_lo32(c0, kPhiloxM0);  // 32x32 -> 64 bits
      const v8u64 p1 = mul_lo32(c2, kPhiloxM1);
      c0 = (p1 >> 32) ^ c1 ^ k0;
      c2 = (p0 >> 32) ^ c3 ^ k1;
      c1 = p1 & lo32;
      c3 = p0 & lo32;
    }
    const i64 e = nb - k < L ? nb - k : L;
    for (int l = 0; l < e; ++l)
      blk[k + l] = Philox4{{static_cast<std::uint32_t>(c0[l]), static_cast<std::uint32_t>(c1[l]),
                            static_cast<std::uint32_t>(c2[l]), static_cast<std::uint32_t>(c3[l])}};
  }
  return &blk[0].v[0] + (w0 & 3u);
}

template <typename F>
void for_each_chunk(RngState s, i64 n, int wpe, F&& f) {
  const i64 chunks = ceil_div(n, kChunk);
  SPAIC_OMP_FOR(n * 4)
  for (i64 c = 0; c < chunks; ++c) {
    Philox4 blk[kChunkBlocks];
    const i64 e0 = c * kChunk;
    const i64 m = e0 + kChunk < n ? kChunk : n - e0;
    f(fill_words(s.seed, s.offset + static_cast<std::uint64_t>(e0) * wpe, m * wpe, blk), e0, m);
  }
}

// Encoders: frame-major [steps, n]; element e reads word offset + e and x[e mod n].
template <typename O, typename Fire>
void encode(RngState s, const EncodeParams& p, const float* x, O* out, Fire fire) {
  for_each_chunk(s, p.n * p.steps, 1, [&](const std::uint32_t* w, i64 e0, i64 m) {
    i64 i = e0 % p.n;
    for (i64 k = 0; k < m; ++k) {
      out[e0 + k] = fire(word_to_uniform(w[k]), x[i]) ? O(1) : O(0);
      if (++i == p.n) i = 0;
    }
  });
}

}  // namespace

void rng_uniform(RngState s, float* out, i64 n) {
  for_each_chunk(s, n, 1, [&](const std::uint32_t* w, i64 e0, i64 m) {
    for (i64 k = 0; k < m; ++k) out[e0 + k] = word_to_uniform(w[k]);
  });
}

void rng_bits(RngState s, int bits, std::int32_t* out, i64 n) {
  for_each_chunk(s, n, 1, [&](const std::uint32_t* w, i64 e0, i64 m) {
    for (i64 k = 0; k < m; ++k) out[e0 + k] = word_to_bits(w[k], bits);
  });
}

void rng_normal(RngState s, float mean, float std, float* out, i64 n) {
  for_each_chunk(s, n, 2, [&](const std::uint32_t* w, i64 e0, i64 m) {
    for (i64 k = 0; k < m; ++k) out[e0 + k] = scale_normal(words_to_normal(w[2 * k], w[2 * k + 1]), mean, std);
  });
}

template <typename O>
void encode_poisson(RngState s, const EncodeParams& p, const float* x, O* out) {
  if (p.n == 0) return;
  encode<O>(s, p, x, out, [&](float u, float xi) { return poisson_fires(u, xi, p.unit_conversion, p.dt); });
}

template <typename O>
void encode_bernoulli(RngState s, const EncodeParams& p, const float* x, const float* x_max, O* out) {
  if (p.n == 0) return;
  const float norm = *x_max;
  encode<O>(s, p, x, out, [&](float u, float xi) { return bernoulli_fires(u, xi, p.max_prob, norm); });
}

template void encode_poisson<float>(RngState, const EncodeParams&, const float*, float*);
template void encode_poisson<std::uint8_t>(RngState, const EncodeParams&, const float*, std::uint8_t*);
template void encode_bernoulli<float>(RngState, const EncodeParams&, const float*, const float*, float*);
template void encode_bernoulli<std::uint8_t>(RngState, const EncodeParams&, const float*, const float*, std::uint8_t*);

}  // namespace spaic::cpu
