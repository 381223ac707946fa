// spaic/math/rng.h - the Philox4x32-10 counter-based generator and the per-element draws built on it.
// Included by cpu/rng.cpp and cuda/rng.cu: one copy of the maths, so a (seed, offset) pair gives the
// same numbers on every backend and for every thread layout.
//
// The stream. A generator is a key (the 64-bit seed) and a position (the offset) in an endless stream of
// 32-bit words. Word w is lane (w mod 4) of philox4x32_10(counter = {lo32(w/4), hi32(w/4), 0, 0}, key).
// A draw of n elements at offset o gives element i the word(s) starting at o + i*words_per_element, so
// the result never depends on how the work is split, and consecutive calls continue the stream.
//
// Every transcendental below (log, cos for Box-Muller) is written with IEEE-exact operations only
// (+, *, /, sqrt, fma, scaling by powers of two), so the CPU and a GPU produce bit-identical results.
#pragma once

#include <cstdint>
#include <cstring>

#include "spaic/common.h"

#if !defined(__CUDACC__)
#include <cmath>
#endif

namespace spaic {

struct Philox4 {
  std::uint32_t v[4];
};

constexpr std::uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;
constexpr std::uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;

SPAIC_HD void philox_mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t* hi, std::uint32_t* lo) {
  const std::uint64_t p = static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b);
  *hi = static_cast<std::uint32_t>(p >> 32);
  *lo = static_cast<std::uint32_t>(p);
}

// Philox4x32 with 10 rounds (Salmon et al., SC'11): the key is bumped by the Weyl constants between rounds.
SPAIC_HD Philox4 philox4x32_10(Philox4 c, std::uint32_t k0, std::uint32_t k1) {
  for (int r = 0; r < 10; ++r) {
    if (r > 0) {
      k0 += kPhiloxW0;
      k1 += kPhiloxW1;
    }
    std::uint32_t hi0, lo0, hi1, lo1;
    philox_mulhilo(kPhiloxM0, c.v[0], &hi0, &lo0);
    philox_mulhilo(kPhiloxM1, c.v[2], &hi1, &lo1);
    Philox4 n;
    n.v[0] = hi1 ^ c.v[1] ^ k0;
    n.v[1] = lo1;
    n.v[2] = hi0 ^ c.v[3] ^ k1;
    n.v[3] = lo0;
    c = n;
  }
  return c;
}

