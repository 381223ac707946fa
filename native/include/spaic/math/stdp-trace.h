// spaic/math/stdp-trace.h - per-element and per-neuron arithmetic of the STDP family: trace updates,
// integer traces with stochastic rounding, soft bounds, reward-switched amplitudes, weight bounds.
// Included by cpu/stdp-trace.cpp and cuda/stdp-trace.cu: one copy of the maths for both backends.
// Every formula follows ALGORITHMS.md §2.2-2.3 in SPAIC's operand order, so float32 results round the
// way SPAIC's tensors do.
#pragma once

#include <cstdint>
#include <type_traits>

#include "spaic/common.h"
#include "spaic/math/elementwise.h"

namespace spaic {

// Codes shared with lib/ops/stdp-trace.ts (TRACE_KINDS).
enum class TraceKind : int {
  Nearest = 0,  // x = (1 - s) * (d * x) + s      nearest_online_stdp: reset to 1 on a spike
  Full = 1,     // x = d * x + s                  full_online_stdp: all-to-all, additive
  Switch = 2,   // x = d * x * 1[s <= 0] + s      meta_nearest_online_stdp, switch_rstdp
  Scaled = 3,   // x = a * s + d * x              rstdp / rstdpet p_plus, p_minus (a = A_plus / A_minus)
};

template <typename T>
SPAIC_HD T trace_step(TraceKind kind, T x, T s, T d, T a) {
  switch (kind) {
    case TraceKind::Nearest: return (T(1) - s) * (d * x) + s;
    case TraceKind::Full: return d * x + s;
    case TraceKind::Switch: return d * x * (s <= T(0) ? T(1) : T(0)) + s;
    case TraceKind::Scaled: return a * s + d * x;
  }
  return x;
}

// Reward shapes. Value: the number `value`. Scalar: r[0]. PerPost: r[j] (shape [N_post] or [1, N_post]).
// PerSample: r[b] ([B] or [B,1]). PerSamplePost: r[b,j] ([B, N_post]). Codes shared with lib/ops/stdp-trace.ts.
enum class RewardShape : int { Value = 0, Scalar = 1, PerPost = 2, PerSample = 3, PerSamplePost = 4 };

template <typename T>
SPAIC_HD T reward_at(RewardShape shape, const T* r, double value, i64 b, i64 j, i64 n_post) {
  switch (shape) {
    case RewardShape::Value: return static_cast<T>(value);
    case RewardShape::Scalar: return r[0];
    case RewardShape::PerPost: return r[j];
    case RewardShape::PerSample: return r[b];
    case RewardShape::PerSamplePost: return r[b * n_post + j];
  }
  return T(0);
}

// Calls f(std::integral_constant<TraceKind, K>{}) so loops and kernels are specialised per kind.
template <typename F>
void with_trace_kind(TraceKind kind, F&& f) {
  switch (kind) {
    case TraceKind::Nearest: f(std::integral_constant<TraceKind, TraceKind::Nearest>{}); return;
    case TraceKind::Full: f(std::integral_constant<TraceKind, TraceKind::Full>{}); return;
    case TraceKind::Switch: f(std::integral_constant<TraceKind, TraceKind::Switch>{}); return;
    case TraceKind::Scaled: f(std::integral_constant<TraceKind, TraceKind::Scaled>{}); return;
  }
}

// Integer trace (postpreintstdp): x = floor(decay * x / 2^shift); on a spike x = value.
SPAIC_HD std::int32_t int_trace_step(std::int32_t x, std::int32_t s, std::int64_t decay, int shift,
                                     std::int32_t value) {
  if (s != 0) return value;
  return static_cast<std::int32_t>((decay * static_cast<std::int64_t>(x)) >> shift);
}

// Stochastic rounding of a non-negative integer: (x >> shift) + 1[u < (x & (2^shift - 1))],
// u uniform over [0, 2^shift).
SPAIC_HD std::int64_t stochastic_round(std::int64_t x, int shift, std::int64_t u) {
  const std::int64_t mask = (std::int64_t(1) << shift) - 1;
  return (x >> shift) + (u < (x & mask) ? 1 : 0);
}

// Counter-based uniform integers for stochastic rounding when no recorded draws are given: a
// SplitMix64 finaliser over (seed, counter, stream, element). The same key gives the same value on
// the CPU and the GPU. `stream` separates the two draws of one step (0: pre-synaptic term, 1: post).
SPAIC_HD std::uint64_t mix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
SPAIC_HD std::int64_t counter_uniform(std::uint64_t seed, std::uint64_t counter, int stream, std::int64_t element,
                                      int shift) {
  std::uint64_t k = mix64(seed ^ mix64(counter * 2ULL + static_cast<std::uint64_t>(stream)));
  k = mix64(k ^ static_cast<std::uint64_t>(element));
  return static_cast<std::int64_t>(k & ((std::uint64_t(1) << shift) - 1));
}

// One weight of postpreintstdp (ALGORITHMS.md §2.2.4) after the traces: W[j,i] + pre_sign * sum_b
// SR(nu0*x_post[b,j]) s_pre[b,i] + sum_b s_post[b,j] SR(nu1*x_pre[b,i]), halved when the row's threshold
// passed max_threshold (`halve`), then clamped to the finite bounds. P is IntStdpParams (spaic/stdp-trace.h);
// draws as there (null: counter_uniform).
template <typename P>
SPAIC_HD std::int32_t int_stdp_weight(const P& p, std::int64_t j, std::int64_t i, std::int32_t w, bool halve,
                                      const std::int32_t* s_pre, const std::int32_t* s_post, const std::int32_t* draws,
                                      const std::int32_t* x_pre, const std::int32_t* x_post) {
  const std::int64_t np = p.n_post, nq = p.n_pre, plane = p.batch * np * nq;
  std::int64_t acc = w;
  for (std::int64_t b = 0; b < p.batch; ++b) {
    const std::int64_t e = (b * np + j) * nq + i;
    const std::int32_t sp = s_pre[b * nq + i], so = s_post[b * np + j];
    if (sp != 0) {
      const std::int64_t u = draws ? draws[e] : counter_uniform(p.seed, p.counter, 0, e, p.shift);
      acc += p.pre_sign * stochastic_round(p.nu0 * x_post[b * np + j], p.shift, u) * sp;
    }
    if (so != 0) {
      const std::int64_t u = draws ? draws[plane + e] : counter_uniform(p.seed, p.counter, 1, e, p.shift);
      acc += so * stochastic_round(p.nu1 * x_pre[b * nq + i], p.shift, u);
    }
  }
  std::int32_t v = static_cast<std::int32_t>(acc);
  if (halve) v >>= 1;
  if (p.has_lo && v < p.w_min) v = p.w_min;
  if (p.has_hi && v > p.w_max) v = p.w_max;
  return v;
}

// Row normalisation: w_norm * w / sum_i |W[j,i]|, in SPAIC's operand order. A zero row is left as it
// is unless `zero_rows_nan` asks for SPAIC's 0/0.
template <typename T>
SPAIC_HD T normalised(T w, T w_norm, T row_abs_sum, bool zero_rows_nan) {
  if (row_abs_sum == T(0) && !zero_rows_nan) return w;
  return w_norm * w / row_abs_sum;
}

template <typename T>
SPAIC_HD T clamp_value(T w, T lo, T hi) {
  return w < lo ? lo : (w > hi ? hi : w);
}

// Meta-STDP soft bound: the factor on dw that shrinks steps towards w_min (dw < 0) and w_max (dw > 0).
template <typename T>
SPAIC_HD T meta_soft_factor(T dw, T w, T w_min, T w_max) {
  const T eps = T(1e-4);
  if (dw < T(0)) {
    const T gap = w - w_min;
    return exp_t(T(-0.2) / (gap > eps ? gap : eps));
  }
  if (dw > T(0)) {
    const T gap = w_max - w;
    return exp_t(T(-0.2) / (gap > eps ? gap : eps));
  }
  return T(0);
}

// Meta-STDP weight: each row rescaled to its homeostatic target, plus the soft-bounded STDP step.
template <typename T>
SPAIC_HD T meta_weight(T w, T w_mean_row, T row_mean, T dw, T w_min, T w_max) {
  const T m = row_mean > T(1e-6) ? row_mean : T(1e-6);
  return w * w_mean_row / m + dw * meta_soft_factor(dw, w, w_min, w_max);
}

// switch_rstdp: amplitude chosen by the sign of the reward.
template <typename T>
SPAIC_HD T switch_amplitude(T reward, T when_positive, T otherwise) {
  return reward > T(0) ? when_positive : otherwise;
}

// rstdpet: eligibility trace ET = d_e * ET + m_e * E.
template <typename T>
SPAIC_HD T eligibility_trace_step(T et, T e, T d_e, T m_e) {
  return d_e * et + m_e * e;
}

// Lateral inhibition across the feature maps of a conv layer: spike s[b, c, l] of sb = s + b*maps*L is
// kept when no lower-indexed map spiked at position l.
template <typename T>
SPAIC_HD T conv_inhibited(const T* sb, i64 c, i64 l, i64 positions) {
  const T v = sb[c * positions + l];
  if (v <= T(0)) return T(0);
  for (i64 k = 0; k < c; ++k)
    if (sb[k * positions + l] > T(0)) return T(0);
  return v;
}

// Winner-take-all within one feature map's row of L positions: out keeps only the first spike.
template <typename T>
SPAIC_HD void conv_first_spike(const T* row, T* out, i64 positions) {
  bool found = false;
  for (i64 l = 0; l < positions; ++l) {
    const bool keep = !found && row[l] > T(0);
    out[l] = keep ? row[l] : T(0);
    found = found || keep;
  }
}

}  // namespace spaic
