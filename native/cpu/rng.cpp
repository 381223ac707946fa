// cpu/rng.cpp - Philox draws and spike encoders on the CPU. The maths is spaic/math/rng.h, shared
// with cuda/rng.cu; here only the loop. Elements are cut into fixed chunks shared among the OpenMP
// threads; each chunk first fills a buffer with its stream words (independent Philox blocks in a
// plain loop, which the compiler vectorises), then transforms them. Chunking never changes a value.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "cpu/parallel.h"
#include "spaic/rng.h"

namespace spaic::cpu {

namespace {

constexpr i64 kChunk = 4096;  // elements per chunk
constexpr i64 kChunkBlocks =
    kChunk / 2 + 8;  // Philox blocks a chunk may touch (normals read 2 words each), plus a vector pass

// Philox blocks are computed eight at a time in 64-bit
// vector lanes (each holding one 32-bit word), so the 32x32->64 multiplies of a round map to SIMD
// multiplies. The arithmetic is philox4x32_10's in spaic/math/rng.h, which the CUDA kernels call.
typedef std::uint64_t v8u64 __attribute__((vector_size(64)));

// lo32(a) * m for a 32-bit m (exact in 64 bits).
inline v8u64 mul_lo32(v8u64 a, std::uint32_t m) { return (a & 0xffffffffull) * static_cast<std::uint64_t>(m); }

// Philox blocks for eight counters at a time (block b's counter is {lo32(b), hi32(b), 0, 0}); writes
// the first `e` of them to out.
inline void philox8(std::uint64_t seed, const std::uint64_t (&b)[8], int e, Philox4* out) {
  constexpr int L = 8;
  const v8u64 lo32 = {0xffffffffull, 0xffffffffull, 0xffffffffull, 0xffffffffull,
                      0xffffffffull, 0xffffffffull, 0xffffffffull, 0xffffffffull};
  v8u64 c0, c1, c2 = {}, c3 = {};
  for (int l = 0; l < L; ++l) {
    c0[l] = b[l] & 0xffffffffull;
    c1[l] = b[l] >> 32;
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
  for (int l = 0; l < e; ++l)
    out[l] = Philox4{{static_cast<std::uint32_t>(c0[l]), static_cast<std::uint32_t>(c1[l]),
                      static_cast<std::uint32_t>(c2[l]), static_cast<std::uint32_t>(c3[l])}};
}

// Computes the Philox blocks covering words [w0, w0+m) into `blk`; returns the words, starting at word w0.
const std::uint32_t* fill_words(std::uint64_t seed, std::uint64_t w0, i64 m, Philox4* blk) {
  const std::uint64_t b0 = w0 >> 2;
  const i64 nb = static_cast<i64>(((w0 + static_cast<std::uint64_t>(m) - 1) >> 2) - b0 + 1);
  for (i64 k = 0; k < nb; k += 8) {
    std::uint64_t b[8];
    for (int l = 0; l < 8; ++l) b[l] = b0 + static_cast<std::uint64_t>(k + l);
    philox8(seed, b, static_cast<int>(nb - k < 8 ? nb - k : 8), blk + k);
  }
  return &blk[0].v[0] + (w0 & 3u);
}

template <typename F>
void for_each_chunk(RngState s, i64 n, int wpe, F&& f) {
  const i64 chunks = ceil_div(n, kChunk);
  parallel_for(chunks, n * 4, [&](i64 c) {
    Philox4 blk[kChunkBlocks];
    const i64 e0 = c * kChunk;
    const i64 m = e0 + kChunk < n ? kChunk : n - e0;
    f(fill_words(s.seed, s.offset + static_cast<std::uint64_t>(e0) * wpe, m * wpe, blk), e0, m);
  });
}

// Encoders: frames [steps, n] of independent Bernoulli(prob(x[e])) spikes (spaic/math/rng.h): elements
// with p >= kFrameDrawFrom draw every frame, sparser ones gap by gap. Each thread owns a contiguous range
// of elements and walks the frames in order: it clears its part of a frame, draws the frame of its dense
// elements (the Philox blocks of their span, computed once), and sets the trains whose next spike falls
// there (kept in per-frame lists), so the output is written once, sequentially. The trains' scattered
// draws are computed eight Philox blocks at a time.
template <typename O, typename Prob>
void encode_trains(RngState s, const EncodeParams& p, const float* x, O* out, Prob prob) {
  const i64 n = p.n, T = p.steps;
  if (n == 0 || T == 0) return;
  OmpTrap trap;  // the per-thread lists grow with the data: an allocation failure must not escape the region
  parallel_region(n * T > kSerialBelow, [&] {
    trap.run([&] {
#if defined(_OPENMP)
      const i64 nt = omp_get_num_threads(), tid = omp_get_thread_num();
#else
      const i64 nt = 1, tid = 0;
#endif
      const i64 per = ceil_div(n, nt);
      const i64 e0 = std::min(n, tid * per), e1 = std::min(n, e0 + per);
      struct Train {
        i64 e;
        i64 drawn;     // gaps drawn so far
        double log_q;  // log(1 - p)
      };
      std::vector<i64> dense;  // elements drawn every frame (ascending)
      std::vector<float> dense_p;
      std::vector<Train> trains;
      // bucket[t]: the trains whose next spike is in frame t (arrays, so a frame's trains load in parallel)
      std::vector<std::vector<std::int32_t>> bucket(static_cast<std::size_t>(T));
      auto file = [&](std::int32_t k, i64 t) {
        if (t < T) bucket[static_cast<std::size_t>(t)].push_back(k);
      };
      std::vector<std::uint64_t> word_at;
      std::vector<Philox4> blocks, span;
      // Philox words for word_at[0..m): blocks[q] holds word q's block.
      auto draw_words = [&](std::size_t m) {
        blocks.resize(m + 8);
        for (std::size_t q = 0; q < m; q += 8) {
          std::uint64_t b[8];
          for (std::size_t l = 0; l < 8; ++l) b[l] = word_at[q + l < m ? q + l : m - 1] >> 2;
          philox8(s.seed, b, static_cast<int>(m - q < 8 ? m - q : 8), blocks.data() + q);
        }
      };
      auto word = [&](std::size_t q) { return blocks[q].v[word_at[q] & 3u]; };
      word_at.clear();
      for (i64 e = e0; e < e1; ++e) {
        const float pe = prob(x[e]);
        if (!(pe > 0.0f)) continue;
        if (pe >= kFrameDrawFrom) {
          dense.push_back(e);
          dense_p.push_back(pe);
          continue;
        }
        const double lq = gap_log_q(pe);
        if (!(lq < 0.0)) continue;  // p so small that 1 - p rounds to 1: it never fires
        trains.push_back({e, 1, lq});
        word_at.push_back(s.offset + static_cast<std::uint64_t>(e));
      }
      draw_words(trains.size());
      for (std::size_t k = 0; k < trains.size(); ++k)
        file(static_cast<std::int32_t>(k), spike_gap(word(k), trains[k].log_q));
      std::vector<std::int32_t> due;
      std::vector<std::int64_t> gaps;
      for (i64 t = 0; t < T; ++t) {
        O* frame = out + t * n;
        std::fill(frame + e0, frame + e1, O(0));
        const std::uint64_t base = s.offset + static_cast<std::uint64_t>(t * n);
        if (!dense.empty()) {  // the words of the span of dense elements, consecutive blocks computed once
          const i64 lo = dense.front(), m = dense.back() + 1 - lo;
          span.resize(static_cast<std::size_t>(m / 4 + 10));
          const std::uint32_t* w = fill_words(s.seed, base + static_cast<std::uint64_t>(lo), m, span.data());
          for (std::size_t q = 0; q < dense.size(); ++q)
            if (frame_fires(w[dense[q] - lo], dense_p[q])) frame[dense[q]] = O(1);
        }
        // the trains due now: set their spikes, then draw and file their next gaps together
        due.swap(bucket[static_cast<std::size_t>(t)]);
        for (const std::int32_t k : due) frame[trains[static_cast<std::size_t>(k)].e] = O(1);
        if (t + 1 < T) {
          const std::size_t m = due.size();
          word_at.resize(m);
          gaps.resize(m);
          for (std::size_t q = 0; q < m; ++q) {
            const Train& tr = trains[static_cast<std::size_t>(due[q])];
            word_at[q] = s.offset + static_cast<std::uint64_t>(tr.drawn * n + tr.e);
          }
          draw_words(m);
          for (std::size_t q = 0; q < m; ++q)
            gaps[q] = spike_gap(word(q), trains[static_cast<std::size_t>(due[q])].log_q);
          for (std::size_t q = 0; q < m; ++q) {
            ++trains[static_cast<std::size_t>(due[q])].drawn;
            file(due[q], t + 1 + gaps[q]);
          }
        }
        due.clear();
      }
    });
  });
  trap.rethrow();
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
  encode_trains<O>(s, p, x, out, [&](float xi) { return poisson_probability(xi, p.unit_conversion, p.dt); });
}

template <typename O>
void encode_bernoulli(RngState s, const EncodeParams& p, const float* x, const float* x_max, O* out) {
  if (p.n == 0) return;
  const float norm = *x_max;
  encode_trains<O>(s, p, x, out, [&](float xi) { return bernoulli_probability(xi, p.max_prob, norm); });
}

template void encode_poisson<float>(RngState, const EncodeParams&, const float*, float*);
template void encode_poisson<std::uint8_t>(RngState, const EncodeParams&, const float*, std::uint8_t*);
template void encode_bernoulli<float>(RngState, const EncodeParams&, const float*, const float*, float*);
template void encode_bernoulli<std::uint8_t>(RngState, const EncodeParams&, const float*, const float*, std::uint8_t*);

}  // namespace spaic::cpu