// The four words of block `block` (words 4*block .. 4*block+3) of the stream keyed by `seed`.
SPAIC_HD Philox4 philox_block(std::uint64_t seed, std::uint64_t block) {
  Philox4 c;
  c.v[0] = static_cast<std::uint32_t>(block);
  c.v[1] = static_cast<std::uint32_t>(block >> 32);
  c.v[2] = 0u;
  c.v[3] = 0u;
  return philox4x32_10(c, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
}

// Word `w` of the stream (computes a whole block; loops that need consecutive words use philox_block).
SPAIC_HD std::uint32_t philox_word(std::uint64_t seed, std::uint64_t w) { return philox_block(seed, w >> 2).v[w & 3u]; }

// Reads consecutive (or nearby) words, computing each Philox block once.
struct PhiloxCursor {
  std::uint64_t seed;
  std::uint64_t block;
  Philox4 words;
  SPAIC_HD explicit PhiloxCursor(std::uint64_t s) : seed(s), block(~0ull), words{{0u, 0u, 0u, 0u}} {}
  SPAIC_HD std::uint32_t operator()(std::uint64_t w) {
    if ((w >> 2) != block) {
      block = w >> 2;
      words = philox_block(seed, block);
    }
    return words.v[w & 3u];
  }
};

// ---- per-word transforms

// Uniform float32 in [0, 1): the top 24 bits scaled by 2^-24 (every value exact, 1 never produced).
SPAIC_HD float word_to_uniform(std::uint32_t w) { return static_cast<float>(w >> 8) * 5.9604644775390625e-8f; }

// Uniform integer in [0, 2^bits) from the top `bits` bits, 0 <= bits <= 31.
SPAIC_HD std::int32_t word_to_bits(std::uint32_t w, int bits) {
  return bits == 0 ? 0 : static_cast<std::int32_t>(w >> (32 - bits));
}

// ---- IEEE-exact log and cos (double), for Box-Muller

// Natural log of x in (0, 1]: x = m * 2^e with m in [sqrt(1/2), sqrt(2)), log x = e*ln2 + 2*atanh(s),
// s = (m-1)/(m+1), |s| <= 0.1716, atanh by its odd series to 1e-17 relative. Only +, *, /, fma.
SPAIC_HD double exact_log_unit(double x) {
  // Exact range reduction on the bits (x is a normal double here, x >= 2^-32): x = f·2^E, f in [1, 2);
  // m = f (e = E), or f/2 (e = E + 1) when f >= sqrt(2), so m is in [sqrt(1/2), sqrt(2)). Branch-free,
  // so loops over many draws vectorise.
  std::uint64_t bits;
  memcpy(&bits, &x, sizeof(bits));
  const int ex = static_cast<int>((bits >> 52) & 0x7ffu) - 1023;
  const std::uint64_t fbits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
  double f;
  memcpy(&f, &fbits, sizeof(f));
  const bool hi = f >= 2.0 * 0.70710678118654752440;
  const double m = hi ? f * 0.5 : f;
  const int e = hi ? ex + 1 : ex;
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  // 2*atanh(s) = 2s * sum_k s^(2k)/(2k+1), k = 0..12
  double p = 1.0 / 25.0;
  p = fma(p, s2, 1.0 / 23.0);
  p = fma(p, s2, 1.0 / 21.0);
  p = fma(p, s2, 1.0 / 19.0);
  p = fma(p, s2, 1.0 / 17.0);
  p = fma(p, s2, 1.0 / 15.0);
  p = fma(p, s2, 1.0 / 13.0);
  p = fma(p, s2, 1.0 / 11.0);
  p = fma(p, s2, 1.0 / 9.0);
  p = fma(p, s2, 1.0 / 7.0);
  p = fma(p, s2, 1.0 / 5.0);
  p = fma(p, s2, 1.0 / 3.0);
  p = fma(p, s2, 1.0);
  const double two_s = 2.0 * s;
  // ln2 split in a high part exact in 32 bits and a low part, so e*ln2_hi is exact.
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const double ed = static_cast<double>(e);
  return fma(ed, ln2_hi, fma(two_s, p, ed * ln2_lo));
}

// sin and cos of theta in [0, pi/4] by their Taylor series (error < 1e-17).
SPAIC_HD void exact_sincos_small(double t, double* s, double* c) {
  const double t2 = t * t;
  double ps = -1.0 / 1307674368000.0;    // -1/15!
  ps = fma(ps, t2, 1.0 / 6227020800.0);  // 1/13!
  ps = fma(ps, t2, -1.0 / 39916800.0);   // -1/11!
  ps = fma(ps, t2, 1.0 / 362880.0);      // 1/9!
  ps = fma(ps, t2, -1.0 / 5040.0);       // -1/7!
  ps = fma(ps, t2, 1.0 / 120.0);         // 1/5!
  ps = fma(ps, t2, -1.0 / 6.0);          // -1/3!
  const double t3 = t2 * t;
  *s = fma(ps, t3, t);
  double pc = 1.0 / 20922789888000.0;      // 1/16!
  pc = fma(pc, t2, -1.0 / 87178291200.0);  // -1/14!
  pc = fma(pc, t2, 1.0 / 479001600.0);     // 1/12!
  pc = fma(pc, t2, -1.0 / 3628800.0);      // -1/10!
  pc = fma(pc, t2, 1.0 / 40320.0);         // 1/8!
  pc = fma(pc, t2, -1.0 / 720.0);          // -1/6!
  pc = fma(pc, t2, 1.0 / 24.0);            // 1/4!
  pc = fma(pc, t2, -0.5);                  // -1/2!
  *c = fma(pc, t2, 1.0);
}

// cos(2*pi*u) for u in [0, 1), u a multiple of 2^-24: exact octant reduction in turns, then the series.
SPAIC_HD double exact_cos_turns(double u) {
  const double u8 = u * 8.0;  // exact
  const int q = static_cast<int>(u8);
  const double r = (u8 - static_cast<double>(q)) * 0.125;  // exact: remainder in [0, 1/8) turns
  const double two_pi = 6.28318530717958647692;
  // Odd octants reflect: angle = pi/4 - theta', computed in turns so the reflection is exact.
  const double rt = (q & 1) ? 0.125 - r : r;
  const double theta = rt * two_pi;
  double s, c;
  exact_sincos_small(theta, &s, &c);
  // cos(q*pi/4 + phi) for the octant q, with phi = theta (even q) or pi/4 - theta (odd q).
  switch (q) {
    case 0: return c;
    case 1: return s;   // cos(pi/2 - theta)
    case 2: return -s;  // cos(pi/2 + theta)
    case 3: return -c;  // cos(pi - theta)
    case 4: return -c;  // cos(pi + theta)
    case 5: return -s;  // cos(3pi/2 - theta)
    case 6: return s;   // cos(3pi/2 + theta)
    default: return c;  // cos(2pi - theta)
  }
}

// Standard normal from two words (Box-Muller, cosine branch): u1 in (0, 1], u2 in [0, 1).
SPAIC_HD float words_to_normal(std::uint32_t w1, std::uint32_t w2) {
  const double u1 = static_cast<double>((w1 >> 8) + 1u) * 5.9604644775390625e-8;
  const double u2 = static_cast<double>(w2 >> 8) * 5.9604644775390625e-8;
  const double r = sqrt(-2.0 * exact_log_unit(u1));
  return static_cast<float>(r * exact_cos_turns(u2));
}

// mean + std*z with one rounding, so no backend can contract it differently.
SPAIC_HD float scale_normal(float z, float mean, float std) { return fmaf(std, z, mean); }

// ---- encoders (SPAIC's Encoders.py, ALGORITHMS.md 3.6)
//
// Both encoders emit, per element, independent Bernoulli(p) spikes in each of T frames, and element e of
// an n-element, T-frame call reads only the words offset + j·n + e (j < T), the words it reserves.
// - p >= kFrameDrawFrom: one draw per frame (word offset + t·n + e), firing iff u <= p (SPAIC's test).
// - 0 < p < kFrameDrawFrom: the train is drawn gap by gap, for a cost in proportion to its spikes: the
//   number of silent frames before the next spike is G = floor(log(u) / log(1 - p)), u = (w + 1)·2^-32 in
//   (0, 1], so P(G = k) = (1 - p)^k·p, the same distribution as frame draws. The j-th gap reads word
//   offset + j·n + e; a train draws at most T gaps (one after each spike before the last frame, plus one).
// - p <= 0 never fires and draws nothing.
constexpr float kFrameDrawFrom = 0.125f;

SPAIC_HD bool frame_fires(std::uint32_t w, float p) { return word_to_uniform(w) <= p; }

// Poisson: p = x * unit_conversion * dt, in float32 left to right (SPAIC: spike iff rand <= p).
SPAIC_HD float poisson_probability(float x, float unit_conversion, float dt) { return (x * unit_conversion) * dt; }

// Bernoulli: p = max_prob * (x / norm), norm = max(x) when that exceeds 1, else 1.
SPAIC_HD float bernoulli_probability(float x, float max_prob, float norm) {
  const float xn = norm > 1.0f ? x / norm : x;
  return max_prob * xn;
}

// log(1 - p) for p in (0, kFrameDrawFrom), the denominator of every gap of a train (0 when 1 - p rounds to 1: such
// an element never fires).
SPAIC_HD double gap_log_q(float p) { return exact_log_unit(1.0 - static_cast<double>(p)); }

// Silent frames before the next spike, from word w (IEEE-exact: the same on every backend).
SPAIC_HD std::int64_t spike_gap(std::uint32_t w, double log_q) {
  if (!(log_q < 0.0)) return static_cast<std::int64_t>(4.0e18);
  const double u = (static_cast<double>(w) + 1.0) * 2.3283064365386962890625e-10;  // (0, 1]
  const double g = exact_log_unit(u) / log_q;
  return g < 4.0e18 ? static_cast<std::int64_t>(g) : static_cast<std::int64_t>(4.0e18);
}

}  // namespace spaic
