// cpu/bits.h - bytes <-> bit masks, 64 at a time: the uint8 spike scans of the event-driven products and
// the bit-packed spikes and surrogate windows that the neuron kernels save for the backward pass.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace spaic::cpu {

// uint8 data can be read 8 bytes to a word (the word masks below assume little-endian byte order).
constexpr bool kU8Words = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

// The high bit of each byte of the result is set where that byte of p[0, 8) is non-zero (no carry crosses
// a byte).
inline std::uint64_t nonzero_bytes(const std::uint8_t* p) {
  constexpr std::uint64_t lo7 = 0x7f7f7f7f7f7f7f7full, hi = 0x8080808080808080ull;
  std::uint64_t w;
  std::memcpy(&w, p, sizeof(w));
  return (((w & lo7) + lo7) | w) & hi;
}

// One bit per byte of p[0, 64): bit k is set where p[k] is non-zero. One vector test where the target has
// them (AVX-512BW: one instruction; AVX2 / SSE2: compare with zero and gather the byte signs), else eight
// word masks, each squeezed to 8 bits (the multiply moves bit 7 of byte b to bit 56 + b).
inline std::uint64_t nonzero_mask64(const std::uint8_t* p) {
#if defined(__AVX512BW__)
  const __m512i v = _mm512_loadu_si512(static_cast<const void*>(p));
  return _mm512_test_epi8_mask(v, v);
#elif defined(__AVX2__)
  const __m256i z = _mm256_setzero_si256();
  const auto lo = static_cast<std::uint32_t>(
      _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), z)));
  const auto hi = static_cast<std::uint32_t>(
      _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32)), z)));
  return ~(static_cast<std::uint64_t>(hi) << 32 | lo);
#elif defined(__SSE2__)
  const __m128i z = _mm_setzero_si128();
  std::uint64_t zero = 0;
  for (int q = 0; q < 4; ++q)
    zero |= static_cast<std::uint64_t>(static_cast<std::uint16_t>(
                _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * q)), z))))
            << (16 * q);
  return ~zero;
#else
  std::uint64_t m = 0;
  for (int q = 0; q < 8; ++q) m |= ((nonzero_bytes(p + 8 * q) >> 7) * 0x0102040810204080ull >> 56) << (8 * q);
  return m;
#endif
}

// out[k] = bit k of m (0 or 1), k in [0, 64).
inline void expand_mask64(std::uint64_t m, std::uint8_t* out) {
#if defined(__AVX512BW__)
  _mm512_storeu_si512(static_cast<void*>(out), _mm512_maskz_mov_epi8(m, _mm512_set1_epi8(1)));
#elif defined(__AVX2__)
  // Each byte k of a 32-byte half picks the mask byte k / 8, keeps bit k % 8, and turns it into 0 or 1.
  const __m256i pick =
      _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
  const __m256i one = _mm256_set1_epi8(1);
  for (int h = 0; h < 2; ++h) {
    const __m256i w = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(m >> (32 * h))));
    const __m256i sel = _mm256_and_si256(_mm256_shuffle_epi8(w, pick), bit);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * h), _mm256_and_si256(_mm256_cmpeq_epi8(sel, bit), one));
  }
#else
  for (int k = 0; k < 64; ++k) out[k] = static_cast<std::uint8_t>((m >> k) & 1u);
#endif
}

}  // namespace spaic::cpu
